#pragma once
// The baselines' computations as plain functions of a Trace (and weights), so tests can check
// them on hand-made cases; the registry wraps them into Maps. Definitions: docs/TENSORLENS.md §6.
// Layers are 1..L (block l); matrices are N x N with rows = output (query) tokens.
#include <vector>

#include "core/forward/trace.h"
#include "core/model/model.h"

namespace tl::methods {

// Product M_k ... M_1 of per-layer matrices (first = block 1): rollout's R^(k).
Eigen::MatrixXd rollout_product(const std::vector<Eigen::MatrixXd>& per_layer);

// Gradient-weighted rollout's per-layer matrix (Chefer et al. 2021, generic form):
// mean_h((dy/dA^h * A^h)^+).
Eigen::MatrixXd gradient_weighted_attention(const std::vector<Eigen::MatrixXd>& attention,
                                            const std::vector<Eigen::MatrixXd>& gradients);
// R = I; per layer R <- R + Abar R.
Eigen::MatrixXd gradient_weighted_rollout(const std::vector<Eigen::MatrixXd>& per_layer);

// Per head h of block `layer`, the value vectors after the output projection, F_h = v_h W_O,h
// ([N, D], value bias included, output bias not): head h's output is A^h F_h.
std::vector<Eigen::MatrixXd> head_value_outputs(const Model& model, const Trace& trace, int layer);

// Kobayashi et al. 2020: ||sum_h A^h[i,j] F_h[j]|| (head < 0), or ||A^h[i,j] F_h[j]|| for one head.
Eigen::MatrixXd kobayashi_norms(const Model& model, const Trace& trace, int layer, int head = -1);

// The attention + residual (+ ln1 for post-norm blocks) sub-layer of block `layer` written as a
// sum over source tokens: y_i = sum_j T_i(x_j) + bias. parts[i].row(j) = T_i(x_j) with
//   pre-norm / parallel: T_i(x_j) = sum_h A^h[i,j] F_h[j] + [i = j] x_j   (x: the block input;
//                        ln1 acts on x_j alone, so it stays inside F_h[j]);
//   post-norm:           T_i(x_j) = gamma1 * r1_i * centre(sum_h A^h[i,j] F_h[j] + [i = j] x_j)
//                        (ln1 with its scale r1_i frozen; its shift beta1 and the output bias
//                        b_O are the bias, not attributed to any token).
std::vector<Eigen::MatrixXd> attention_residual_decomposition(const Model& model, const Trace& trace, int layer);

// ALTI (Ferrando et al. 2022): c_ij = max(0, ||y_i||_1 - ||y_i - T_i(x_j)||_1), y_i = sum_j T_i(x_j),
// rows normalised to sum to 1.
Eigen::MatrixXd alti_contributions(const std::vector<Eigen::MatrixXd>& parts);

// GlobEnc (Modarressi et al. 2022): ||N-ResLN_i(x_j)||_2 rows normalised: the decomposition above
// carried through the second residual and ln2 of post-norm blocks (FFN skipped: the
// contributions pass its residual unchanged, then ln2's linear part with r2_i frozen); pre-norm
// and parallel blocks keep the decomposition as is (ln2 sits inside the skipped FFN branch).
Eigen::MatrixXd globenc_contributions(const Model& model, const Trace& trace, int layer,
                                      const std::vector<Eigen::MatrixXd>& parts);

// Effective attention (Brunner et al. 2020): each row of A projected onto the column space of the
// head's value outputs F [N, D]: A U_r U_r^T, U_r the left singular vectors of F whose singular
// values exceed max(N, D) * eps * s_max. A_eff F = A F exactly; A_eff = A when F has rank N.
Eigen::MatrixXd effective_attention(const Eigen::MatrixXd& attention, const Eigen::MatrixXd& values);

}  // namespace tl::methods
