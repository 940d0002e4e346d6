#pragma once
// Limits on one sentence, checked before the forward pass (or the tokenizer) allocates anything:
// the text size, the token count (the model's positions and an interactive cap) and the memory the
// Trace would hold, so a 10,000-token paste is refused at once with the estimate in the message
// instead of running out of memory or keeping the machine busy for minutes.
#include <cstddef>
#include <cstdint>

#include "core/model/spec.h"
#include "core/util/result.h"

namespace tl {

struct InputLimits {
  std::size_t max_text_bytes = std::size_t(1) << 20;   // checked before tokenizing
  std::int64_t max_tokens = 2048;                      // one analysis; also capped by the model's positions
  std::int64_t memory_budget = std::int64_t(2) << 30;  // bytes the Trace may hold (same default as the lens)
};

// Bytes a forward Trace of `tokens` tokens holds (doubles: per-block activations, attention
// probabilities H x N x N, logits N x V). An estimate from the sizes, within a few percent.
std::int64_t estimate_trace_bytes(const ModelSpec& spec, std::int64_t tokens);

// Before tokenizing: the text is not absurdly large.
Status check_text_size(std::size_t text_bytes, const InputLimits& limits = {});
// Before the forward pass: the token count fits the model and the limits, and the Trace fits the
// budget. Messages say how many tokens there are, the limit, and the Trace estimate.
Status check_input_size(const ModelSpec& spec, std::int64_t tokens, const InputLimits& limits = {});

}  // namespace tl
