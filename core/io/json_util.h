#pragma once
// parse_json: the one way core/ parses a JSON file (config.json, tokenizer.json, the safetensors
// header and index, tokenizer_config.json, special_tokens_map.json, vocab.json). Files are hostile
// input, so before nlohmann-json sees the text:
//  - the encoding is checked: UTF-16 / UTF-32 (with or without a byte-order mark) is named as such
//    ("is UTF-16 (little-endian), expected UTF-8") instead of a parse error on byte 0xFF;
//  - one linear pre-scan bounds the nesting depth (JsonLimits::max_depth) and estimates the memory the
//    parsed document will take from its counts of containers, values, object members and string
//    bytes; an estimate over the budget (a multiple of the text size plus a floor) or over the free
//    memory is refused with the file named, so a 200 MB file of nested arrays cannot grow to GBs;
//  - parse errors name the file and the position and never echo raw bytes (non-printable bytes are
//    written as \xNN); std::bad_alloc is caught and reported with the file name.
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/util/result.h"

namespace tl {

struct JsonLimits {
  std::size_t max_depth = 512;                         // nested arrays/objects
  std::uint64_t memory_per_text_byte = 16;             // budget: this x the text size ...
  std::uint64_t memory_floor = std::uint64_t(64) << 20;  // ... plus this
};

// "" when the text can be UTF-8 JSON; otherwise what it is ("UTF-16 (little-endian, with a
// byte-order mark)").
std::string json_encoding_problem(std::string_view text);

// Estimated bytes nlohmann-json takes for `text`, or an error (depth, encoding) naming `source`.
Result<std::uint64_t> estimate_json_memory(std::string_view text, const std::string& source,
                                           const JsonLimits& limits = {});

// Errors start with `source` ("<source>: not valid JSON (line 3, column 7: ...)").
Result<nlohmann::json> parse_json(std::string_view text, const std::string& source, const JsonLimits& limits = {});

// Why a JSON value is not an int64 as written, for messages: "is too large for an integer (about
// 1e+26)", "is not an integer (1.5)", "is written with a decimal point or exponent (1000.0), not as an
// integer", "is a string (\"12\")". Empty when it is an integer that fits int64.
std::string json_integer_problem(const nlohmann::json& v);

// Text made safe for a one-line message: bytes outside printable ASCII as \xNN, at most max_len.
std::string printable(std::string_view text, std::size_t max_len = 200);

}  // namespace tl
