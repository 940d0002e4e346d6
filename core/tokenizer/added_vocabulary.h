#pragma once
// Added tokens (tokenizer.json "added_tokens"): strings matched in the input before the model sees
// it, such as "<|endoftext|>" or "[SEP]". As in Hugging Face tokenizers, tokens with
// normalized=false are matched in the raw text, and tokens with normalized=true are matched, in
// their normalized form, in the normalized text: with Llama's normalizer "<s>" is looked for as
// "▁<s>", so "a</s>b" keeps "</s>" as plain text.
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/tokenizer/normalizers.h"
#include "core/tokenizer/pre_tokenizers.h"

namespace tl::tok {

struct AddedToken {
  std::string content;
  int id = -1;
  bool single_word = false;  // only match when not inside a word
  bool lstrip = false;       // the match swallows whitespace on its left
  bool rstrip = false;       // ... and on its right
  bool normalized = true;
  bool special = false;
};

class AddedVocabulary {
 public:
  AddedVocabulary() = default;
  // normalizer: the tokenizer's normalizer (may be null), applied to the normalized=true patterns.
  AddedVocabulary(std::vector<AddedToken> tokens, const Normalizer* normalizer);

  // Splits the input into matched added tokens and normalized text pieces.
  std::vector<Piece> extract_and_normalize(const Normalizer* normalizer, const NormalizedString& text) const;

  const std::vector<AddedToken>& tokens() const { return tokens_; }
  const AddedToken* by_id(int id) const;
  const AddedToken* by_content(std::string_view content) const;

 private:
  // Patterns sorted by bytes (equal ones in priority order). The longest pattern the text starts
  // with at a position is found by narrowing the sorted range one byte at a time: O(match length x
  // log patterns) per position, instead of comparing every pattern with the same first byte (with
  // 1,000,000 added tokens that took 1.7 ms per character).
  struct Matcher {
    std::vector<std::pair<std::string, std::size_t>> patterns;  // (pattern, index into tokens_)
    void add(std::string pattern, std::size_t token);
    void finish();
    // Index into patterns of the longest one text[i..] starts with, SIZE_MAX for none.
    std::size_t longest_at(std::string_view text, std::size_t i) const;
  };
  struct Found {
    Span span;
    int token = -1;  // index into tokens_, -1 for text between matches
  };
  std::vector<Found> find(const Matcher& m, std::string_view text) const;

  std::vector<AddedToken> tokens_;
  std::unordered_map<int, std::size_t> index_by_id_;
  std::unordered_map<std::string, std::size_t> index_by_content_;
  Matcher raw_, normalized_;
};

}  // namespace tl::tok
