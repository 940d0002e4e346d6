#include "core/io/json_util.h"

#include <cmath>
#include <cstdio>
#include <new>

#include "core/util/memory_info.h"

namespace tl {

std::string printable(std::string_view text, std::size_t max_len) {
  std::string out;
  for (unsigned char c : text) {
    if (out.size() >= max_len) {
      out += "...";
      break;
    }
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

std::string json_encoding_problem(std::string_view t) {
  const auto b = [&](std::size_t i) { return i < t.size() ? static_cast<unsigned char>(t[i]) : 0x100u; };
  if (b(0) == 0xFF && b(1) == 0xFE && b(2) == 0 && b(3) == 0) return "UTF-32 (little-endian, with a byte-order mark)";
  if (b(0) == 0 && b(1) == 0 && b(2) == 0xFE && b(3) == 0xFF) return "UTF-32 (big-endian, with a byte-order mark)";
  if (b(0) == 0xFF && b(1) == 0xFE) return "UTF-16 (little-endian, with a byte-order mark)";
  if (b(0) == 0xFE && b(1) == 0xFF) return "UTF-16 (big-endian, with a byte-order mark)";
  // Without a BOM: JSON starts with an ASCII character, so a NUL among the first bytes means UTF-16/32.
  if (t.size() >= 4 && b(0) == 0 && b(1) == 0 && b(2) == 0 && b(3) != 0) return "UTF-32 (big-endian)";
  if (t.size() >= 4 && b(0) != 0 && b(1) == 0 && b(2) == 0 && b(3) == 0) return "UTF-32 (little-endian)";
  if (t.size() >= 2 && b(0) == 0 && b(1) != 0) return "UTF-16 (big-endian)";
  if (t.size() >= 2 && b(0) != 0 && b(1) == 0) return "UTF-16 (little-endian)";
  return {};
}

Result<std::uint64_t> estimate_json_memory(std::string_view text, const std::string& source,
                                           const JsonLimits& limits) {
  if (auto enc = json_encoding_problem(text); !enc.empty())
    return make_error(source + ": is " + enc + ", expected UTF-8 JSON");
  // Per-item costs in nlohmann-json (64-bit libstdc++), rounded up: a container's heap object, an
  // element slot in a growing vector, an std::map node with its key, a std::string header.
  constexpr std::uint64_t kContainer = 64, kElement = 32, kMember = 96, kString = 32;
  std::uint64_t containers = 0, elements = 0, members = 0, strings = 0, string_bytes = 0;
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
        ++string_bytes;
      } else if (c == '"') {
        in_string = false;
      } else {
        ++string_bytes;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        ++strings;
        break;
      case '[':
      case '{':
        if (++depth > limits.max_depth)
          return make_error(source + ": JSON nested more than " + std::to_string(limits.max_depth) +
                            " levels deep (at byte " + std::to_string(i) + ")");
        ++containers;
        ++elements;
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;
        break;
      case ',':
        ++elements;
        break;
      case ':':
        ++members;
        break;
      default:
        break;
    }
  }
  return containers * kContainer + elements * kElement + members * kMember + strings * kString + string_bytes;
}

Result<nlohmann::json> parse_json(std::string_view text, const std::string& source, const JsonLimits& limits) {
  auto estimate = estimate_json_memory(text, source, limits);
  if (!estimate) return estimate.error();
  const std::uint64_t budget = limits.memory_floor + limits.memory_per_text_byte * text.size();
  if (*estimate > budget)
    return make_error(source + ": JSON structure too large to load: parsing it would take about " +
                      format_bytes(*estimate) + " for a " + format_bytes(text.size()) + " file (limit " +
                      format_bytes(budget) + "; a real file of this kind takes a few times its size)");
  if (Status fits = check_memory_fits(*estimate, read_meminfo(), source, "parsing its JSON"); !fits)
    return fits.error();
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // what(): "[json.exception.parse_error.101] parse error at line 1, column 2: syntax error ...;
    // last read: '<raw bytes>'": keep the position and the reason, drop the raw bytes.
    std::string what = e.what();
    if (const auto p = what.find("] "); what.rfind("[json.exception", 0) == 0 && p != std::string::npos)
      what = what.substr(p + 2);
    if (const auto p = what.find("; last read:"); p != std::string::npos) what.resize(p);
    return make_error(source + ": not valid JSON (" + printable(what) + ")");
  } catch (const nlohmann::json::exception& e) {
    return make_error(source + ": not valid JSON (" + printable(e.what()) + ")");
  } catch (const std::bad_alloc&) {
    return make_error(source + ": out of memory while parsing its JSON (" + format_bytes(text.size()) + ")");
  }
}

std::string json_integer_problem(const nlohmann::json& v) {
  if (v.is_number_integer()) {
    if (v.is_number_unsigned() && v.get<std::uint64_t>() > std::uint64_t(INT64_MAX))
      return "is too large for an integer (" + v.dump() + ")";
    return {};
  }
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (!std::isfinite(d) || std::fabs(d) >= 9.2e18) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.3g", d);
      return std::string("is too large for an integer (about ") + buf + ")";
    }
    if (d == std::floor(d)) return "is written with a decimal point or exponent (" + v.dump() + "), not as an integer";
    return "is not an integer (" + v.dump() + ")";
  }
  if (v.is_string()) return "is a string (" + printable(v.dump(), 60) + "), not an integer";
  if (v.is_boolean()) return "is a boolean (" + v.dump() + "), not an integer";
  if (v.is_null()) return "is null, not an integer";
  return std::string("is ") + (v.is_array() ? "an array" : "an object") + ", not an integer";
}

}  // namespace tl
