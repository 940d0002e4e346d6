#pragma once
// The TensorLens operator (docs/TENSORLENS.md §1-2) as data: every component of a block, read off one
// forward pass (a Trace) with its nonlinear coefficients frozen, written as exact linear maps on
// the residual stream. Nothing here is 4D: a segment is a list of small factors (weights with the
// norms folded in, attention probabilities, per-token scales and ratios) that propagate.h applies
// to stream states.
//
// Conventions (all maps act on row vectors, one token per row, like the forward pass):
// - A TokenStep is a per-token map   S -> [S +] (((diag(scale) S) w_in) ⊙ coef) w_out + bias
//   (no mixing between tokens). LayerNorm with frozen 1/sigma: w_in = C diag(gamma) with
//   C = I - 11^T/D (centring stays linear), scale = 1/sigma, bias = beta. RMSNorm: coef = gamma
//   per token, scale = 1/rms. FFN: w_in = W1 (pre-norm folded in), coef = the frozen ratios Phi
//   (or gates), w_out = W2, residual = true.
// - An AttentionOperator maps S to sum_h A_h (diag(pre_scale) S w_v)_h w_o + bias: the value
//   projection (pre-norm folded in), frozen probabilities A_h (causal and padding masks, RoPE and
//   ALiBi act only through them), GQA through HeadShape, the output projection.
// - A block is PreNorm/PostNorm: out = steps(S + attn(S)); Parallel: out = steps(S) + attn(S).
//   PreNorm steps: [FFN with ln2 folded]. PostNorm: [ln1, FFN, ln2]. Parallel: [FFN with ln2].
// - Biases (the affine part c of docs/TENSORLENS.md §1) are per token [N, D] and are only ever added to
//   the bias row of a stream state, so the linear part T and c stay separate.
#include <string>
#include <vector>

#include "core/backend/backend.h"
#include "core/forward/trace.h"
#include "core/model/model.h"
#include "core/util/result.h"

namespace tl::lens {

// How a gated FFN (act(x Wg) ⊙ x Wu) Wd is made linear (docs/TENSORLENS.md §2).
enum class GatedFfn {
  Gate,       // G = act(x Wg) frozen, linear through Wu (default)
  Up,         // Phi(x Wg) and U = x Wu frozen, linear through Wg
  Symmetric,  // the mean of both (also exact)
};
const char* to_string(GatedFfn g);

// What the input features x_j of the In end are.
enum class InputEnd {
  // The residual stream entering the segment's first block (hidden_state(l - 1)): token +
  // position embeddings for GPT-2, the embedding LayerNorm output for BERT/RoBERTa, the token
  // embedding rows for NeoX/Llama. The operator starts at that stream (no In factor).
  ResidualStream,
  // The token embedding rows alone (Trace::token_embeddings). Position and segment embeddings
  // become bias; for BERT/RoBERTa the embedding LayerNorm (frozen 1/sigma) joins the operator.
  // Only for segments that start at block 1.
  TokenEmbeddings,
};
const char* to_string(InputEnd e);

struct TokenStep {
  VecD scale;        // [N] row scale, empty = 1
  MatD w_in;         // [D, F'], empty = identity (then F' = D)
  MatD coef;         // [N, F'] column scales per token, empty = 1
  MatD w_out;        // [F', D], present iff residual
  bool residual = false;
  MatD bias;         // [N, D] affine part, empty = 0

  int width() const;  // F'
};

struct AttentionOperator {
  HeadShape shape;
  MatD w_v;        // [D, kv_heads * head_dim]
  VecD pre_scale;  // [N] frozen 1/sigma (1/rms) of the pre-norm, empty for PostNorm blocks
  MatD probs;      // [heads * N, N], row h * N + i = query i of head h
  MatD w_o;        // [heads * head_dim, D]
  MatD bias;       // [N, D]
};

struct BlockOperator {
  int layer = 0;  // 1-based block number
  Topology topology = Topology::PreNorm;
  AttentionOperator attention;
  std::vector<TokenStep> steps;
};

// A contiguous range of blocks plus the optional ends. Blocks are built on demand (they hold
// model-sized matrices), so the segment keeps only their numbers.
struct LensSegment {
  int first_layer = 1;                // 1-based
  int last_layer = 0;                 // inclusive
  std::vector<TokenStep> prologue;    // In end (TokenEmbeddings): position/segment bias, BERT's embedding LN
  std::vector<TokenStep> epilogue;    // the family's final norm (end to end)
  MatD inputs;                        // [N, D] x_j, what the In end contracts with
  MatD expected_output;               // [N, D] the forward pass's value of the segment's output
  int num_tokens = 0;
  int hidden = 0;
};

// The block operator of block `layer` (1-based) at the trace's operating point.
Result<BlockOperator> build_block_operator(const Model& model, const Trace& trace, int layer, GatedFfn gated);
// The same, written into `op` reusing its storage (blocks of one model have equal shapes).
Status fill_block_operator(const Model& model, const Trace& trace, int layer, GatedFfn gated, BlockOperator& op);

// The segment from block `first` to block `last` (1-based, inclusive), with the In end and, when
// `through_final_norm`, the family's final norm (no-op for BERT/RoBERTa, which have none).
Result<LensSegment> build_segment(const Model& model, const Trace& trace, int first, int last,
                                  bool through_final_norm, InputEnd input);

// Applies a segment's factors to one plain [N, D] matrix in double, with biases (add_bias) or
// without: the operator applied to X, computed directly. For tests and for small diagnostics.
MatD apply_steps_reference(const std::vector<TokenStep>& steps, const MatD& x, bool add_bias);
MatD apply_block_reference(const BlockOperator& block, const MatD& x, bool add_bias);

// LayerNorm / RMSNorm's frozen linear part, folded into a following weight: returns P W where
// P = C diag(gamma) (LayerNorm) or diag(gamma) (RMSNorm); W empty means P itself.
MatD fold_norm(NormKind kind, const VecF& gamma, const MatD& w);
void fold_norm_in_place(NormKind kind, const VecF& gamma, MatD& w);

}  // namespace tl::lens
