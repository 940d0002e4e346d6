#pragma once
// Models of tokenizer.json ("model"): BPE and WordPiece over a shared Vocab. A model turns one
// pre-tokenized word into vocabulary ids with byte ranges inside the word.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/tokenizer/json_fields.h"

namespace tl::tok {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
template <class V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

// Piece <-> id. Ids need not be dense; size() is the largest id + 1.
class Vocab {
 public:
  // {"piece": id, ...}
  static Result<Vocab> from_json(const Json& obj, const std::string& path);
  void add(std::string piece, int id);
  std::optional<int> find(std::string_view piece) const;
  const std::string* piece(int id) const;  // nullptr when no piece has this id
  int size() const { return static_cast<int>(pieces_.size()); }
  std::size_t count() const { return to_id_.size(); }

 private:
  StringMap<int> to_id_;
  std::vector<std::string> pieces_;
  std::vector<bool> has_piece_;
};

struct ModelToken {
  int id = 0;
  std::size_t begin = 0;  // byte range inside the word
  std::size_t end = 0;
};

class Model {
 public:
  virtual ~Model() = default;
  // Appends the tokens of one word (non-empty valid UTF-8).
  virtual void tokenize(std::string_view word, std::vector<ModelToken>& out) const = 0;
  const Vocab& vocab() const { return vocab_; }
  std::optional<int> unk_id() const { return unk_id_; }

 protected:
  Vocab vocab_;
  std::optional<int> unk_id_;
};

struct BpeOptions {
  std::optional<std::string> unk_token;
  std::string continuing_subword_prefix;  // "" when absent
  std::string end_of_word_suffix;         // "" when absent
  bool fuse_unk = false;
  bool byte_fallback = false;
  bool ignore_merges = false;
};

using MergeList = std::vector<std::pair<std::string, std::string>>;

// path names the merges field in errors ("model.merges" or "merges.txt").
Result<std::unique_ptr<Model>> make_bpe(Vocab vocab, const MergeList& merges, BpeOptions options,
                                        const std::string& path);
Result<std::unique_ptr<Model>> make_wordpiece(Vocab vocab, const std::string& unk_token, std::string prefix,
                                              std::size_t max_input_chars_per_word, const std::string& path);

Result<std::unique_ptr<Model>> parse_model(const Json& j, const std::string& path);

}  // namespace tl::tok
