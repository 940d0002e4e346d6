#include "core/model/hf_cache.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <system_error>

#include "core/io/file_util.h"

namespace tl {
namespace fs = std::filesystem;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

bool is_dir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);  // follows symlinks: a dangling blob link is "no file"
}

// "models--org--name" -> "org/name"; nullopt for datasets, spaces and other folders.
std::optional<std::string> repo_id_of(const std::string& folder) {
  static const std::string prefix = "models--";
  if (folder.rfind(prefix, 0) != 0 || folder.size() == prefix.size()) return std::nullopt;
  std::string rest = folder.substr(prefix.size());
  std::string out;
  for (std::size_t k = 0; k < rest.size(); ++k) {
    if (rest.compare(k, 2, "--") == 0) {
      out += '/';
      ++k;
    } else {
      out += rest[k];
    }
  }
  return out;
}

// A revision must name a folder directly inside snapshots/: no separators, no "." or "..".
bool safe_revision(const std::string& rev) {
  if (rev.empty() || rev == "." || rev == ".." || rev.size() > 128) return false;
  return std::all_of(rev.begin(), rev.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_' || c == '.'; });
}

std::string trimmed(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  std::size_t b = 0;
  while (b < s.size() && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  return s.substr(b);
}

std::optional<CachedModel> inspect_snapshot(const fs::path& folder) {
  if (!is_file(folder / "config.json")) return std::nullopt;
  CachedModel m;
  m.folder = folder;
  m.revision = folder.filename().string();
  if (auto text = read_text_file(folder / "config.json", 1 << 20)) {
    auto j = nlohmann::json::parse(text.value(), nullptr, /*allow_exceptions=*/false);
    if (j.is_object() && j.contains("model_type") && j["model_type"].is_string())
      m.model_type = j["model_type"].get<std::string>();
  }
  m.has_safetensors =
      is_file(folder / "model.safetensors") || is_file(folder / "model.safetensors.index.json");
  m.has_tokenizer = is_file(folder / "tokenizer.json") ||
                    (is_file(folder / "vocab.json") && is_file(folder / "merges.txt")) ||
                    is_file(folder / "vocab.txt");
  return m;
}

std::optional<CachedModel> pick_snapshot(const fs::path& repo_dir) {
  const fs::path snapshots = repo_dir / "snapshots";
  if (!is_dir(snapshots)) return std::nullopt;
  if (auto ref = read_text_file(repo_dir / "refs" / "main", 4096)) {
    const std::string rev = trimmed(ref.value());
    if (safe_revision(rev) && is_dir(snapshots / rev)) {
      if (auto m = inspect_snapshot(snapshots / rev)) {
        m->is_main = true;
        return m;
      }
    }
  }
  // No usable refs/main (downloaded by revision, or a hand-made cache): the newest snapshot.
  std::optional<CachedModel> best;
  fs::file_time_type best_time{};
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(snapshots, ec)) {
    if (!entry.is_directory(ec)) continue;
    auto m = inspect_snapshot(entry.path());
    if (!m) continue;
    const auto t = fs::last_write_time(entry.path(), ec);
    if (!best || t > best_time || (t == best_time && m->revision < best->revision)) {
      best = std::move(m);
      best_time = t;
    }
  }
  return best;
}

}  // namespace

HfCacheEnv HfCacheEnv::from_process() {
  HfCacheEnv e;
  e.hf_hub_cache = env("HF_HUB_CACHE");
  if (e.hf_hub_cache.empty()) e.hf_hub_cache = env("HUGGINGFACE_HUB_CACHE");
  e.hf_home = env("HF_HOME");
  e.xdg_cache_home = env("XDG_CACHE_HOME");
  e.home = env("HOME");
  return e;
}

std::vector<fs::path> hf_cache_roots(const HfCacheEnv& env) {
  std::vector<fs::path> candidates;
  if (!env.hf_hub_cache.empty()) candidates.emplace_back(env.hf_hub_cache);
  if (!env.hf_home.empty()) candidates.push_back(fs::path(env.hf_home) / "hub");
  if (!env.xdg_cache_home.empty()) candidates.push_back(fs::path(env.xdg_cache_home) / "huggingface" / "hub");
  if (!env.home.empty()) candidates.push_back(fs::path(env.home) / ".cache" / "huggingface" / "hub");
  std::vector<fs::path> roots;
  for (const auto& c : candidates) {
    if (!is_dir(c)) continue;
    std::error_code ec;
    const fs::path canonical = fs::weakly_canonical(c, ec);
    const fs::path key = ec ? c : canonical;
    const bool seen = std::any_of(roots.begin(), roots.end(), [&](const fs::path& r) {
      std::error_code e2;
      return fs::equivalent(r, key, e2);
    });
    if (!seen) roots.push_back(key);
  }
  return roots;
}

std::vector<CachedModel> scan_hf_cache(const std::vector<fs::path>& roots) {
  std::map<std::string, CachedModel> by_id;
  for (const auto& root : roots) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(root, ec)) {
      if (!entry.is_directory(ec)) continue;
      const auto id = repo_id_of(entry.path().filename().string());
      if (!id || by_id.count(*id)) continue;
      if (auto m = pick_snapshot(entry.path())) {
        m->repo_id = *id;
        by_id.emplace(*id, std::move(*m));
      }
    }
  }
  std::vector<CachedModel> out;
  for (auto& [id, m] : by_id) out.push_back(std::move(m));
  return out;
}

std::string CachedModel::display() const {
  return model_type.empty() ? repo_id : repo_id + " (" + model_type + ")";
}

}  // namespace tl
