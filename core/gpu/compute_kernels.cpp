// ComputeKernels: shape checks, parameter packing and dispatch sizes for every compute shader.
#include "core/gpu/compute_kernels.h"

#include <algorithm>
#include <string>

#include "core/gpu/shader_params.h"

namespace tl::gpu {
namespace {

// The view must hold at least `elements` elements.
Status need(const BufferView& v, std::uint64_t elements, const char* kernel, const char* what) {
  if (!v.buffer || !*v.buffer) return make_error(std::string(kernel) + ": no buffer for " + what);
  if (v.count < elements)
    return make_error(std::string(kernel) + ": " + what + " needs " + std::to_string(elements) +
                      " elements, view has " + std::to_string(v.count));
  return Status::Ok();
}

Status need(const MatrixView& m, const char* kernel, const char* what) {
  return need(m.data, std::uint64_t(m.rows) * m.cols, kernel, what);
}

Status check_layout(const DeviceTokenLayout& layout, std::uint32_t rows, const char* kernel) {
  if (!layout.data) return make_error(std::string(kernel) + ": no token layout");
  if (layout.rows != rows)
    return make_error(std::string(kernel) + ": token layout for " + std::to_string(layout.rows) +
                      " rows, state has " + std::to_string(rows));
  return Status::Ok();
}

std::uint32_t ceil_div(std::uint64_t a, std::uint64_t b) {
  return static_cast<std::uint32_t>((a + b - 1) / b);
}

// Elements from the first to the last element a row-major (rows x cols, leading dimension ld)
// matrix touches, plus one.
std::uint64_t extent(std::uint64_t rows, std::uint64_t cols, std::uint64_t ld) {
  return rows == 0 || cols == 0 ? 0 : (rows - 1) * ld + cols;
}

}  // namespace

Result<DeviceTokenLayout> upload_token_layout(Context& ctx, std::span<const std::int64_t> offset,
                                              std::span<const std::int64_t> count, std::int64_t rows) {
  if (offset.size() != count.size()) return make_error("token layout: offset and count sizes differ");
  if (rows < 0 || rows > 0xfffffffe) return make_error("token layout: bad row count " + std::to_string(rows));
  DeviceTokenLayout out;
  out.n_tokens = static_cast<std::uint32_t>(offset.size());
  out.rows = static_cast<std::uint32_t>(rows);
  std::vector<std::uint32_t> data(2 * offset.size() + rows, TL_NO_TOKEN);
  for (std::size_t n = 0; n < offset.size(); ++n) {
    if (offset[n] < 0 || count[n] < 0 || offset[n] + count[n] > rows)
      return make_error("token layout: block " + std::to_string(n) + " [" + std::to_string(offset[n]) +
                        ", +" + std::to_string(count[n]) + ") outside " + std::to_string(rows) + " rows");
    data[n] = static_cast<std::uint32_t>(offset[n]);
    data[offset.size() + n] = static_cast<std::uint32_t>(count[n]);
    for (std::int64_t r = offset[n]; r < offset[n] + count[n]; ++r) {
      std::uint32_t& slot = data[2 * offset.size() + r];
      if (slot != TL_NO_TOKEN) return make_error("token layout: blocks overlap at row " + std::to_string(r));
      slot = static_cast<std::uint32_t>(n);
    }
  }
  out.offset.assign(data.begin(), data.begin() + offset.size());
  out.count.assign(data.begin() + offset.size(), data.begin() + 2 * offset.size());
  auto buf = ctx.create_buffer(data.size(), "token layout");
  if (!buf.ok()) return buf.error();
  out.data = std::move(*buf);
  if (Status s = ctx.upload(out.data, data); !s.ok()) return s.error();
  return out;
}

Result<WorkGroups> ComputeKernels::grid_stride_groups(std::string_view kernel, std::uint64_t total) {
  auto ls = ctx_.local_size(kernel);
  if (!ls.ok()) return ls.error();
  const std::uint64_t wanted = (total + (*ls)[0] - 1) / (*ls)[0];
  return WorkGroups{
      static_cast<std::uint32_t>(std::min<std::uint64_t>(wanted, ctx_.limits().max_workgroup_count[0])), 1,
      1};
}

// ---- GEMM, axpy ---------------------------------------------------------------------------------

Status ComputeKernels::gemm(Batch& batch, BufferView a, BufferView b, BufferView c, const GemmShape& s) {
  constexpr const char* k = "gemm_tiled";
  GemmParams p{};
  p.m = s.m;
  p.n = s.n;
  p.k = s.k;
  p.batch = s.batch;
  p.trans_a = s.trans_a;
  p.trans_b = s.trans_b;
  p.lda = s.lda ? s.lda : (s.trans_a ? s.m : s.k);
  p.ldb = s.ldb ? s.ldb : (s.trans_b ? s.k : s.n);
  p.ldc = s.ldc ? s.ldc : s.n;
  p.stride_a = s.stride_a ? s.stride_a : s.m * s.k;
  p.stride_b = s.stride_b ? s.stride_b : s.k * s.n;
  p.stride_c = s.stride_c ? s.stride_c : s.m * s.n;
  p.alpha = s.alpha;
  p.beta = s.beta;
  if (p.lda < (s.trans_a ? s.m : s.k) || p.ldb < (s.trans_b ? s.k : s.n) || p.ldc < s.n)
    return make_error("gemm_tiled: a leading dimension is smaller than its matrix's row");
  if (s.m == 0 || s.n == 0 || s.batch == 0) return Status::Ok();
  const std::uint64_t ext_a = s.trans_a ? extent(s.k, s.m, p.lda) : extent(s.m, s.k, p.lda);
  const std::uint64_t ext_b = s.trans_b ? extent(s.n, s.k, p.ldb) : extent(s.k, s.n, p.ldb);
  const std::uint64_t ext_c = extent(s.m, s.n, p.ldc);
  const std::uint64_t last = s.batch - 1;
  if (Status st = need(a, last * p.stride_a + ext_a, k, "A"); !st.ok()) return st;
  if (Status st = need(b, last * p.stride_b + ext_b, k, "B"); !st.ok()) return st;
  if (Status st = need(c, last * p.stride_c + ext_c, k, "C"); !st.ok()) return st;

  // Batches beyond the device's z limit go in further dispatches over shifted views.
  const std::uint32_t max_z = ctx_.limits().max_workgroup_count[2];
  const WorkGroups tiles{ceil_div(s.n, TL_GEMM_TILE_N), ceil_div(s.m, TL_GEMM_TILE_M), 1};
  for (std::uint32_t b0 = 0; b0 < s.batch; b0 += max_z) {
    GemmParams chunk = p;
    chunk.batch = std::min(max_z, s.batch - b0);
    const BufferView va(*a.buffer, a.offset + std::uint64_t(b0) * p.stride_a,
                        a.count - std::uint64_t(b0) * p.stride_a);
    const BufferView vb(*b.buffer, b.offset + std::uint64_t(b0) * p.stride_b,
                        b.count - std::uint64_t(b0) * p.stride_b);
    const BufferView vc(*c.buffer, c.offset + std::uint64_t(b0) * p.stride_c,
                        c.count - std::uint64_t(b0) * p.stride_c);
    if (Status st = batch.dispatch(k, {va, vb, vc}, chunk, {tiles.x, tiles.y, chunk.batch}); !st.ok())
      return st;
  }
  return Status::Ok();
}

Status ComputeKernels::axpy(Batch& batch, float alpha, BufferView x, BufferView y) {
  if (Status st = need(y, x.count, "saxpy", "y"); !st.ok()) return st;
  if (x.count > 0xffffffffull) return make_error("saxpy: more than 2^32 - 1 elements");
  auto g = grid_stride_groups("saxpy", x.count);
  if (!g.ok()) return g.error();
  return batch.dispatch("saxpy", {x, y}, SaxpyParams{static_cast<std::uint32_t>(x.count), alpha}, *g);
}

// ---- Stream-state kernels -------------------------------------------------------------------------

Status ComputeKernels::scale_rows(Batch& batch, const MatrixView& x, const DeviceTokenLayout& layout,
                                  BufferView s) {
  constexpr const char* k = "token_scale";
  if (Status st = need(x, k, "x"); !st.ok()) return st;
  if (Status st = check_layout(layout, x.rows, k); !st.ok()) return st;
  if (Status st = need(s, layout.n_tokens, k, "scales"); !st.ok()) return st;
  auto g = grid_stride_groups(k, std::uint64_t(x.rows) * x.cols);
  if (!g.ok()) return g.error();
  return batch.dispatch(k, {x.data, s, layout.data}, TokenScaleParams{x.rows, x.cols, layout.n_tokens, 0},
                        *g);
}

Status ComputeKernels::scale_columns(Batch& batch, const MatrixView& x, const DeviceTokenLayout& layout,
                                     const MatrixView& coef) {
  constexpr const char* k = "token_scale";
  if (Status st = need(x, k, "x"); !st.ok()) return st;
  if (Status st = check_layout(layout, x.rows, k); !st.ok()) return st;
  if (coef.rows != layout.n_tokens || coef.cols != x.cols)
    return make_error("token_scale: coefficients must be n_tokens x cols");
  if (Status st = need(coef, k, "coefficients"); !st.ok()) return st;
  auto g = grid_stride_groups(k, std::uint64_t(x.rows) * x.cols);
  if (!g.ok()) return g.error();
  return batch.dispatch(k, {x.data, coef.data, layout.data},
                        TokenScaleParams{x.rows, x.cols, layout.n_tokens, 1}, *g);
}

Status ComputeKernels::add_to_row(Batch& batch, const MatrixView& x, const DeviceTokenLayout& layout,
                                  std::uint32_t row, const MatrixView& bias) {
  constexpr const char* k = "token_row_bias";
  if (Status st = need(x, k, "x"); !st.ok()) return st;
  if (Status st = check_layout(layout, x.rows, k); !st.ok()) return st;
  if (bias.rows != layout.n_tokens || bias.cols != x.cols)
    return make_error("token_row_bias: bias must be n_tokens x cols");
  if (Status st = need(bias, k, "bias"); !st.ok()) return st;
  auto g = grid_stride_groups(k, std::uint64_t(layout.n_tokens) * x.cols);
  if (!g.ok()) return g.error();
  return batch.dispatch(k, {x.data, bias.data, layout.data},
                        TokenRowBiasParams{x.rows, x.cols, layout.n_tokens, row}, *g);
}

Status ComputeKernels::attention_mix(Batch& batch, const MatrixView& x, const MatrixView& y,
                                     const DeviceTokenLayout& layout, const MatrixView& probs,
                                     const AttentionHeads& h, bool transpose) {
  constexpr const char* k = "attention_mix";
  if (h.heads == 0 || h.kv_heads == 0 || h.head_dim == 0 || h.heads % h.kv_heads != 0)
    return make_error("attention_mix: heads must be a positive multiple of kv_heads");
  const std::uint32_t q_width = h.heads * h.head_dim, kv_width = h.kv_heads * h.head_dim;
  if (x.cols != (transpose ? q_width : kv_width) || y.cols != (transpose ? kv_width : q_width))
    return make_error("attention_mix: x has " + std::to_string(x.cols) + " columns and y " +
                      std::to_string(y.cols) + ", the head shape wants " +
                      std::to_string(transpose ? q_width : kv_width) + " and " +
                      std::to_string(transpose ? kv_width : q_width));
  if (x.rows != y.rows) return make_error("attention_mix: x and y have different row counts");
  if (Status st = check_layout(layout, x.rows, k); !st.ok()) return st;
  if (probs.rows != h.heads * layout.n_tokens || probs.cols != layout.n_tokens)
    return make_error("attention_mix: probabilities must be (heads * n_tokens) x n_tokens");
  for (const auto* m : {&x, &y, &probs})
    if (Status st = need(*m, k, m == &x ? "x" : m == &y ? "y" : "probabilities"); !st.ok()) return st;
  auto g = grid_stride_groups(k, std::uint64_t(y.rows) * y.cols);
  if (!g.ok()) return g.error();
  const AttentionMixParams p{x.rows, layout.n_tokens, h.heads, h.kv_heads, h.head_dim, transpose ? 1u : 0u};
  return batch.dispatch(k, {x.data, y.data, probs.data, layout.data}, p, *g);
}

Status ComputeKernels::row_sq_norms(Batch& batch, const MatrixView& x, BufferView out) {
  constexpr const char* k = "row_sq_norms";
  if (Status st = need(x, k, "x"); !st.ok()) return st;
  if (Status st = need(out, x.rows, k, "out"); !st.ok()) return st;
  auto g = grid_stride_groups(k, x.rows);
  if (!g.ok()) return g.error();
  return batch.dispatch(k, {x.data, out}, RowSqNormsParams{x.rows, x.cols}, *g);
}

Status ComputeKernels::row_dots(Batch& batch, const MatrixView& x, const DeviceTokenLayout& layout,
                                const MatrixView& v, BufferView out) {
  constexpr const char* k = "row_dots";
  if (Status st = need(x, k, "x"); !st.ok()) return st;
  if (Status st = check_layout(layout, x.rows, k); !st.ok()) return st;
  if (v.rows != layout.n_tokens || v.cols != x.cols) return make_error("row_dots: v must be n_tokens x cols");
  if (Status st = need(v, k, "v"); !st.ok()) return st;
  if (Status st = need(out, x.rows, k, "out"); !st.ok()) return st;
  auto g = grid_stride_groups(k, x.rows);
  if (!g.ok()) return g.error();
  return batch.dispatch(k, {x.data, v.data, out, layout.data}, RowDotsParams{x.rows, x.cols, layout.n_tokens},
                        *g);
}

Status ComputeKernels::group_contract(Batch& batch, const MatrixView& x, const DeviceTokenLayout& layout,
                                      std::uint32_t group, const MatrixView& v, const MatrixView& out) {
  constexpr const char* k = "group_contract";
  if (Status st = need(x, k, "x"); !st.ok()) return st;
  if (Status st = check_layout(layout, x.rows, k); !st.ok()) return st;
  if (group == 0 || x.rows % group != 0)
    return make_error("group_contract: rows are not a multiple of the group");
  for (std::uint32_t n = 0; n < layout.n_tokens; ++n)
    if (layout.offset[n] % group != 0 || layout.count[n] % group != 0)
      return make_error("group_contract: block " + std::to_string(n) + " is not made of whole groups");
  if (v.cols != group) return make_error("group_contract: v must have `group` columns");
  if (out.rows != x.rows / group || out.cols != x.cols)
    return make_error("group_contract: out must be (rows / group) x cols");
  if (Status st = need(v, k, "v"); !st.ok()) return st;
  if (Status st = need(out, k, "out"); !st.ok()) return st;
  auto g = grid_stride_groups(k, std::uint64_t(out.rows) * out.cols);
  if (!g.ok()) return g.error();
  return batch.dispatch(k, {x.data, v.data, out.data, layout.data},
                        GroupContractParams{x.rows, x.cols, layout.n_tokens, group, v.rows}, *g);
}

// ---- Forward ops ----------------------------------------------------------------------------------

Status ComputeKernels::masked_softmax(Batch& batch, BufferView scores, BufferView probs, std::uint32_t rows,
                                      std::uint32_t cols, std::uint32_t rows_per_matrix, bool causal,
                                      std::uint32_t key_offset, float scale) {
  constexpr const char* k = "masked_softmax";
  if (rows_per_matrix == 0) return make_error("masked_softmax: rows_per_matrix is 0");
  if (Status st = need(scores, std::uint64_t(rows) * cols, k, "scores"); !st.ok()) return st;
  if (Status st = need(probs, std::uint64_t(rows) * cols, k, "probs"); !st.ok()) return st;
  const WorkGroups g{std::min(rows, ctx_.limits().max_workgroup_count[0]), 1, 1};
  return batch.dispatch(k, {scores, probs},
                        MaskedSoftmaxParams{rows, cols, rows_per_matrix, causal, key_offset, scale}, g);
}

Status ComputeKernels::rope(Batch& batch, BufferView x, BufferView cos_table, BufferView sin_table,
                            BufferView out, const RopeShape& s) {
  constexpr const char* k = "rope";
  if (s.rotary_dim % 2 != 0 || s.rotary_dim > s.head_dim)
    return make_error("rope: rotary_dim must be even and <= head_dim");
  if (s.n_tokens > 0 && s.n_tokens + s.position_offset > s.table_positions)
    return make_error("rope: positions up to " + std::to_string(s.n_tokens + s.position_offset) +
                      " but the table has " + std::to_string(s.table_positions));
  const std::uint64_t n = std::uint64_t(s.n_tokens) * s.n_heads * s.head_dim;
  const std::uint64_t table = std::uint64_t(s.table_positions) * (s.rotary_dim / 2);
  if (Status st = need(x, n, k, "x"); !st.ok()) return st;
  if (Status st = need(out, n, k, "out"); !st.ok()) return st;
  if (Status st = need(cos_table, table, k, "cos table"); !st.ok()) return st;
  if (Status st = need(sin_table, table, k, "sin table"); !st.ok()) return st;
  const std::uint64_t items = std::uint64_t(s.n_tokens) * s.n_heads * (s.head_dim - s.rotary_dim / 2);
  auto g = grid_stride_groups(k, items);
  if (!g.ok()) return g.error();
  const RopeParams p{s.n_tokens,    s.n_heads,         s.head_dim, s.rotary_dim,
                     s.interleaved, s.position_offset, s.inverse};
  return batch.dispatch(k, {x, cos_table, sin_table, out}, p, *g);
}

Status ComputeKernels::norm_forward(Batch& batch, BufferView x, BufferView gamma, BufferView beta,
                                    BufferView y, BufferView inv_scale, NormKind kind, std::uint32_t rows,
                                    std::uint32_t row_len, float eps) {
  constexpr const char* k = "norm_forward";
  const std::uint64_t n = std::uint64_t(rows) * row_len;
  if (Status st = need(x, n, k, "x"); !st.ok()) return st;
  if (Status st = need(y, n, k, "y"); !st.ok()) return st;
  if (Status st = need(gamma, row_len, k, "gamma"); !st.ok()) return st;
  if (kind == NormKind::LayerNorm)
    if (Status st = need(beta, row_len, k, "beta"); !st.ok()) return st;
  if (Status st = need(inv_scale, rows, k, "inv_scale"); !st.ok()) return st;
  // RMSNorm has no beta; any view will do for the unused binding.
  const BufferView beta_or_gamma = kind == NormKind::LayerNorm ? beta : gamma;
  const WorkGroups g{std::min(rows, ctx_.limits().max_workgroup_count[0]), 1, 1};
  return batch.dispatch(k, {x, gamma, beta_or_gamma, y, inv_scale},
                        NormForwardParams{rows, row_len, static_cast<std::uint32_t>(kind), eps}, g);
}

Status ComputeKernels::activation(Batch& batch, BufferView z, BufferView out, ActivationKind kind,
                                  bool ratio) {
  constexpr const char* k = "activation";
  if (Status st = need(out, z.count, k, "out"); !st.ok()) return st;
  if (z.count > 0xffffffffull) return make_error("activation: more than 2^32 - 1 elements");
  auto g = grid_stride_groups(k, z.count);
  if (!g.ok()) return g.error();
  return batch.dispatch(
      k, {z, out},
      ActivationParams{static_cast<std::uint32_t>(z.count), static_cast<std::uint32_t>(kind), ratio}, *g);
}

Status ComputeKernels::embedding_gather(Batch& batch, BufferView ids, BufferView table, BufferView out,
                                        std::uint32_t n_tokens, std::uint32_t dim, std::uint32_t vocab) {
  constexpr const char* k = "embedding_gather";
  if (Status st = need(ids, n_tokens, k, "ids"); !st.ok()) return st;
  if (Status st = need(table, std::uint64_t(vocab) * dim, k, "table"); !st.ok()) return st;
  if (Status st = need(out, std::uint64_t(n_tokens) * dim, k, "out"); !st.ok()) return st;
  auto g = grid_stride_groups(k, std::uint64_t(n_tokens) * dim);
  if (!g.ok()) return g.error();
  return batch.dispatch(k, {ids, table, out}, EmbeddingGatherParams{n_tokens, dim, vocab}, *g);
}

Status ComputeKernels::row_bias_add(Batch& batch, BufferView x, BufferView bias, std::uint32_t rows,
                                    std::uint32_t cols) {
  constexpr const char* k = "row_bias_add";
  const std::uint64_t n = std::uint64_t(rows) * cols;
  if (n > 0xffffffffull) return make_error("row_bias_add: more than 2^32 - 1 elements");
  if (Status st = need(x, n, k, "x"); !st.ok()) return st;
  if (Status st = need(bias, cols, k, "bias"); !st.ok()) return st;
  auto g = grid_stride_groups(k, n);
  if (!g.ok()) return g.error();
  return batch.dispatch(k, {x, bias}, RowBiasAddParams{rows, cols}, *g);
}

Status ComputeKernels::elementwise_mul(Batch& batch, BufferView a, BufferView b, BufferView out) {
  constexpr const char* k = "elementwise_mul";
  if (a.count > 0xffffffffull) return make_error("elementwise_mul: more than 2^32 - 1 elements");
  if (Status st = need(b, a.count, k, "b"); !st.ok()) return st;
  if (Status st = need(out, a.count, k, "out"); !st.ok()) return st;
  auto g = grid_stride_groups(k, a.count);
  if (!g.ok()) return g.error();
  return batch.dispatch(k, {a, b, out}, ElementwiseMulParams{static_cast<std::uint32_t>(a.count)}, *g);
}

}  // namespace tl::gpu
