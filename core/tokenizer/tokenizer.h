#pragma once
// Tokenizer from Hugging Face tokenizer.json (tokenizers 0.13 and newer merges syntax), with
// fallbacks vocab.json + merges.txt (GPT-2 style BPE) and vocab.txt (BERT WordPiece).
// Every token carries its byte span in the input text, which the GUI uses to label tokens.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/progress.h"
#include "core/util/result.h"

namespace tl {

struct Encoding {
  std::vector<int> ids;
  std::vector<std::string> tokens;  // vocabulary pieces as stored ("Ġthe", "##ing", "▁the", "<0x0A>")
  // Byte span [begin, end) of each token in its input text. Special tokens added by the
  // post-processor have an empty span at the position where they were inserted.
  std::vector<std::pair<std::size_t, std::size_t>> spans;
  std::vector<int> sequence;  // 0 for text, 1 for text_pair, -1 for added special tokens
  std::vector<int> type_ids;  // token type (segment) ids from the post-processor
  std::vector<bool> special;  // true for special tokens (added by post-processor or matched added tokens)
  // Set (and the encoding empty) when the text could not be tokenized within the tokenizer's time
  // budget (a pathological regex in tokenizer.json): "<tokenizer.json>: regex '...' takes too long ...".
  std::string error;

  std::size_t size() const { return ids.size(); }
};

class Tokenizer {
 public:
  // tokenizer.json in a folder, else vocab.json + merges.txt, else vocab.txt.
  static Result<Tokenizer> from_dir(const std::filesystem::path& dir);
  static Result<Tokenizer> from_json(std::string_view tokenizer_json, std::string_view source_name = "tokenizer.json");
  static Result<Tokenizer> from_file(const std::filesystem::path& tokenizer_json);
  // The tokenizer compiled into the binary with the default model.
  static Result<Tokenizer> embedded();

  // Tokenization is bounded in time for any tokenizer.json: added tokens are found in time linear in
  // the text (times the longest added token matched), and every regex search of one call shares a
  // deadline (kEncodeSecondsBase + kEncodeSecondsPerByte x text size). Past it, encode() returns an
  // empty Encoding with `error` set; encode_checked returns the error. `progress` may cancel (throws
  // tl::Cancelled).
  static constexpr double kEncodeSecondsBase = 1.0, kEncodeSecondsPerByte = 4e-6;
  Encoding encode(std::string_view text, bool add_special_tokens = true) const;
  Encoding encode_pair(std::string_view text, std::string_view text_pair, bool add_special_tokens = true) const;
  Result<Encoding> encode_checked(std::string_view text, bool add_special_tokens = true,
                                  const Progress* progress = nullptr) const;
  Result<Encoding> encode_pair_checked(std::string_view text, std::string_view text_pair,
                                       bool add_special_tokens = true, const Progress* progress = nullptr) const;
  std::string decode(const std::vector<int>& ids, bool skip_special_tokens = false) const;

  int vocab_size() const;  // one more than the largest id it can produce
  // The file it was loaded from (tokenizer.json, or the folder of a vocab.json / vocab.txt fallback).
  const std::string& source() const;
  std::string id_to_token(int id) const;           // "" when out of range
  std::optional<int> token_to_id(std::string_view token) const;
  // A readable label for a token in the GUI: decoded text of the piece ("Ġthe" -> " the").
  std::string display_token(int id) const;

  // Special token ids, -1 when the tokenizer has none.
  int bos_id() const;
  int eos_id() const;
  int unk_id() const;
  int pad_id() const;
  int mask_id() const;  // [MASK] / <mask>
  int cls_id() const;
  int sep_id() const;
  bool is_special(int id) const;

  struct Impl;
  Tokenizer(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

 private:
  std::shared_ptr<const Impl> impl_;
};

}  // namespace tl
