#pragma once
// Checked access to tokenizer.json fields. Every failure is an Error whose message names the field
// path ("normalizer.normalizers[1].pattern") and the problem; the loader prefixes the file name.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/tokenizer/regex.h"
#include "core/util/result.h"

namespace tl::tok {

using Json = nlohmann::json;

// Evaluates a Result expression; returns its error from the enclosing function, else moves the
// value into `var`.
#define TL_TOK_TRY(var, expr)                          \
  auto var##_result = (expr);                          \
  if (!var##_result.ok()) return var##_result.error(); \
  auto var = std::move(var##_result.value())

inline std::string field_path(const std::string& parent, std::string_view key) {
  return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}
inline std::string index_path(const std::string& parent, std::size_t i) {
  return parent + "[" + std::to_string(i) + "]";
}
inline Error field_error(const std::string& path, std::string_view problem) {
  return make_error(path + ": " + std::string(problem));
}

// The member, or nullptr when it is absent or null.
inline const Json* find_field(const Json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

inline Result<bool> get_bool(const Json& obj, std::string_view key, bool fallback, const std::string& path) {
  const Json* v = find_field(obj, key);
  if (!v) return fallback;
  if (!v->is_boolean()) return field_error(field_path(path, key), "expected true or false");
  return v->get<bool>();
}

inline Result<std::optional<bool>> get_optional_bool(const Json& obj, std::string_view key,
                                                     const std::string& path) {
  const Json* v = find_field(obj, key);
  if (!v) return std::optional<bool>{};
  if (!v->is_boolean()) return field_error(field_path(path, key), "expected true, false or null");
  return std::optional<bool>(v->get<bool>());
}

inline Result<std::optional<std::string>> get_optional_string(const Json& obj, std::string_view key,
                                                              const std::string& path) {
  const Json* v = find_field(obj, key);
  if (!v) return std::optional<std::string>{};
  if (!v->is_string()) return field_error(field_path(path, key), "expected a string");
  return std::optional<std::string>(v->get<std::string>());
}

inline Result<std::string> get_string(const Json& obj, std::string_view key, const std::string& path) {
  const Json* v = find_field(obj, key);
  if (!v) return field_error(field_path(path, key), "missing");
  if (!v->is_string()) return field_error(field_path(path, key), "expected a string");
  return v->get<std::string>();
}

inline Result<std::int64_t> get_int(const Json& obj, std::string_view key, std::int64_t fallback,
                                    const std::string& path) {
  const Json* v = find_field(obj, key);
  if (!v) return fallback;
  if (!v->is_number_integer()) return field_error(field_path(path, key), "expected an integer");
  return v->get<std::int64_t>();
}

// A component object's "type" (e.g. "BertNormalizer").
inline Result<std::string> get_type(const Json& obj, const std::string& path) {
  if (!obj.is_object()) return field_error(path, "expected an object");
  return get_string(obj, "type", path);
}

inline Error unknown_type(const std::string& path, const std::string& type, std::string_view what) {
  return field_error(field_path(path, "type"), "unknown " + std::string(what) + " type '" + type + "'");
}

// A Hugging Face pattern: {"String": "literal"} or {"Regex": "pcre"}.
inline Result<Regex> get_pattern(const Json& obj, std::string_view key, const std::string& path) {
  const std::string p = field_path(path, key);
  const Json* v = find_field(obj, key);
  if (!v) return field_error(p, "missing");
  if (const Json* s = find_field(*v, "String"); s && s->is_string()) {
    auto re = Regex::compile(s->get<std::string>(), /*literal=*/true);
    if (!re) return field_error(p, re.error().message);
    return re;
  }
  if (const Json* r = find_field(*v, "Regex"); r && r->is_string()) {
    auto re = Regex::compile(r->get<std::string>());
    if (!re) return field_error(p, re.error().message);
    return re;
  }
  return field_error(p, R"(expected {"String": ...} or {"Regex": ...})");
}

// Sequence components nest; a hostile file must not recurse without bound.
constexpr int kMaxNesting = 16;
inline Error too_deep(const std::string& path) { return field_error(path, "components nested too deeply"); }

// Ids in tokenizer files index tables; anything beyond this is a corrupt file, not a vocabulary.
constexpr std::int64_t kMaxTokenId = (std::int64_t{1} << 24) - 1;

}  // namespace tl::tok
