#pragma once
// Text generation for causal LMs, deterministic for a given seed on every platform: one full
// forward pass per new token (no cache; the models this serves are small), temperature sampling
// with tl::SplitMix64 (core/util/rng.h).
//
// Sampling rule, step by step: p = softmax(logits / temperature) in double over the whole
// vocabulary (no top-k/top-p); u = rng.uniform(); the token is the first id whose cumulative
// probability exceeds u * sum(p) (the last id if rounding leaves none). temperature 0 is greedy
// (argmax, lowest id on ties) and draws nothing. Generation stops after `tokens` new tokens, at
// the model's EOS, or at the model's maximum positions.
#include <cstdint>
#include <vector>

#include "core/forward/forward.h"
#include "core/util/rng.h"

namespace tl {

struct GenerateOptions {
  int tokens = 32;           // new tokens at most
  double temperature = 1.0;  // 0 = greedy
  bool stop_at_eos = true;
};

// Continues `prompt_ids` (at least one token, e.g. BOS); returns the new tokens only. `rng` is
// advanced by one draw per sampled token, so several samples from one generator are reproducible
// as a sequence. Errors: a causal LM is required; forward-pass errors pass through.
Result<std::vector<int>> generate(const Model& model, const std::vector<int>& prompt_ids, const GenerateOptions& options,
                                  SplitMix64& rng);

// The sampling step alone (exposed for tests).
int sample_token(const Eigen::RowVectorXd& logits, double temperature, SplitMix64& rng);

}  // namespace tl
