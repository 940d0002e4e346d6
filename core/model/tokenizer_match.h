#pragma once
// check_tokenizer_matches: a model and the tokenizer loaded for it must agree on the vocabulary.
// A tokenizer whose ids reach past config.json's vocab_size (files from two different models in
// one folder) would otherwise surface much later as "token id 50256 is outside the vocabulary"
// from the forward pass, without saying which files disagree.
#include <string_view>

#include "core/model/model.h"
#include "core/tokenizer/tokenizer.h"
#include "core/util/result.h"

namespace tl {

// Ok when every id the tokenizer can produce is below the model's vocab_size; otherwise
// "<tokenizer> and <model>/config.json disagree: the tokenizer has 50257 ids (0..50256), but vocab_size
// in config.json is 1000 (are they from different models?)".
Status check_tokenizer_matches(const Model& model, const Tokenizer& tokenizer);

}  // namespace tl
