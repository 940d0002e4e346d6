#include "core/workspace/workspace.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/io/file_util.h"

// Sections: writing; reading (FieldReader: one typed getter per field kind, each failure recorded
// and the default kept); the version/format checks; files.

namespace tl {

// Ordered so saved files keep a stable, readable key order (tl::Json elsewhere is unordered).
using WorkspaceJson = nlohmann::ordered_json;

namespace {

const char* const kScopes[] = {"layer", "up-to", "end-to-end"};
const char* const kColormaps[] = {"auto", "viridis", "magma", "diverging"};

template <std::size_t N>
bool one_of(const std::string& s, const char* const (&names)[N]) {
  return std::any_of(std::begin(names), std::end(names), [&](const char* n) { return s == n; });
}

}  // namespace

const char* to_string(WorkspaceProblem problem) {
  switch (problem) {
    case WorkspaceProblem::None:
      return "none";
    case WorkspaceProblem::Missing:
      return "missing";
    case WorkspaceProblem::NewerVersion:
      return "newer version";
    case WorkspaceProblem::BadFields:
      return "bad fields";
    case WorkspaceProblem::Corrupt:
      return "corrupt";
  }
  return "?";
}

// ---------------------------------------------------------------- writing

std::string serialize_workspace(const Workspace& ws) {
  WorkspaceJson doc;
  doc["format"] = kWorkspaceFormat;
  doc["version"] = kWorkspaceVersion;
  WorkspaceJson models = WorkspaceJson::array();
  for (const auto& m : ws.models) models.push_back({{"source", m.source}});
  doc["models"] = std::move(models);
  doc["sentences"] = ws.sentences;
  doc["current_sentence"] = ws.current_sentence;
  WorkspaceJson views = WorkspaceJson::array();
  for (const auto& v : ws.views) {
    WorkspaceJson j;
    j["model"] = v.model;
    j["sentence"] = v.sentence;
    j["method"] = v.method;
    j["scope"] = v.scope;
    j["block"] = v.block;
    j["head"] = v.head;
    j["selection"] =
        v.selected_row >= 0 && v.selected_col >= 0 ? WorkspaceJson::array({v.selected_row, v.selected_col}) : WorkspaceJson();
    j["colour"] = {{"colormap", v.colour.colormap},
                   {"row_normalise", v.colour.row_normalise},
                   {"log_scale", v.colour.log_scale},
                   {"hide_special", v.colour.hide_special},
                   {"shared_scale", v.colour.shared_scale}};
    views.push_back(std::move(j));
  }
  doc["views"] = std::move(views);
  // Invalid UTF-8 in a sentence or path is replaced rather than thrown on: saving never fails on content.
  return doc.dump(2, ' ', false, WorkspaceJson::error_handler_t::replace) + "\n";
}

// ---------------------------------------------------------------- reading

namespace {

// Reads typed fields out of JSON objects; a missing field keeps its default silently, a field of
// the wrong type or out of range keeps its default and is recorded in `skipped`.
class FieldReader {
 public:
  explicit FieldReader(std::vector<std::string>& skipped) : skipped_(skipped) {}

  void skip(const std::string& where, const std::string& why) { skipped_.push_back(where + ": " + why); }

  void read_int(const WorkspaceJson& obj, const char* key, const std::string& where, int& out, int lo, int hi) {
    const auto it = obj.find(key);
    if (it == obj.end()) return;
    if (!it->is_number_integer()) return skip(where + "." + key, "not an integer");
    const auto v = it->get<std::int64_t>();
    if (v < lo || v > hi)
      return skip(where + "." + key,
                  std::to_string(v) + " outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    out = static_cast<int>(v);
  }

  void read_bool(const WorkspaceJson& obj, const char* key, const std::string& where, bool& out) {
    const auto it = obj.find(key);
    if (it == obj.end()) return;
    if (!it->is_boolean()) return skip(where + "." + key, "not true/false");
    out = it->get<bool>();
  }

  // Strings longer than max_bytes are skipped (not truncated: a cut path or method name is wrong).
  bool read_string(const WorkspaceJson& value, const std::string& where, std::string& out, std::size_t max_bytes) {
    if (!value.is_string()) return skip(where, "not a string"), false;
    const auto& s = value.get_ref<const std::string&>();
    if (s.size() > max_bytes)
      return skip(where, "longer than " + std::to_string(max_bytes) + " bytes"), false;
    out = s;
    return true;
  }

  template <std::size_t N>
  void read_name(const WorkspaceJson& obj, const char* key, const std::string& where, std::string& out,
                 const char* const (&names)[N]) {
    const auto it = obj.find(key);
    if (it == obj.end()) return;
    std::string s;
    if (!read_string(*it, where + "." + key, s, WorkspaceLimits::kMaxStringBytes)) return;
    if (!one_of(s, names)) return skip(where + "." + key, "unknown value '" + s + "'");
    out = std::move(s);
  }

  // The array under `key`, or null when it is missing or not an array (recorded), capped at max.
  const WorkspaceJson* array(const WorkspaceJson& obj, const char* key, std::size_t max) {
    const auto it = obj.find(key);
    if (it == obj.end()) return nullptr;
    if (!it->is_array()) return skip(key, "not an array"), nullptr;
    if (it->size() > max)
      skip(key, std::to_string(it->size()) + " entries, only the first " + std::to_string(max) + " read");
    return &*it;
  }

 private:
  std::vector<std::string>& skipped_;
};

void read_view(FieldReader& r, const WorkspaceJson& j, const std::string& where, WorkspaceView& v) {
  constexpr int kMaxIndex = 1 << 20;
  r.read_int(j, "model", where, v.model, 0, static_cast<int>(WorkspaceLimits::kMaxModels) - 1);
  r.read_int(j, "sentence", where, v.sentence, 0, static_cast<int>(WorkspaceLimits::kMaxSentences) - 1);
  if (const auto it = j.find("method"); it != j.end()) {
    std::string s;
    if (r.read_string(*it, where + ".method", s, WorkspaceLimits::kMaxStringBytes)) v.method = std::move(s);
  }
  r.read_name(j, "scope", where, v.scope, kScopes);
  r.read_int(j, "block", where, v.block, 1, kMaxIndex);
  r.read_int(j, "head", where, v.head, 0, kMaxIndex);
  if (const auto it = j.find("selection"); it != j.end() && !it->is_null()) {
    const bool pair =
        it->is_array() && it->size() == 2 && (*it)[0].is_number_integer() && (*it)[1].is_number_integer();
    if (!pair) {
      r.skip(where + ".selection", "not [row, column]");
    } else {
      const auto i = (*it)[0].get<std::int64_t>(), k = (*it)[1].get<std::int64_t>();
      if (i < 0 || k < 0 || i > kMaxIndex || k > kMaxIndex) {
        r.skip(where + ".selection", "index out of range");
      } else {
        v.selected_row = static_cast<int>(i);
        v.selected_col = static_cast<int>(k);
      }
    }
  }
  if (const auto it = j.find("colour"); it != j.end()) {
    if (!it->is_object()) {
      r.skip(where + ".colour", "not an object");
    } else {
      const std::string w = where + ".colour";
      r.read_name(*it, "colormap", w, v.colour.colormap, kColormaps);
      r.read_bool(*it, "row_normalise", w, v.colour.row_normalise);
      r.read_bool(*it, "log_scale", w, v.colour.log_scale);
      r.read_bool(*it, "hide_special", w, v.colour.hide_special);
      r.read_bool(*it, "shared_scale", w, v.colour.shared_scale);
    }
  }
}

std::string join_first(const std::vector<std::string>& items, std::size_t max) {
  std::string s;
  for (std::size_t i = 0; i < items.size() && i < max; ++i) s += (i ? "; " : "") + items[i];
  if (items.size() > max) s += "; and " + std::to_string(items.size() - max) + " more";
  return s;
}

std::string recovered_summary(const Workspace& ws) {
  return std::to_string(ws.models.size()) + " model(s), " + std::to_string(ws.sentences.size()) +
         " sentence(s), " + std::to_string(ws.views.size()) + " view(s)";
}

}  // namespace

WorkspaceLoad parse_workspace(std::string_view json_text, std::string_view source_name) {
  WorkspaceLoad out;
  const std::string src(source_name);
  auto corrupt = [&](const std::string& why) {
    out.workspace = {};
    out.problem = WorkspaceProblem::Corrupt;
    out.status = make_error(src + ": not a readable workspace (" + why + "); nothing restored");
    return std::move(out);
  };
  if (json_text.size() > WorkspaceLimits::kMaxFileBytes) return corrupt("larger than 16 MiB");
  const WorkspaceJson doc = WorkspaceJson::parse(json_text.begin(), json_text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return corrupt("invalid JSON");
  if (!doc.is_object()) return corrupt("not a JSON object");
  const auto format = doc.find("format");
  if (format == doc.end() || !format->is_string() ||
      format->get_ref<const std::string&>() != kWorkspaceFormat)
    return corrupt("no \"format\": \"tensorlens-workspace\"");
  const auto version = doc.find("version");
  if (version == doc.end() || !version->is_number_integer() || version->get<std::int64_t>() < 1)
    return corrupt("no valid \"version\"");
  const std::int64_t file_version = version->get<std::int64_t>();

  FieldReader r(out.skipped);
  Workspace& ws = out.workspace;
  if (const WorkspaceJson* models = r.array(doc, "models", WorkspaceLimits::kMaxModels)) {
    for (std::size_t i = 0; i < models->size() && i < WorkspaceLimits::kMaxModels; ++i) {
      const std::string where = "models[" + std::to_string(i) + "]";
      const WorkspaceJson& m = (*models)[i];
      const auto it = m.is_object() ? m.find("source") : m.end();
      WorkspaceModel model;
      if (!m.is_object() || it == m.end()) {
        r.skip(where, "no \"source\"");
      } else if (r.read_string(*it, where + ".source", model.source, WorkspaceLimits::kMaxStringBytes)) {
        if (model.source.empty())
          r.skip(where + ".source", "empty");
        else
          ws.models.push_back(std::move(model));
      }
    }
  }
  if (const WorkspaceJson* sentences = r.array(doc, "sentences", WorkspaceLimits::kMaxSentences)) {
    for (std::size_t i = 0; i < sentences->size() && i < WorkspaceLimits::kMaxSentences; ++i) {
      std::string s;
      if (r.read_string((*sentences)[i], "sentences[" + std::to_string(i) + "]", s,
                        WorkspaceLimits::kMaxSentenceBytes))
        ws.sentences.push_back(std::move(s));
    }
  }
  r.read_int(doc, "current_sentence", "workspace", ws.current_sentence, 0,
             static_cast<int>(WorkspaceLimits::kMaxSentences) - 1);
  if (const WorkspaceJson* views = r.array(doc, "views", WorkspaceLimits::kMaxViews)) {
    for (std::size_t i = 0; i < views->size() && i < WorkspaceLimits::kMaxViews; ++i) {
      const std::string where = "views[" + std::to_string(i) + "]";
      if (!(*views)[i].is_object()) {
        r.skip(where, "not an object");
        continue;
      }
      WorkspaceView v;
      read_view(r, (*views)[i], where, v);
      ws.views.push_back(std::move(v));
    }
  }
  // Indices must point at something that was read (entries may have been skipped above).
  if (!ws.sentences.empty() && ws.current_sentence >= static_cast<int>(ws.sentences.size())) {
    r.skip("current_sentence", "no such sentence");
    ws.current_sentence = 0;
  }
  for (std::size_t i = 0; i < ws.views.size(); ++i) {
    auto& v = ws.views[i];
    if (v.model >= static_cast<int>(std::max<std::size_t>(ws.models.size(), 1))) {
      r.skip("views[" + std::to_string(i) + "].model", "no such model");
      v.model = 0;
    }
    if (v.sentence >= static_cast<int>(std::max<std::size_t>(ws.sentences.size(), 1))) {
      r.skip("views[" + std::to_string(i) + "].sentence", "no such sentence");
      v.sentence = 0;
    }
  }

  if (file_version > kWorkspaceVersion) {
    out.problem = WorkspaceProblem::NewerVersion;
    out.status =
        make_error(src + ": written by a newer TensorLens Studio (format version " +
                   std::to_string(file_version) + ", this build reads " + std::to_string(kWorkspaceVersion) +
                   "); restored " + recovered_summary(ws) + ", newer settings ignored");
  } else if (!out.skipped.empty()) {
    out.problem = WorkspaceProblem::BadFields;
    out.status = make_error(src + ": some settings were unreadable and were reset (" +
                            join_first(out.skipped, 3) + "); restored " + recovered_summary(ws));
  }
  return out;
}

// ---------------------------------------------------------------- files

WorkspaceLoad load_workspace(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    WorkspaceLoad out;
    out.problem = WorkspaceProblem::Missing;
    out.status = make_error(path.string() + ": no workspace file");
    return out;
  }
  auto text = read_text_file(path, WorkspaceLimits::kMaxFileBytes);
  if (!text) {
    WorkspaceLoad out;
    out.problem = WorkspaceProblem::Corrupt;
    out.status = make_error(text.error().message + "; nothing restored");
    return out;
  }
  return parse_workspace(*text, path.string());
}

Status save_workspace(const std::filesystem::path& path, const Workspace& ws) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) return make_error(path.parent_path().string() + ": cannot create folder: " + ec.message());
  return write_text_atomic(path, serialize_workspace(ws));
}

}  // namespace tl
