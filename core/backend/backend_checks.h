#pragma once
// The shape preconditions of the Backend kernels (backend.h), written once and called by every
// backend (CPU and Vulkan) at the top of each kernel. A failure is a programmer error in the
// engine, not a user error: TL_ASSERT stops the program with the reason (core/util/assert.h).
#include <cstdint>

#include "core/backend/backend.h"
#include "core/util/assert.h"

namespace tl::backend_checks {

inline void check_allocate(std::int64_t rows, std::int64_t cols) {
  TL_ASSERT(rows >= 0 && cols >= 0, "allocate: negative buffer size");
}

inline void check_upload_rows(const MatD& src, const BackendBuffer& dst, std::int64_t row0) {
  TL_ASSERT(src.cols() == dst.cols(), "upload_rows: source and destination widths differ");
  TL_ASSERT(row0 >= 0 && row0 + src.rows() <= dst.rows(), "upload_rows: rows outside the destination buffer");
}

inline void check_download_rows(const BackendBuffer& src, std::int64_t row0, std::int64_t nrows) {
  TL_ASSERT(row0 >= 0 && nrows >= 0 && row0 + nrows <= src.rows(),
            "download_rows: rows outside the source buffer");
}

inline void check_axpy(const BackendBuffer& x, const BackendBuffer& y) {
  TL_ASSERT(x.rows() == y.rows() && x.cols() == y.cols(), "axpy: x and y have different shapes");
}

// y = x op(w): x R x K, op(w) K x M, y R x M.
inline void check_gemm(const BackendBuffer& x, const BackendBuffer& w, bool transpose_w,
                       const BackendBuffer& y) {
  TL_ASSERT(x.cols() == (transpose_w ? w.cols() : w.rows()), "gemm: x's columns differ from op(w)'s rows");
  TL_ASSERT(y.rows() == x.rows(), "gemm: y's rows differ from x's rows");
  TL_ASSERT(y.cols() == (transpose_w ? w.rows() : w.cols()), "gemm: y's columns differ from op(w)'s columns");
}

// y_n = x_n op(K_n) with K_n = rows [n * kr, (n + 1) * kr) of k_stack.
inline void check_gemm_per_token(const BackendBuffer& x, const TokenLayout& layout,
                                 const BackendBuffer& k_stack, bool transpose_k, const BackendBuffer& y) {
  const std::int64_t n_tok = layout.num_tokens();
  TL_ASSERT(n_tok > 0, "gemm_per_token: a layout without tokens");
  TL_ASSERT(k_stack.rows() % n_tok == 0,
            "gemm_per_token: k_stack's rows are not a multiple of the token count");
  const std::int64_t kr = k_stack.rows() / n_tok, kc = k_stack.cols();
  TL_ASSERT(x.cols() == (transpose_k ? kc : kr), "gemm_per_token: x's columns differ from op(K_n)'s rows");
  TL_ASSERT(y.cols() == (transpose_k ? kr : kc), "gemm_per_token: y's columns differ from op(K_n)'s columns");
  TL_ASSERT(x.rows() == layout.total_rows && y.rows() == layout.total_rows,
            "gemm_per_token: x or y has not the layout's row count");
}

inline void check_scale_rows(const BackendBuffer& x, const TokenLayout& layout, const BackendBuffer& s) {
  TL_ASSERT(s.rows() == layout.num_tokens(), "scale_rows: not one scale per token");
  TL_ASSERT(x.rows() == layout.total_rows, "scale_rows: x has not the layout's row count");
}

inline void check_scale_columns(const BackendBuffer& x, const TokenLayout& layout,
                                const BackendBuffer& coef) {
  TL_ASSERT(coef.rows() == layout.num_tokens() && coef.cols() == x.cols(),
            "scale_columns: coef is not tokens x x's columns");
  TL_ASSERT(x.rows() == layout.total_rows, "scale_columns: x has not the layout's row count");
}

inline void check_add_to_row(const BackendBuffer& x, const TokenLayout& layout, std::int64_t row,
                             const BackendBuffer& bias) {
  TL_ASSERT(bias.rows() == layout.num_tokens() && bias.cols() == x.cols(),
            "add_to_row: bias is not tokens x x's columns");
  TL_ASSERT(row >= 0, "add_to_row: negative row");
}

inline void check_attention_mix(const BackendBuffer& x, const BackendBuffer& y, const TokenLayout& layout,
                                const BackendBuffer& probs, const HeadShape& shape, bool transpose) {
  const std::int64_t n_tok = layout.num_tokens();
  TL_ASSERT(shape.heads > 0 && shape.kv_heads > 0 && shape.head_dim > 0, "attention_mix: empty head shape");
  TL_ASSERT(shape.heads % shape.kv_heads == 0, "attention_mix: heads is not a multiple of kv_heads");
  TL_ASSERT(probs.rows() == std::int64_t(shape.heads) * n_tok && probs.cols() == n_tok,
            "attention_mix: probs is not (heads * N) x N");
  TL_ASSERT(x.cols() == std::int64_t(transpose ? shape.heads : shape.kv_heads) * shape.head_dim,
            "attention_mix: x's columns do not match the head shape");
  TL_ASSERT(y.cols() == std::int64_t(transpose ? shape.kv_heads : shape.heads) * shape.head_dim,
            "attention_mix: y's columns do not match the head shape");
  TL_ASSERT(x.rows() == layout.total_rows && y.rows() == layout.total_rows,
            "attention_mix: x or y has not the layout's row count");
}

inline void check_row_dots(const BackendBuffer& x, const TokenLayout& layout, const BackendBuffer& v) {
  TL_ASSERT(v.rows() == layout.num_tokens() && v.cols() == x.cols(),
            "row_dots: v is not tokens x x's columns");
}

// Per token (not per element): every block is whole groups, and v has a row for each group.
inline void check_group_contract(const BackendBuffer& x, const TokenLayout& layout, std::int64_t group,
                                 const BackendBuffer& v) {
  TL_ASSERT(group > 0 && v.cols() == group, "group_contract: v's columns differ from the group size");
  TL_ASSERT(layout.total_rows % group == 0, "group_contract: the layout's rows are not whole groups");
  for (int n = 0; n < layout.num_tokens(); ++n) {
    TL_ASSERT(layout.count[n] % group == 0 && layout.offset[n] % group == 0,
              "group_contract: a token block is not whole groups");
    TL_ASSERT(layout.count[n] / group <= v.rows(), "group_contract: a block has more groups than v has rows");
  }
}

}  // namespace tl::backend_checks
