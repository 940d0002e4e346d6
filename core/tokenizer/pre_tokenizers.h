#pragma once
// Pre-tokenizers of tokenizer.json ("pre_tokenizer"): ByteLevel, BertPreTokenizer, Whitespace,
// WhitespaceSplit, Metaspace, Split, Punctuation, Digits and Sequence. They cut the normalized text
// into the words the model sees.
#include <memory>
#include <string>
#include <vector>

#include "core/tokenizer/json_fields.h"
#include "core/tokenizer/normalized_string.h"

namespace tl::tok {

// A piece of the input on its way to the model. A matched added token is a piece too (added_id set):
// pre-tokenizers and the model leave it alone.
struct Piece {
  NormalizedString text;
  int added_id = -1;
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  virtual void pre_tokenize(std::vector<Piece>& pieces) const = 0;
};

Result<std::unique_ptr<PreTokenizer>> parse_pre_tokenizer(const Json& j, const std::string& path);

// GPT-2's pre-tokenizer (split regex + byte-level alphabet), for vocab.json + merges.txt folders.
std::unique_ptr<PreTokenizer> make_byte_level_pre_tokenizer(bool add_prefix_space);
// BERT's (split on whitespace, isolate punctuation), for vocab.txt folders.
std::unique_ptr<PreTokenizer> make_bert_pre_tokenizer();

// Replaces every piece without an added token by the pieces f(text) returns; empty ones are dropped.
template <class F>
void split_pieces(std::vector<Piece>& pieces, F&& f) {
  std::vector<Piece> out;
  out.reserve(pieces.size());
  for (Piece& p : pieces) {
    if (p.added_id >= 0) {
      out.push_back(std::move(p));
      continue;
    }
    for (NormalizedString& ns : f(p.text))
      if (!ns.empty()) out.push_back(Piece{std::move(ns), -1});
  }
  pieces.swap(out);
}

}  // namespace tl::tok
