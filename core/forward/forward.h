#pragma once
// CPU forward pass (Eigen) for every family, producing a Trace.
#include <span>

#include "core/forward/trace.h"
#include "core/model/model.h"
#include "core/util/result.h"

namespace tl {

struct ForwardInput {
  std::vector<int> ids;
  std::vector<int> token_types;     // optional (BERT segments); empty = all zeros
  std::vector<int> attention_mask;  // optional 1/0 per token (0 = padding); empty = all ones
  // Optional [N, D] rows used instead of the token-embedding lookup (position and token-type
  // embeddings are still added, as Hugging Face's inputs_embeds path does). Gradient methods
  // (integrated gradients, saliency) and finite-difference tests feed perturbed inputs here;
  // `ids` must still be given (same length) for labels and the MLM/unembedding side.
  MatD inputs_embeds;
};

struct ForwardOptions {
  Precision precision = Precision::Float32;
};

// Errors: ids out of vocabulary, sequence longer than max positions, bad token types.
Result<Trace> forward(const Model& model, const ForwardInput& input, const ForwardOptions& options = {});

// The part of the forward pass every backend shares (the CPU pass above, the device pass of
// core/gpu/device_forward.h): checks the model's shapes and the input, and returns a Trace with
// precision, ids, position ids and token types filled in. Same errors as forward().
Result<Trace> start_trace(const Model& model, const ForwardInput& input, Precision precision);

}  // namespace tl
