#pragma once
// Normalizers of tokenizer.json ("normalizer"): BertNormalizer, Lowercase, StripAccents, NFD, NFKD,
// NFC, NFKC, Prepend, Replace, Strip and Sequence. Each edits a NormalizedString in place, keeping
// the alignment to the original text.
#include <memory>
#include <string>

#include "core/tokenizer/json_fields.h"
#include "core/tokenizer/normalized_string.h"

namespace tl::tok {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void normalize(NormalizedString& s) const = 0;
};

Result<std::unique_ptr<Normalizer>> parse_normalizer(const Json& j, const std::string& path);

// BERT's normalizer (clean text, pad CJK ideographs, strip accents when lowercasing, lowercase):
// what a vocab.txt folder gets.
std::unique_ptr<Normalizer> make_bert_normalizer(bool lowercase, bool strip_accents,
                                                 bool handle_chinese_chars);

}  // namespace tl::tok
