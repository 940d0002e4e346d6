#pragma once
// Hand-written derivatives of the forward pass's components, batched: B directions of an [N, W]
// quantity are stacked as rows b*N + i of a [B*N, W] matrix, so every linear map is one GEMM and
// only the token-mixing parts (norm statistics, attention) loop over directions.
//
// Forward-mode maps take `first_row`: each direction then holds only rows first_row..N-1 (the
// rows before it are zero and stay zero in causal models, e.g. tangents that start at token
// first_row), which saves half the work of a Jacobian map. 0 = every row; > 0 needs a causal model.
//
// Each component has a forward-mode map (tangent in -> tangent out, "jvp") and its transpose
// (cotangent out -> cotangent in, "vjp"), both evaluated at the operating point recorded in the
// Trace. The formulas are written next to each function.
#include <vector>

#include "core/autodiff/tape.h"

namespace tl::autodiff::detail {

// ---- Normalisation ----------------------------------------------------------------------------
// y = gamma * (x - [mean x]) * r with r the frozen inverse scale (LayerNorm subtracts the mean,
// RMSNorm does not). With xhat = (x - [mean x]) * r:
//   dy = gamma * r * (dx - [mean dx] - xhat * mean(xhat * dx))
// and the transpose applies gamma first, then the same projection.
struct NormPoint {
  NormKind kind;
  const MatD* input;      // [N, D] what the norm normalised
  const VecD* inv_scale;  // [N]
  const VecD* gamma;      // [D]
};
MatD norm_jvp(const NormPoint& p, const MatD& dx, int first_row = 0);
MatD norm_vjp(const NormPoint& p, const MatD& gy);

// ---- Activations ------------------------------------------------------------------------------
// act'(z) element-wise, from act(z) = z * Phi(z): act' = Phi + z * Phi'.
//   GELU erf: Phi' = exp(-z^2/2) / sqrt(2 pi);  GELU tanh: Phi' = 0.5 (1 - tanh^2 u) k (1 + 3c z^2);
//   SiLU: Phi' = s (1 - s);  ReLU: act' = [z > 0].
MatD activation_derivative(Activation act, const MatD& z);

// ---- Attention --------------------------------------------------------------------------------
// q = x Wq, k = x Wk, v = x Wv (+ RoPE on q, k: a fixed rotation per position), per head
// S = q k^T / sqrt(hd), P = softmax(S + mask), context = P v, out = context Wo.
//   dS = (dq k^T + q dk^T) / sqrt(hd);  dP = P * (dS - rowsum(P * dS));  dctx = dP v + P dv.
// Transpose: gP = gctx v^T, gv = P^T gctx, gS = P * (gP - rowsum(P * gP)) / sqrt(hd),
//   gq = gS k, gk = gS^T q, then the inverse rotation and the transposed projections.
MatD attention_jvp(const Tape& tape, int layer, const MatD& d_in, int first_row = 0);
// g_probs (optional): per query head, the cotangent of the attention probabilities [B*N, N]
// (the attention matrix taken as an independent input, as gradient-weighted rollout needs).
MatD attention_vjp(const Tape& tape, int layer, const MatD& g_out, std::vector<MatD>* g_probs);

// ---- FFN --------------------------------------------------------------------------------------
// Non-gated: out = act(x Wup) Wdown, d_out = (act'(z) * dx Wup) Wdown.
// Gated: out = (act(x Wg) * (x Wu)) Wd, d_hidden = act'(g) * dg * U + act(g) * du.
MatD ffn_jvp(const Tape& tape, int layer, const MatD& d_in, int first_row = 0);
MatD ffn_vjp(const Tape& tape, int layer, const MatD& g_out);

// The norm operating points of a block (ln1, ln2), of the embedding norm and of the final norm.
NormPoint ln1_point(const Tape& tape, int layer);
NormPoint ln2_point(const Tape& tape, int layer);

}  // namespace tl::autodiff::detail
