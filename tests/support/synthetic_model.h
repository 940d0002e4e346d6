#pragma once
// Random-weight models built in code, for tests and benchmarks of the methods (no files, no
// loader): every family's spec, shaped as asked, with weights drawn like the reference fixtures
// (tests/data/FIXTURES.md §1: matrices N(0, 0.2^2), biases N(0, 0.1^2), norm gains 1 + N(0, 0.1^2)),
// optionally scaled down for wide models so activations stay in a realistic range.
#include <cstdint>

#include "core/model/model.h"

namespace tl {

struct SyntheticShape {
  int vocab = 40;
  int hidden = 16;
  int layers = 2;
  int heads = 4;
  int kv_heads = 0;  // 0 = heads (no GQA)
  int ffn = 32;
  int max_positions = 64;
};

// A spec of `family` with the family's topology, norm, activation, positions and heads
// (GPT-2: pre-LN, GELU tanh, learned positions, tied; BERT/RoBERTa: post-LN, GELU erf, embedding
// LayerNorm, segments, MLM head; NeoX: parallel residual, partial rotary (1/4 of the head), untied;
// Llama: RMSNorm, SiLU-gated FFN, RoPE, untied).
ModelSpec synthetic_spec(Family family, const SyntheticShape& shape);

// Weights for any spec (the spec's flags decide which tensors exist). `matrix_std` scales the
// matrices (0.2 as the fixtures; use about 1/sqrt(hidden) for wide models).
Model make_synthetic_model(const ModelSpec& spec, std::uint32_t seed, float matrix_std = 0.2f);

// GPT-2 small's shape (D 768, 12 layers, 12 heads, FFN 3072, vocab 50257, 1024 positions).
ModelSpec gpt2_small_spec();

}  // namespace tl
