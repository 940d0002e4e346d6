#pragma once
// Trace: everything one forward pass produced that analyses need. Analyses read it and never
// re-run the forward pass unless the method itself perturbs the input.
//
// Values are stored as double whatever the compute precision (Trace::precision says which one
// produced them), so fp32 results are represented exactly and fp64 traces need no second type.
// Matrices hold one token per row. Names follow ModelSpec / BlockWeights (ln1, ln2, up, gate...).
#include <Eigen/Dense>
#include <string>
#include <vector>

namespace tl {

using MatD = Eigen::MatrixXd;
using VecD = Eigen::VectorXd;

enum class Precision { Float32, Float64 };

struct BlockTrace {
  MatD input;  // [N, D] residual stream entering the block

  // Attention sub-layer. PreNorm/Parallel: ln1 normalises `input` before attention.
  // PostNorm: ln1 normalises input + attn_out (its input is `ln1_input`).
  MatD ln1_input;      // [N, D] what ln1 normalised
  VecD ln1_inv_scale;  // [N] frozen 1/sigma (LayerNorm) or 1/rms (RMSNorm) per token
  MatD ln1_out;        // [N, D]
  MatD q, k, v;        // [N, H*hd], [N, KV*hd], [N, KV*hd]; q and k after RoPE
  std::vector<MatD> attn_probs;  // H entries, [N, N], rows are queries (post-softmax, masked)
  MatD attn_context;   // [N, H*hd] heads' outputs before the output projection
  MatD attn_out;       // [N, D] after the output projection (bias included)

  // FFN sub-layer. PreNorm: ln2 normalises input + attn_out. Parallel: ln2 normalises input.
  // PostNorm: ln2 normalises ln1_out + ffn_out.
  MatD ln2_input;      // [N, D]
  VecD ln2_inv_scale;  // [N]
  MatD ln2_out;        // [N, D]
  MatD ffn_pre;        // [N, F] z = x W_up + b (non-gated) or x W_gate + b (gated)
  MatD ffn_ratio;      // [N, F] Phi(z) = act(z) / z in closed form (docs/TENSORLENS.md §2)
  MatD ffn_up;         // [N, F] gated only: U = x W_up + b
  MatD ffn_hidden;     // [N, F] input of the down projection: act(z) or act(z) * U
  MatD ffn_out;        // [N, D] after the down projection (bias included)

  MatD output;  // [N, D] residual stream leaving the block
};

struct Trace {
  Precision precision = Precision::Float32;
  std::vector<int> ids;
  std::vector<int> token_types;  // empty when the model has no segments
  std::vector<int> positions;    // position ids used (RoBERTa offset included)

  MatD token_embeddings;   // [N, D] rows of the token embedding matrix: the "In" inputs x_j
  MatD embedding_sum;      // [N, D] token + position + type embeddings (before BERT's LayerNorm)
  VecD embedding_inv_scale;  // [N] BERT/RoBERTa embedding LayerNorm, else empty
  MatD embeddings;         // [N, D] residual stream entering block 1 (= hidden_states[0])

  std::vector<BlockTrace> blocks;  // L entries

  VecD final_inv_scale;  // [N] final norm, empty when the family has none
  MatD final_hidden;     // [N, D] after the final norm (= blocks.back().output without one)

  // BERT/RoBERTa masked-LM head: decoder(LN(act(dense(h)))).
  MatD mlm_pre;        // [N, D] dense output
  MatD mlm_ratio;      // [N, D] activation ratio
  VecD mlm_inv_scale;  // [N]
  MatD mlm_hidden;     // [N, D] LayerNorm output, fed to the decoder

  MatD logits;  // [N, V]

  int num_tokens() const { return static_cast<int>(ids.size()); }
  int num_layers() const { return static_cast<int>(blocks.size()); }
  // Hugging Face convention: 0 = embeddings, l = output of block l, L = final (after final norm).
  const MatD& hidden_state(int l) const {
    if (l == 0) return embeddings;
    if (l == num_layers()) return final_hidden;
    return blocks[l - 1].output;
  }
};

}  // namespace tl
