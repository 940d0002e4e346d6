#pragma once
// Numeric building blocks of the forward pass, shared with analyses that differentiate or
// re-evaluate pieces of it (methods/, lens/). Every op works on whole sequences (one token per
// row) and is templated on the scalar: float (Precision::Float32) and double (Float64) are
// instantiated in ops.cpp.
//
// Conventions that analyses rely on:
// - Norms return the frozen per-token inverse scale (1/sigma for LayerNorm, 1/rms for RMSNorm),
//   so out = ((x - mean) * inv_scale) * gamma + beta is the exact operating-point linear map.
// - Activations are evaluated as act(z) = z * Phi(z) with the closed-form ratio Phi
//   (docs/TENSORLENS.md §2), so the ratio the lens freezes is bit-for-bit the one the forward used.
#include <Eigen/Dense>
#include <vector>

#include "core/model/spec.h"
#include "core/model/weights.h"

namespace tl::ops {

template <class T>
using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
template <class T>
using Vec = Eigen::Matrix<T, Eigen::Dynamic, 1>;

// ---- Normalisation -------------------------------------------------------------------------

// LayerNorm over each row (biased variance, as PyTorch): out = (x - mean) / sqrt(var + eps) * gamma
// + beta. `beta` may be empty (no shift). Writes inv_scale[i] = 1 / sqrt(var_i + eps).
template <class T>
void layer_norm(const Mat<T>& x, const Vec<T>& gamma, const Vec<T>& beta, double eps, Mat<T>& out,
                Vec<T>& inv_scale);

// RMSNorm over each row (Llama): out = x / sqrt(mean(x^2) + eps) * gamma. Writes inv_scale = 1/rms.
template <class T>
void rms_norm(const Mat<T>& x, const Vec<T>& gamma, double eps, Mat<T>& out, Vec<T>& inv_scale);

// Dispatches on the kind (RMSNorm ignores beta).
template <class T>
void normalize(NormKind kind, const Mat<T>& x, const Vec<T>& gamma, const Vec<T>& beta, double eps,
               Mat<T>& out, Vec<T>& inv_scale);

// ---- Activations ---------------------------------------------------------------------------

// Phi(z) = act(z) / z in closed form, element-wise, smooth at 0 (no division):
//   GeluErf: 0.5 (1 + erf(z / sqrt 2));  GeluTanh: 0.5 (1 + tanh(sqrt(2/pi) (z + 0.044715 z^3)));
//   Silu: sigmoid(z);  Relu: [z > 0].
template <class T>
Mat<T> activation_ratio(Activation act, const Mat<T>& z);

// act(z) = z * Phi(z).
template <class T>
Mat<T> activate(Activation act, const Mat<T>& z);

// ---- Positions -----------------------------------------------------------------------------

// Rotary embedding (Hugging Face "rotate_half" layout) applied in place to the first
// `rotary_dim` dims of every head of x [N, heads * head_dim]: with r = rotary_dim / 2,
// inv_freq[k] = theta^(-2k / rotary_dim), angle = positions[i] * inv_freq[k], and the pair
// (x[k], x[k + r]) rotated by that angle. Dims beyond rotary_dim pass through.
template <class T>
void apply_rope(Mat<T>& x, int num_heads, int head_dim, int rotary_dim, double theta,
                const std::vector<int>& positions);

// The angle tables apply_rope uses: cos/sin [N, rotary_dim / 2] of positions[i] * inv_freq[k],
// computed in double and rounded once to T (the device forward uploads the float tables, so both
// backends rotate by the same numbers).
template <class T>
void rope_tables(int rotary_dim, double theta, const std::vector<int>& positions, Mat<T>& cos_table,
                 Mat<T>& sin_table);

// ---- Attention -----------------------------------------------------------------------------

// Additive attention mask [N, N] (0 = allowed, -inf = masked): causal (j > i masked) and/or key
// padding (key_mask[j] == 0 masked; empty = no padding). A query whose every key is masked by
// padding (a padding token with only padding before it) falls back to the causal-only row, so
// every row of the softmax is a distribution (as Hugging Face's finite mask value also gives).
template <class T>
Mat<T> attention_mask(int n, bool causal, const std::vector<int>& key_mask);

// Row-wise softmax of scores + mask, in place; masked entries become exactly 0.
template <class T>
void masked_softmax_rows(Mat<T>& scores, const Mat<T>& additive_mask);

// ---- Linear maps ---------------------------------------------------------------------------

// y = x W + b for the canonical float weights (W [in, out], b empty = no bias), computed in T.
template <class T>
Mat<T> linear(const Mat<T>& x, const Linear& layer);

// Float weights as T: a reference for float, a converted copy for double.
inline const MatF& weights_as(const MatF& m, float) { return m; }
inline Mat<double> weights_as(const MatF& m, double) { return m.cast<double>(); }
inline const VecF& weights_as(const VecF& v, float) { return v; }
inline Vec<double> weights_as(const VecF& v, double) { return v.cast<double>(); }

}  // namespace tl::ops
