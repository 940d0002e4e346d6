#include "core/model/spec.h"

namespace tl {

const char* to_string(Family f) {
  switch (f) {
    case Family::Bert: return "bert";
    case Family::Roberta: return "roberta";
    case Family::Gpt2: return "gpt2";
    case Family::GptNeox: return "gpt_neox";
    case Family::Llama: return "llama";
  }
  return "?";
}

const char* to_string(NormKind n) { return n == NormKind::LayerNorm ? "LayerNorm" : "RMSNorm"; }

const char* to_string(Activation a) {
  switch (a) {
    case Activation::GeluErf: return "gelu (erf)";
    case Activation::GeluTanh: return "gelu (tanh)";
    case Activation::Silu: return "silu";
    case Activation::Relu: return "relu";
  }
  return "?";
}

const char* to_string(Topology t) {
  switch (t) {
    case Topology::PreNorm: return "pre-norm";
    case Topology::PostNorm: return "post-norm";
    case Topology::Parallel: return "parallel residual";
  }
  return "?";
}

std::int64_t ModelSpec::parameter_count() const {
  const std::int64_t D = hidden_size, F = intermediate_size, V = vocab_size;
  const std::int64_t qdim = std::int64_t(num_heads) * head_dim, kvdim = std::int64_t(num_kv_heads) * head_dim;
  const std::int64_t norm_params = norm == NormKind::LayerNorm ? 2 * D : D;
  std::int64_t n = V * D;  // token embedding
  if (positions == Positions::Learned) n += std::int64_t(max_positions) * D;
  n += std::int64_t(type_vocab_size) * D;
  if (embedding_norm) n += norm_params;
  std::int64_t block = D * qdim + 2 * D * kvdim + qdim * D + 2 * norm_params;
  if (attention_bias) block += qdim + 2 * kvdim;
  if (output_bias) block += D;
  block += (gated_ffn ? 3 : 2) * D * F;
  if (mlp_bias) block += F + D;
  n += block * num_layers;
  if (final_norm) n += norm_params;
  if (!tied_embeddings) n += V * D;
  if (mlm_head) n += D * D + D + norm_params + V;
  return n;
}

}  // namespace tl
