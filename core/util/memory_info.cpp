#include "core/util/memory_info.h"

#include <charconv>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace tl {

namespace {

// The value in kB of "Key:   12345 kB" lines.
std::optional<std::uint64_t> field_kb(std::string_view text, std::string_view key) {
  std::size_t at = 0;
  while ((at = text.find(key, at)) != std::string_view::npos) {
    if ((at == 0 || text[at - 1] == '\n') && at + key.size() < text.size() && text[at + key.size()] == ':')
      break;
    at += key.size();
  }
  if (at == std::string_view::npos) return std::nullopt;
  std::size_t p = at + key.size() + 1;
  while (p < text.size() && text[p] == ' ') ++p;
  std::uint64_t kb = 0;
  const auto [end, ec] = std::from_chars(text.data() + p, text.data() + text.size(), kb);
  if (ec != std::errc() || end == text.data() + p) return std::nullopt;
  if (kb > (std::uint64_t(1) << 53)) return std::nullopt;  // nonsense; would overflow as bytes
  return kb;
}

// Kept free for the program itself, the GUI and the page cache of the mapped weights.
constexpr std::uint64_t kReserveBytes = std::uint64_t(256) << 20;

}  // namespace

std::optional<MemoryInfo> parse_meminfo(std::string_view text) {
  const auto total = field_kb(text, "MemTotal");
  const auto available = field_kb(text, "MemAvailable");
  if (!total || !available) return std::nullopt;
  return MemoryInfo{*total * 1024, *available * 1024};
}

std::optional<MemoryInfo> read_meminfo() {
  std::ifstream in("/proc/meminfo");
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_meminfo(ss.str());
}

std::string format_bytes(std::uint64_t bytes) {
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024) return std::to_string(bytes) + " bytes";
  double v = static_cast<double>(bytes) / 1024.0;
  int u = 0;
  while (v >= 1024.0 && u < 3) v /= 1024.0, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, v < 10 ? "%.1f %s" : "%.0f %s", v, units[u]);
  return buf;
}

Status check_memory_fits(std::uint64_t need_bytes, const std::optional<MemoryInfo>& memory,
                         std::string_view what, std::string_view detail) {
  if (!memory) return Status::Ok();
  const std::uint64_t usable =
      memory->available_bytes > kReserveBytes ? memory->available_bytes - kReserveBytes : 0;
  if (need_bytes <= usable) return Status::Ok();
  std::string msg = std::string(what) + " needs about " + format_bytes(need_bytes);
  if (!detail.empty()) msg += " (" + std::string(detail) + ")";
  msg += ", but only " + format_bytes(memory->available_bytes) + " of memory is free (of " +
         format_bytes(memory->total_bytes) + ")";
  return make_error(std::move(msg));
}

}  // namespace tl
