#include "core/forward/input_limits.h"

#include <algorithm>
#include <string>

#include "core/util/memory_info.h"

namespace tl {

std::int64_t estimate_trace_bytes(const ModelSpec& s, std::int64_t n) {
  const std::int64_t D = s.hidden_size, F = s.intermediate_size, V = s.vocab_size;
  const std::int64_t qdim = std::int64_t(s.num_heads) * s.head_dim;
  const std::int64_t kvdim = std::int64_t(s.num_kv_heads) * s.head_dim;
  // BlockTrace (core/forward/trace.h): input, ln1 in/out, attn_out, ln2 in/out, ffn_out, output
  // [N, D]; q, k, v, context; attention probabilities; ffn pre, ratio, hidden (+ up when gated).
  const std::int64_t per_block =
      n * (8 * D + 2 * qdim + 2 * kvdim + (s.gated_ffn ? 4 : 3) * F) + std::int64_t(s.num_heads) * n * n;
  const std::int64_t embeddings = 4 * n * D;
  const std::int64_t head = n * V + (s.mlm_head ? 3 * n * D : 0) + n * D;
  return static_cast<std::int64_t>(sizeof(double)) * (per_block * s.num_layers + embeddings + head);
}

Status check_text_size(std::size_t text_bytes, const InputLimits& limits) {
  if (text_bytes <= limits.max_text_bytes) return Status::Ok();
  return make_error("the text is " + format_bytes(text_bytes) + ", more than the " +
                    format_bytes(limits.max_text_bytes) + " one analysis accepts; analyse a shorter passage");
}

Status check_input_size(const ModelSpec& spec, std::int64_t tokens, const InputLimits& limits) {
  const std::int64_t trace = estimate_trace_bytes(spec, tokens);
  const std::string estimate =
      "the forward pass would hold about " + format_bytes(static_cast<std::uint64_t>(trace));
  std::int64_t cap = limits.max_tokens;
  std::string why = "the limit for one analysis";
  if (spec.max_positions > 0 && spec.max_positions < cap) {
    cap = spec.max_positions;
    why = "the model's maximum number of positions";
  }
  if (tokens > cap) {
    return make_error(std::to_string(tokens) + " tokens is more than " + std::to_string(cap) + " (" + why +
                      "; " + estimate + "); analyse a shorter passage");
  }
  if (trace > limits.memory_budget) {
    return make_error(std::to_string(tokens) + " tokens: " + estimate + ", more than the budget of " +
                      format_bytes(static_cast<std::uint64_t>(limits.memory_budget)) +
                      "; analyse a shorter passage");
  }
  return Status::Ok();
}

}  // namespace tl
