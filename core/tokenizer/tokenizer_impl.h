#pragma once
// Tokenizer::Impl: the pipeline of one tokenizer (added tokens -> normalizer -> pre-tokenizer ->
// model -> post-processor; decoder for the way back) and its special token ids. Built by
// tokenizer_load.cpp, run by tokenizer.cpp.
#include <memory>
#include <string>
#include <vector>

#include "core/tokenizer/added_vocabulary.h"
#include "core/tokenizer/decoders.h"
#include "core/tokenizer/models.h"
#include "core/tokenizer/normalizers.h"
#include "core/tokenizer/post_processors.h"
#include "core/tokenizer/pre_tokenizers.h"
#include "core/tokenizer/tokenizer.h"

namespace tl {

struct SpecialIds {
  int bos = -1, eos = -1, unk = -1, pad = -1, mask = -1, cls = -1, sep = -1;
};

struct Tokenizer::Impl {
  std::unique_ptr<tok::Normalizer> normalizer;         // may be null
  std::unique_ptr<tok::PreTokenizer> pre_tokenizer;    // may be null
  std::unique_ptr<tok::Model> model;                   // never null
  std::unique_ptr<tok::PostProcessor> post_processor;  // may be null
  std::unique_ptr<tok::Decoder> decoder;               // may be null
  tok::AddedVocabulary added;
  SpecialIds special;
  std::string source;  // the file it came from, for messages

  // Encodes one text without post-processing; tokens get `sequence` and type id `type_id`.
  Encoding encode_sequence(std::string_view text, int sequence, int type_id) const;
  Encoding post_process(std::vector<tok::SeqEncoding> encodings, bool add_special_tokens) const;
  std::optional<int> find_id(std::string_view token) const;  // added tokens first, then the model
};

}  // namespace tl
