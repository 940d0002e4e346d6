#pragma once
// Weights in one canonical layout for every family, float32, Eigen column-major.
// Every linear map is stored as W [in, out] so that y = x W + b with x one token per row
// (GPT-2's Conv1D layout; nn.Linear [out, in] weights are transposed once at load). Fused
// projections (GPT-2 c_attn, NeoX per-head interleaved query_key_value) are split at load.
// An empty bias vector means "no bias"; RMSNorm has an empty beta.
#include <Eigen/Dense>
#include <optional>
#include <vector>

namespace tl {

using MatF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic>;
using VecF = Eigen::Matrix<float, Eigen::Dynamic, 1>;

struct Linear {
  MatF W;  // [in, out]
  VecF b;  // [out] or empty
};

struct NormWeights {
  VecF gamma;  // [D]
  VecF beta;   // [D] or empty (RMSNorm)
};

struct AttentionWeights {
  Linear q;  // [D, H*hd]
  Linear k;  // [D, KV*hd]
  Linear v;  // [D, KV*hd]
  Linear o;  // [H*hd, D]
};

// Non-gated: down(act(up(x))). Gated (SwiGLU): down(act(gate(x)) * up(x)); gate empty otherwise.
struct FfnWeights {
  Linear up;    // [D, F]  (GPT-2 c_fc, BERT intermediate.dense, NeoX dense_h_to_4h, Llama up_proj)
  Linear gate;  // [D, F]  (Llama gate_proj) or empty
  Linear down;  // [F, D]
};

// For PostNorm blocks ln1 is the norm after the attention residual and ln2 the one after the FFN
// residual (BERT attention.output.LayerNorm / output.LayerNorm).
struct BlockWeights {
  NormWeights ln1;
  NormWeights ln2;
  AttentionWeights attn;
  FfnWeights ffn;
};

// BERT/RoBERTa masked-LM head: decoder(LN(act(dense(h)))), decoder weight tied to the token
// embedding, decoder bias separate.
struct MlmHeadWeights {
  Linear dense;  // [D, D]
  NormWeights norm;
  VecF decoder_bias;  // [V]
};

struct Weights {
  MatF token_embedding;       // [V, D]
  MatF position_embedding;    // [P, D] learned positions, or empty
  MatF token_type_embedding;  // [T, D] or empty
  NormWeights embedding_norm;  // BERT/RoBERTa, else empty
  std::vector<BlockWeights> blocks;
  NormWeights final_norm;     // empty when the family has none
  MatF lm_head;               // [V, D] untied unembedding, empty when tied
  VecF lm_head_bias;          // [V] or empty
  std::optional<MlmHeadWeights> mlm;

  // The unembedding matrix [V, D] (rows are output-token directions), tied or not.
  const MatF& unembedding() const { return lm_head.size() ? lm_head : token_embedding; }
};

}  // namespace tl
