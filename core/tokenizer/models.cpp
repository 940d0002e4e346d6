// Vocab and the "model" section of tokenizer.json.
#include "core/tokenizer/models.h"

#include <algorithm>

namespace tl::tok {

Result<Vocab> Vocab::from_json(const Json& obj, const std::string& path) {
  if (!obj.is_object()) return field_error(path, "expected an object of piece: id");
  if (obj.empty()) return field_error(path, "empty vocabulary");
  std::int64_t max_id = -1;
  for (const auto& [piece, id] : obj.items()) {
    if (!id.is_number_integer() || id.get<std::int64_t>() < 0 || id.get<std::int64_t>() > kMaxTokenId)
      return field_error(path + "[\"" + piece + "\"]",
                         "expected an id in [0, " + std::to_string(kMaxTokenId) + "]");
    max_id = std::max(max_id, id.get<std::int64_t>());
  }
  // Ids index a table: a few gaps are fine, a handful of entries with huge ids is a corrupt file.
  if (static_cast<std::size_t>(max_id) > 2 * obj.size() + 1024)
    return field_error(path, "ids are sparse (largest id " + std::to_string(max_id) + " for " +
                                 std::to_string(obj.size()) + " entries)");
  Vocab v;
  v.to_id_.reserve(obj.size());
  for (const auto& [piece, id] : obj.items()) v.add(piece, static_cast<int>(id.get<std::int64_t>()));
  return v;
}

void Vocab::add(std::string piece, int id) {
  const auto index = static_cast<std::size_t>(id);
  if (index >= pieces_.size()) {
    pieces_.resize(index + 1);
    has_piece_.resize(index + 1, false);
  }
  pieces_[index] = piece;
  has_piece_[index] = true;
  to_id_[std::move(piece)] = id;
}

std::optional<int> Vocab::find(std::string_view piece) const {
  const auto it = to_id_.find(piece);
  if (it == to_id_.end()) return std::nullopt;
  return it->second;
}

const std::string* Vocab::piece(int id) const {
  if (id < 0 || id >= size() || !has_piece_[static_cast<std::size_t>(id)]) return nullptr;
  return &pieces_[static_cast<std::size_t>(id)];
}

namespace {

// Merges are "a b" strings (tokenizers <= 0.19) or ["a", "b"] pairs (newer files).
Result<MergeList> parse_merges(const Json& j, const std::string& path) {
  if (!j.is_array()) return field_error(path, "expected an array");
  MergeList merges;
  merges.reserve(j.size());
  for (std::size_t i = 0; i < j.size(); ++i) {
    const Json& m = j[i];
    if (m.is_string()) {
      const std::string s = m.get<std::string>();
      const std::size_t space = s.find(' ');
      if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos)
        return field_error(index_path(path, i), "expected \"left right\"");
      merges.emplace_back(s.substr(0, space), s.substr(space + 1));
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      merges.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
    } else {
      return field_error(index_path(path, i), "expected \"left right\" or [\"left\", \"right\"]");
    }
  }
  return merges;
}

Result<std::unique_ptr<Model>> parse_bpe(const Json& j, const std::string& path) {
  const Json* vocab_json = find_field(j, "vocab");
  if (!vocab_json) return field_error(field_path(path, "vocab"), "missing");
  TL_TOK_TRY(vocab, Vocab::from_json(*vocab_json, field_path(path, "vocab")));
  MergeList merges;
  if (const Json* merges_json = find_field(j, "merges")) {
    TL_TOK_TRY(parsed, parse_merges(*merges_json, field_path(path, "merges")));
    merges = std::move(parsed);
  }
  BpeOptions o;
  TL_TOK_TRY(unk, get_optional_string(j, "unk_token", path));
  TL_TOK_TRY(prefix, get_optional_string(j, "continuing_subword_prefix", path));
  TL_TOK_TRY(suffix, get_optional_string(j, "end_of_word_suffix", path));
  TL_TOK_TRY(fuse_unk, get_bool(j, "fuse_unk", false, path));
  TL_TOK_TRY(byte_fallback, get_bool(j, "byte_fallback", false, path));
  TL_TOK_TRY(ignore_merges, get_bool(j, "ignore_merges", false, path));
  // "dropout" only matters for training-time sampling; encoding here is deterministic.
  o.unk_token = std::move(unk);
  o.continuing_subword_prefix = prefix.value_or("");
  o.end_of_word_suffix = suffix.value_or("");
  o.fuse_unk = fuse_unk;
  o.byte_fallback = byte_fallback;
  o.ignore_merges = ignore_merges;
  return make_bpe(std::move(vocab), merges, std::move(o), field_path(path, "merges"));
}

Result<std::unique_ptr<Model>> parse_wordpiece(const Json& j, const std::string& path) {
  const Json* vocab_json = find_field(j, "vocab");
  if (!vocab_json) return field_error(field_path(path, "vocab"), "missing");
  TL_TOK_TRY(vocab, Vocab::from_json(*vocab_json, field_path(path, "vocab")));
  TL_TOK_TRY(unk, get_optional_string(j, "unk_token", path));
  TL_TOK_TRY(prefix, get_optional_string(j, "continuing_subword_prefix", path));
  TL_TOK_TRY(max_chars, get_int(j, "max_input_chars_per_word", 100, path));
  if (max_chars < 0) return field_error(field_path(path, "max_input_chars_per_word"), "must not be negative");
  return make_wordpiece(std::move(vocab), unk.value_or("[UNK]"), prefix.value_or("##"),
                        static_cast<std::size_t>(max_chars), path);
}

}  // namespace

Result<std::unique_ptr<Model>> parse_model(const Json& j, const std::string& path) {
  if (!j.is_object()) return field_error(path, "expected an object");
  TL_TOK_TRY(type_field, get_optional_string(j, "type", path));
  std::string type;
  if (type_field) {
    type = *type_field;
  } else if (find_field(j, "merges")) {  // files from before "type" was written
    type = "BPE";
  } else if (find_field(j, "max_input_chars_per_word")) {
    type = "WordPiece";
  } else {
    return field_error(field_path(path, "type"), "missing");
  }
  if (type == "BPE") return parse_bpe(j, path);
  if (type == "WordPiece") return parse_wordpiece(j, path);
  if (type == "Unigram" || type == "WordLevel")
    return field_error(field_path(path, "type"),
                       "model type '" + type + "' is not supported (BPE and WordPiece are)");
  return unknown_type(path, type, "model");
}

}  // namespace tl::tok
