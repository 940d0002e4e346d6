#pragma once
// Evaluation inputs: sentences read from a file and turned into model inputs with the position
// whose prediction is explained.
//
// Sentence file format (UTF-8 text, one sentence per line):
// - blank lines and lines starting with '#' are skipped; a trailing '\r' is dropped;
// - causal LMs: the line is the prefix; the explained prediction is the next token after it
//   (the model's argmax at the last position);
// - masked LMs: the line contains the marker `[MASK]` (spelled that way whatever the tokenizer's
//   mask token is: `<mask>` for RoBERTa is substituted); the first mask is the explained position
//   and the prediction is the model's argmax there;
// - sequence classifiers would explain the predicted class, but no supported family loads a
//   classification head yet, so a model without an LM head is an error.
#include <filesystem>
#include <string>
#include <vector>

#include "core/forward/forward.h"
#include "core/model/model.h"
#include "core/tokenizer/tokenizer.h"
#include "core/util/result.h"

namespace tl::eval {

struct EvalExample {
  std::string text;          // the line as written (for reports)
  ForwardInput input;        // ids (and token types)
  int position = -1;         // the explained position
  // Per token: may the perturbation test replace it? Special tokens (BOS, CLS, SEP) and the
  // explained mask position stay; everything else may be removed.
  std::vector<bool> removable;
};

// The lines of a sentence file (comments and blank lines skipped). Errors name the file.
Result<std::vector<std::string>> read_sentence_file(const std::filesystem::path& path);

// Tokenizes the lines for `model`. Errors name the line number (1-based among the given lines):
// an MLM line without `[MASK]`, a line longer than the model's positions, an empty line.
Result<std::vector<EvalExample>> make_examples(const std::vector<std::string>& lines, const Model& model,
                                               const Tokenizer& tokenizer);

// An example from ids alone (tests, models without a tokenizer): position -1 = the last token for
// causal models; every token but the explained one of an encoder is removable, and for causal
// models every token but the first when it is the model's BOS.
EvalExample example_from_ids(const Model& model, std::vector<int> ids, int position = -1);

}  // namespace tl::eval
