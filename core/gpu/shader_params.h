// Host/shader parameter layouts, defined once and included by both C++ and GLSL.
//
// Every kernel's push-constant block is   { uint view_base[TL_MAX_VIEWS]; XxxParams p; }
// (declared in GLSL by TL_PUSH_PARAMS in shaders/tl_common.glsl): view_base[b] is the element
// offset of the view bound at binding b, filled in by gpu::Batch::dispatch, so the params structs
// below only carry shapes and options. Params structs use only 32-bit scalars so std430 and C++
// layouts agree; sizes are checked with static_assert here and against the SPIR-V at dispatch.
// Element counts and strides are uint32: one dispatch addresses at most 2^32 - 1 elements per view.
#ifndef TL_SHADER_PARAMS_H
#define TL_SHADER_PARAMS_H

#define TL_MAX_VIEWS 6

#ifdef __cplusplus
#include <cstdint>
namespace tl::gpu {
using uint = std::uint32_t;
#define TL_STRUCT(name) struct name
#define TL_CHECK_PARAMS(name, bytes) \
  static_assert(sizeof(name) == (bytes) && 4 * TL_MAX_VIEWS + sizeof(name) <= 128, #name " layout")
#else
#define TL_STRUCT(name) struct name
// GLSL has no static_assert; a named constant keeps the trailing semicolon legal.
#define TL_CHECK_PARAMS(name, bytes) const uint tl_size_of_##name = bytes
#endif

// y[i] = a * x[i] + y[i]                                                       (saxpy.comp)
TL_STRUCT(SaxpyParams) {
  uint n;
  float a;
};
TL_CHECK_PARAMS(SaxpyParams, 8);

// C[b] = alpha * op(A[b]) op(B[b]) + beta * C[b], row-major, b < batch.     (gemm_tiled.comp)
// op(A) is m x k: A is stored m x k (trans_a = 0) or k x m (trans_a = 1) with row stride lda;
// op(B) is k x n likewise; C is m x n with row stride ldc. stride_*: elements between batch
// entries. beta = 0 never reads C (it may hold NaN).
TL_STRUCT(GemmParams) {
  uint m;
  uint n;
  uint k;
  uint batch;
  uint lda;
  uint ldb;
  uint ldc;
  uint stride_a;
  uint stride_b;
  uint stride_c;
  uint trans_a;
  uint trans_b;
  float alpha;
  float beta;
};
TL_CHECK_PARAMS(GemmParams, 56);

// Rows of row_len elements; row r belongs to token (r / rows_per_token) % n_tokens. This is the
// layout of every per-token state the engine keeps: [batch][token][rows_per_token][row_len].

// Frozen normalisation (norm_apply.comp): per row x of token t,
//   center = 1, scale_first = 0:  y = gamma * (x - mean(x)) * inv_scale[t]   (LayerNorm, frozen sigma)
//   center = 0:                   y = gamma * x * inv_scale[t]               (RMSNorm, frozen rms)
//   scale_first = 1:              y = (gamma*x - mean(gamma*x)) * inv_scale[t]  (the transpose of
//                                 the LayerNorm map, for backward propagation)
TL_STRUCT(NormApplyParams) {
  uint n_rows;
  uint row_len;
  uint rows_per_token;
  uint n_tokens;
  uint center;
  uint scale_first;
};
TL_CHECK_PARAMS(NormApplyParams, 24);

// y[r, k] = x[r, k] * ratio[t, k], t the token of row r (FFN activation ratios Phi, gates;
// with rows_per_token = 1 and n_tokens = n_rows it is the elementwise product). (ratio_scale.comp)
TL_STRUCT(RatioScaleParams) {
  uint n_rows;
  uint row_len;
  uint rows_per_token;
  uint n_tokens;
};
TL_CHECK_PARAMS(RatioScaleParams, 16);

// Attention mixing over tokens with frozen probabilities A [n_heads][n_tokens][n_tokens]
// (row = query i, column = key j).                                           (attention_mix.comp)
// in/out: [batch][n_tokens][rows_per_token][width], head h owns columns [h*head_dim, (h+1)*head_dim);
// with GQA, query head h reads key/value head h / (n_heads / n_kv_heads).
//   transpose = 0:  out[b,i,r,h*hd+c]  = sum_j A_h[i,j] in[b,j,r,kv(h)*hd+c]      (width in: n_kv*hd, out: n_heads*hd)
//   transpose = 1:  out[b,j,r,g*hd+c]  = sum_{h: kv(h)=g} sum_i A_h[i,j] in[b,i,r,h*hd+c]  (the adjoint)
// causal = 1 skips the pairs j > i (A is zero there).
TL_STRUCT(AttentionMixParams) {
  uint batch;
  uint n_tokens;
  uint rows_per_token;
  uint n_heads;
  uint n_kv_heads;
  uint head_dim;
  uint causal;
  uint transpose;
};
TL_CHECK_PARAMS(AttentionMixParams, 32);

// Softmax of each row of scores * scale, with keys j > q + key_offset masked out when causal = 1
// (q = r % rows_per_matrix, the query of row r). Masked entries become exactly 0. (masked_softmax.comp)
TL_STRUCT(MaskedSoftmaxParams) {
  uint n_rows;
  uint n_cols;
  uint rows_per_matrix;
  uint causal;
  uint key_offset;
  float scale;
};
TL_CHECK_PARAMS(MaskedSoftmaxParams, 24);

// Rotary position embedding of x [n_tokens][n_heads][head_dim]: the first rotary_dim features of
// each head are rotated by the angle table (cos/sin [positions][rotary_dim / 2], computed on the host
// so GPU and CPU share it) at position token + position_offset. Pairs: (i, i + rotary_dim/2) when
// interleaved = 0 (GPT-NeoX, Llama), (2i, 2i+1) when interleaved = 1 (GPT-J). inverse = 1 rotates
// by the negative angle (the transpose). Features past rotary_dim are copied.       (rope.comp)
TL_STRUCT(RopeParams) {
  uint n_tokens;
  uint n_heads;
  uint head_dim;
  uint rotary_dim;
  uint interleaved;
  uint position_offset;
  uint inverse;
};
TL_CHECK_PARAMS(RopeParams, 28);

// LayerNorm / RMSNorm forward over rows (norm_forward.comp):
//   kind 0 (LayerNorm): y = (x - mean) * inv * gamma + beta,  inv = 1 / sqrt(var + eps)
//   kind 1 (RMSNorm):   y = x * inv * gamma,                  inv = 1 / sqrt(mean(x^2) + eps)
// inv_scale[r] = inv is written too: it is what the frozen maps use.
TL_STRUCT(NormForwardParams) {
  uint n_rows;
  uint row_len;
  uint kind;
  float eps;
};
TL_CHECK_PARAMS(NormForwardParams, 16);
#define TL_NORM_LAYER 0
#define TL_NORM_RMS 1

// Elementwise activation (activation.comp): out = act(z) (want_ratio = 0) or the ratio Phi(z) = act(z)/z
// in closed form (want_ratio = 1), smooth at z = 0.
TL_STRUCT(ActivationParams) {
  uint n;
  uint kind;
  uint want_ratio;
};
TL_CHECK_PARAMS(ActivationParams, 12);
#define TL_ACT_GELU_ERF 0
#define TL_ACT_GELU_TANH 1
#define TL_ACT_SILU 2
#define TL_ACT_RELU 3
#define TL_ACT_TANH 4

// Reductions write row r's value to out[(r / rows_inner) * out_stride_outer +
// (r % rows_inner) * out_stride_inner], so a [j][i] sweep can fill map[i][j] directly;
// accumulate = 1 adds to out instead of overwriting it.

// L2 norm of each row (row_norms.comp); a contiguous D x D block is one row of D*D elements, so
// this is also the block Frobenius norm. squared = 1 gives the sum of squares (to accumulate
// blocks split across dispatches, then take the root on the host or in a final pass).
TL_STRUCT(RowNormsParams) {
  uint n_rows;
  uint row_len;
  uint rows_inner;
  uint out_stride_outer;
  uint out_stride_inner;
  uint squared;
  uint accumulate;
};
TL_CHECK_PARAMS(RowNormsParams, 28);

// Signed contraction (row_dot.comp): value(r) = sum_k x[r, k] * w[t, k], t the token of row r.
TL_STRUCT(RowDotParams) {
  uint n_rows;
  uint row_len;
  uint rows_per_token;
  uint n_tokens;
  uint rows_inner;
  uint out_stride_outer;
  uint out_stride_inner;
  uint accumulate;
};
TL_CHECK_PARAMS(RowDotParams, 32);

// out[i, :] = table[ids[i], :]; ids >= vocab give a zero row (the host validates ids first).
//                                                                         (embedding_gather.comp)
TL_STRUCT(EmbeddingGatherParams) {
  uint n_tokens;
  uint dim;
  uint vocab;
};
TL_CHECK_PARAMS(EmbeddingGatherParams, 12);

#ifdef __cplusplus
}  // namespace tl::gpu
#endif
#endif
