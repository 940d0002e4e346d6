#include "tests/support/synthetic_model.h"

#include <algorithm>
#include <random>

namespace tl {

ModelSpec synthetic_spec(Family family, const SyntheticShape& shape) {
  ModelSpec s;
  s.family = family;
  s.model_type = to_string(family);
  s.stored_dtype = "F32";
  s.vocab_size = shape.vocab;
  s.hidden_size = shape.hidden;
  s.num_layers = shape.layers;
  s.num_heads = shape.heads;
  s.num_kv_heads = shape.kv_heads > 0 ? shape.kv_heads : shape.heads;
  s.head_dim = shape.hidden / shape.heads;
  s.intermediate_size = shape.ffn;
  s.max_positions = shape.max_positions;
  switch (family) {
    case Family::Gpt2:
      s.activation = Activation::GeluTanh;
      s.final_norm = true;
      s.tied_embeddings = true;
      s.attention_bias = s.output_bias = s.mlp_bias = true;
      break;
    case Family::Bert:
    case Family::Roberta:
      s.topology = Topology::PostNorm;
      s.causal = false;
      s.embedding_norm = true;
      s.mlm_head = true;
      s.tied_embeddings = true;
      s.type_vocab_size = family == Family::Bert ? 2 : 1;
      s.norm_eps = 1e-12;
      s.attention_bias = s.output_bias = s.mlp_bias = true;
      if (family == Family::Roberta) {
        s.pad_token_id = 1;
        s.position_offset = 2;
        s.max_positions = shape.max_positions + 2;
      }
      break;
    case Family::GptNeox:
      s.topology = Topology::Parallel;
      s.positions = Positions::Rotary;
      s.rotary_dim = std::max(2, s.head_dim / 4 / 2 * 2);
      s.final_norm = true;
      s.attention_bias = s.output_bias = s.mlp_bias = true;
      break;
    case Family::Llama:
      s.norm = NormKind::RMSNorm;
      s.activation = Activation::Silu;
      s.positions = Positions::Rotary;
      s.rotary_dim = s.head_dim;
      s.gated_ffn = true;
      s.final_norm = true;
      break;
  }
  return s;
}

ModelSpec gpt2_small_spec() {
  SyntheticShape shape;
  shape.vocab = 50257;
  shape.hidden = 768;
  shape.layers = 12;
  shape.heads = 12;
  shape.ffn = 3072;
  shape.max_positions = 1024;
  ModelSpec s = synthetic_spec(Family::Gpt2, shape);
  s.model_type = "gpt2";
  return s;
}

Model make_synthetic_model(const ModelSpec& spec, std::uint32_t seed, float matrix_std) {
  std::mt19937 rng(seed);
  auto matrix = [&](int rows, int cols) {
    std::normal_distribution<float> dist(0.0f, matrix_std);
    MatF m(rows, cols);
    for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = dist(rng);
    return m;
  };
  auto vector = [&](int n, float mean, float stddev) {
    std::normal_distribution<float> dist(mean, stddev);
    VecF v(n);
    for (Eigen::Index i = 0; i < n; ++i) v[i] = dist(rng);
    return v;
  };
  const ModelSpec& s = spec;
  const int D = s.hidden_size, F = s.intermediate_size, q = s.num_heads * s.head_dim, kv = s.num_kv_heads * s.head_dim;
  auto norm = [&] {
    NormWeights n{vector(D, 1.0f, 0.1f), VecF()};
    if (s.norm == NormKind::LayerNorm) n.beta = vector(D, 0.0f, 0.1f);
    return n;
  };
  auto linear = [&](int in, int out, bool bias) {
    return Linear{matrix(in, out), bias ? vector(out, 0.0f, 0.1f) : VecF()};
  };

  Model m;
  m.spec = spec;
  m.name = "synthetic-" + std::string(to_string(spec.family));
  m.source = "synthetic:seed " + std::to_string(seed);
  Weights& w = m.weights;
  w.token_embedding = matrix(s.vocab_size, D);
  if (s.positions == Positions::Learned) w.position_embedding = matrix(s.max_positions, D);
  if (s.type_vocab_size > 0) w.token_type_embedding = matrix(s.type_vocab_size, D);
  if (s.embedding_norm) w.embedding_norm = norm();
  for (int l = 0; l < s.num_layers; ++l) {
    BlockWeights b;
    b.ln1 = norm();
    b.ln2 = norm();
    b.attn = AttentionWeights{linear(D, q, s.attention_bias), linear(D, kv, s.attention_bias),
                              linear(D, kv, s.attention_bias), linear(q, D, s.output_bias)};
    b.ffn.up = linear(D, F, s.mlp_bias);
    if (s.gated_ffn) b.ffn.gate = linear(D, F, s.mlp_bias);
    b.ffn.down = linear(F, D, s.mlp_bias);
    w.blocks.push_back(std::move(b));
  }
  if (s.final_norm) w.final_norm = norm();
  if (!s.tied_embeddings) w.lm_head = matrix(s.vocab_size, D);
  if (s.mlm_head) {
    MlmHeadWeights head;
    head.dense = linear(D, D, true);
    head.norm = NormWeights{vector(D, 1.0f, 0.1f), vector(D, 0.0f, 0.1f)};
    head.decoder_bias = vector(s.vocab_size, 0.0f, 0.1f);
    w.mlm = std::move(head);
  }
  return m;
}

}  // namespace tl
