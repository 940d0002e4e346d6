#pragma once
// ComputeKernels: one C++ entry point per compute shader (shaders/<name>.comp), recording into a
// gpu::Batch. No Vulkan types; every method checks its shapes against the views it is given and
// returns an Error naming the kernel and the mismatch instead of letting a shader read outside a
// buffer. fp32.
//
// Sections: GEMM and axpy · stream-state kernels (column-major states in token blocks, the
// Backend of core/backend/backend.h) · forward ops (row-major, one row per token).
#include <cstdint>
#include <span>
#include <vector>

#include "core/gpu/gpu.h"

namespace tl::gpu {

// ---- GEMM ---------------------------------------------------------------------------------------

// C[b] = alpha * op(A[b]) op(B[b]) + beta * C[b], row-major (see GemmParams in shader_params.h).
// Zero leading dimensions and strides mean "packed": lda = trans_a ? m : k, stride_a = m * k, ...
struct GemmShape {
  std::uint32_t m = 0, n = 0, k = 0, batch = 1;
  bool trans_a = false, trans_b = false;
  std::uint32_t lda = 0, ldb = 0, ldc = 0;
  std::uint32_t stride_a = 0, stride_b = 0, stride_c = 0;
  float alpha = 1.0f, beta = 0.0f;
};

// ---- Stream states ------------------------------------------------------------------------------

// A column-major rows x cols matrix in a buffer: element (r, c) at data.offset + c * rows + r.
struct MatrixView {
  BufferView data;
  std::uint32_t rows = 0, cols = 0;
};

// The token blocks of a stream state, on the device: [offset | count | row_token] (shader_params.h).
struct DeviceTokenLayout {
  Buffer data;
  std::uint32_t n_tokens = 0;
  std::uint32_t rows = 0;  // rows of the states it describes
  std::vector<std::uint32_t> offset, count;
};

// Checks that the blocks lie inside `rows` and do not overlap, then uploads the layout.
Result<DeviceTokenLayout> upload_token_layout(Context& ctx, std::span<const std::int64_t> offset,
                                              std::span<const std::int64_t> count, std::int64_t rows);

struct AttentionHeads {
  std::uint32_t heads = 1, kv_heads = 1, head_dim = 1;
};

// ---- Forward ops --------------------------------------------------------------------------------

enum class NormKind : std::uint32_t { LayerNorm = 0, RmsNorm = 1 };
enum class ActivationKind : std::uint32_t { GeluErf = 0, GeluTanh = 1, Silu = 2, Relu = 3, Tanh = 4 };

struct RopeShape {
  std::uint32_t n_tokens = 0, n_heads = 0, head_dim = 0, rotary_dim = 0;
  std::uint32_t table_positions = 0;  // rows of the cos/sin tables
  std::uint32_t position_offset = 0;
  bool interleaved = false;  // GPT-J pairs (2i, 2i+1); otherwise NeoX/Llama (i, i + rotary_dim/2)
  bool inverse = false;
};

class ComputeKernels {
 public:
  explicit ComputeKernels(Context& ctx) : ctx_(ctx) {}

  Status gemm(Batch& batch, BufferView a, BufferView b, BufferView c, const GemmShape& shape);
  // y = alpha * x + y over x.count elements.
  Status axpy(Batch& batch, float alpha, BufferView x, BufferView y);

  // Stream-state kernels; the semantics are those of the Backend methods of the same names.
  Status scale_rows(Batch& batch, const MatrixView& x, const DeviceTokenLayout& layout, BufferView s);
  Status scale_columns(Batch& batch, const MatrixView& x, const DeviceTokenLayout& layout,
                       const MatrixView& coef);
  Status add_to_row(Batch& batch, const MatrixView& x, const DeviceTokenLayout& layout, std::uint32_t row,
                    const MatrixView& bias);
  // y += mix(x); probs is (heads * n_tokens) x n_tokens.
  Status attention_mix(Batch& batch, const MatrixView& x, const MatrixView& y,
                       const DeviceTokenLayout& layout, const MatrixView& probs, const AttentionHeads& heads,
                       bool transpose);
  Status row_sq_norms(Batch& batch, const MatrixView& x, BufferView out);
  Status row_dots(Batch& batch, const MatrixView& x, const DeviceTokenLayout& layout, const MatrixView& v,
                  BufferView out);
  Status group_contract(Batch& batch, const MatrixView& x, const DeviceTokenLayout& layout,
                        std::uint32_t group, const MatrixView& v, const MatrixView& out);

  // Forward ops on row-major data.
  // probs[r, :] = masked softmax(scores[r, :] * scale); row r is query r % rows_per_matrix.
  Status masked_softmax(Batch& batch, BufferView scores, BufferView probs, std::uint32_t rows,
                        std::uint32_t cols, std::uint32_t rows_per_matrix, bool causal,
                        std::uint32_t key_offset, float scale);
  Status rope(Batch& batch, BufferView x, BufferView cos_table, BufferView sin_table, BufferView out,
              const RopeShape& shape);
  Status norm_forward(Batch& batch, BufferView x, BufferView gamma, BufferView beta, BufferView y,
                      BufferView inv_scale, NormKind kind, std::uint32_t rows, std::uint32_t row_len,
                      float eps);
  // out = act(z), or the ratio Phi(z) = act(z) / z when `ratio`.
  Status activation(Batch& batch, BufferView z, BufferView out, ActivationKind kind, bool ratio);
  Status embedding_gather(Batch& batch, BufferView ids, BufferView table, BufferView out,
                          std::uint32_t n_tokens, std::uint32_t dim, std::uint32_t vocab);
  // x[r, :] += bias for each of `rows` rows of `cols` (row-major x).
  Status row_bias_add(Batch& batch, BufferView x, BufferView bias, std::uint32_t rows, std::uint32_t cols);
  // out = a * b elementwise over a.count elements; out must not alias a or b.
  Status elementwise_mul(Batch& batch, BufferView a, BufferView b, BufferView out);

 private:
  // Workgroups for a grid-stride kernel over `total` items.
  Result<WorkGroups> grid_stride_groups(std::string_view kernel, std::uint64_t total);
  Context& ctx_;
};

}  // namespace tl::gpu
