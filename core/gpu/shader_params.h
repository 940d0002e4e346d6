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

// gemm_tiled.comp: a 16 x 16 workgroup computes a TL_GEMM_TILE_M x TL_GEMM_TILE_N tile of C,
// stepping through k in slices of TL_GEMM_TILE_K. Dispatch: (ceil(n / TILE_N), ceil(m / TILE_M), batch).
#define TL_GEMM_TILE_M 128
#define TL_GEMM_TILE_N 128
#define TL_GEMM_TILE_K 8

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

// ---- Stream-state kernels (the Backend of core/backend/backend.h) ----------------------------
// A state is a column-major rows x cols matrix (element (r, c) at c * rows + r) whose rows are
// grouped in token blocks. The layout lives on the device as one uint buffer
//   [offset[n_tokens] | count[n_tokens] | row_token[rows]]
// with row_token[r] = the token whose block holds row r, or TL_NO_TOKEN.
#define TL_NO_TOKEN 0xffffffffu

// x[r, c] *= coef, coef = s[t] (per_column = 0: scale_rows, norm scales 1/sigma, 1/rms) or
// coef[t, c] (per_column = 1: scale_columns, activation ratios Phi and gates; coef is n_tokens x
// cols column-major), t = row_token[r]; rows outside every block are left alone.  (token_scale.comp)
TL_STRUCT(TokenScaleParams) {
  uint rows;
  uint cols;
  uint n_tokens;
  uint per_column;
};
TL_CHECK_PARAMS(TokenScaleParams, 16);

// x[offset[n] + row, c] += bias[n, c] for every token n with count[n] > row (bias: n_tokens x cols
// column-major).                                                                (token_row_bias.comp)
TL_STRUCT(TokenRowBiasParams) {
  uint rows;
  uint cols;
  uint n_tokens;
  uint row;
};
TL_CHECK_PARAMS(TokenRowBiasParams, 16);

// Attention mixing over tokens with frozen probabilities (attention_mix.comp). probs is
// (heads * n_tokens) x n_tokens column-major: A_h[i, k] at k * heads * n_tokens + h * n_tokens + i.
// Head h owns columns [h * head_dim, (h + 1) * head_dim); query head h reads kv head
// h / (heads / kv_heads). For every row r < min(count_i, count_k):
//   transpose = 0:  y_i[r, head h]  += sum_k A_h[i, k] x_k[r, kv head of h]   (x: kv_heads*hd cols, y: heads*hd)
//   transpose = 1:  y_k[r, kv head g] += sum_{h in g} sum_i A_h[i, k] x_i[r, head h]   (the adjoint)
TL_STRUCT(AttentionMixParams) {
  uint rows;
  uint n_tokens;
  uint heads;
  uint kv_heads;
  uint head_dim;
  uint transpose;
};
TL_CHECK_PARAMS(AttentionMixParams, 24);

// out[r] = sum_c x[r, c]^2 for every row (block Frobenius norms are sums of these). (row_sq_norms.comp)
TL_STRUCT(RowSqNormsParams) {
  uint rows;
  uint cols;
};
TL_CHECK_PARAMS(RowSqNormsParams, 8);

// Signed contraction: out[r] = sum_c x[r, c] v[t, c], t = row_token[r] (v: n_tokens x cols
// column-major); 0 for rows outside every block.                                  (row_dots.comp)
TL_STRUCT(RowDotsParams) {
  uint rows;
  uint cols;
  uint n_tokens;
};
TL_CHECK_PARAMS(RowDotsParams, 12);

// Rows of each block in consecutive groups of `group` rows; group g of the block of token t is
// contracted with row g of v (v_rows x group, column-major):
//   out[o, c] = sum_{q < group} v[g, q] x[o * group + q, c],  o = offset[t] / group + g,
// out is (rows / group) x cols column-major; groups outside every block (or g >= v_rows) give 0.
//                                                                               (group_contract.comp)
TL_STRUCT(GroupContractParams) {
  uint rows;
  uint cols;
  uint n_tokens;
  uint group;
  uint v_rows;
};
TL_CHECK_PARAMS(GroupContractParams, 20);

// ---- Forward ops: row-major, one row of row_len features per token (and head) -------------------

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

// out[i, :] = table[ids[i], :]; ids >= vocab give a zero row (the host validates ids first).
//                                                                         (embedding_gather.comp)
TL_STRUCT(EmbeddingGatherParams) {
  uint n_tokens;
  uint dim;
  uint vocab;
};
TL_CHECK_PARAMS(EmbeddingGatherParams, 12);

// x[r, c] += bias[c] for r < rows, c < cols: the bias of a linear map y = xW + b, added after the
// GEMM (row-major x, one row per token). Grid-stride over rows * cols.          (row_bias_add.comp)
TL_STRUCT(RowBiasAddParams) {
  uint rows;
  uint cols;
};
TL_CHECK_PARAMS(RowBiasAddParams, 8);

// out[i] = a[i] * b[i]: act(z) = z * Phi(z) and the gated FFN's act(z) * U, the products the CPU
// forward forms. Grid-stride over n.                                           (elementwise_mul.comp)
TL_STRUCT(ElementwiseMulParams) {
  uint n;
};
TL_CHECK_PARAMS(ElementwiseMulParams, 4);

#ifdef __cplusplus
}  // namespace tl::gpu
#endif
#endif
