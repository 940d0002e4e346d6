#pragma once
// Backend: the small set of heavy kernels the TensorLens engine (core/lens) runs on. The Eigen CPU
// backend (cpu_backend.h) is the oracle; a Vulkan backend implements the same interface.
//
// Every kernel works on a "stream state": a dense column-major matrix whose rows are grouped by
// token. Token n owns the `count[n]` consecutive rows starting at `offset[n]` (its "block"); each
// row is one independent copy of that token's feature vector (one input direction, one source
// token, one output direction...). Row r of token n and row r of token m mean the same stream, so
// attention mixes row r of one block into row r of another. Blocks may differ in size: a row that
// exists in the source block but not in the destination block is never needed (the engine orders
// rows so that causality makes it zero), and mixing only touches the first min(count) rows.
//
// Precision: a buffer is float32 or float64 for its whole life; every buffer a kernel gets must
// have the same precision (the engine's fp64 mode runs everything in double for the exactness
// tests). Coefficient buffers (weights, attention probabilities, scales) are ordinary buffers.
//
// Errors: only allocate() can fail (out of device memory) and returns an Error instead of
// crashing; the other kernels check their shape preconditions with TL_ASSERT (programmer errors,
// backend_checks.h), in every build.
//
// Threading: a backend is used by one engine thread at a time; it may use worker threads inside.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/forward/trace.h"  // MatD, VecD, Precision
#include "core/util/result.h"

namespace tl {

// A dense column-major matrix owned by a backend (host memory for the CPU backend, device memory
// for Vulkan). Backends derive from it; the engine only sees the shape.
class BackendBuffer {
 public:
  virtual ~BackendBuffer() = default;
  std::int64_t rows() const { return rows_; }
  std::int64_t cols() const { return cols_; }
  Precision precision() const { return precision_; }
  std::int64_t bytes() const { return rows_ * cols_ * (precision_ == Precision::Float64 ? 8 : 4); }

 protected:
  BackendBuffer(std::int64_t rows, std::int64_t cols, Precision p) : rows_(rows), cols_(cols), precision_(p) {}

 private:
  std::int64_t rows_, cols_;
  Precision precision_;
};
using Buffer = std::unique_ptr<BackendBuffer>;

// Which rows belong to which token (see the file comment). offset/count have one entry per token.
struct TokenLayout {
  std::vector<std::int64_t> offset;
  std::vector<std::int64_t> count;
  std::int64_t total_rows = 0;

  int num_tokens() const { return static_cast<int>(count.size()); }
  // Blocks of the given sizes, stored one after the other in token order.
  static TokenLayout from_counts(std::vector<std::int64_t> counts);
};

// Attention shape for attention_mix: query head h reads key/value head h / (heads / kv_heads),
// and head h occupies columns [h * head_dim, (h + 1) * head_dim) of its buffer.
struct HeadShape {
  int heads = 1;
  int kv_heads = 1;
  int head_dim = 1;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  // Sustained throughput of the big products, GFLOP/s, for time estimates before a run.
  virtual double nominal_gflops(Precision p) const = 0;

  // ---- Memory -------------------------------------------------------------------------------
  // A zero-filled rows x cols buffer. Error (never a crash) when the memory is not available.
  virtual Result<Buffer> allocate(std::int64_t rows, std::int64_t cols, Precision p) = 0;
  // dst.rows(row0 .. row0 + src.rows()) = src (converted to dst's precision).
  virtual void upload_rows(const MatD& src, BackendBuffer& dst, std::int64_t row0 = 0) = 0;
  // src.rows(row0 .. row0 + nrows), as double.
  virtual MatD download_rows(const BackendBuffer& src, std::int64_t row0, std::int64_t nrows) = 0;
  virtual void set_zero(BackendBuffer& x) = 0;
  // y += alpha * x (same shape).
  virtual void axpy(double alpha, const BackendBuffer& x, BackendBuffer& y) = 0;

  // ---- Products -----------------------------------------------------------------------------
  // y = x * op(w) (+ y when accumulate); op(w) = w or w^T. x: R x K, op(w): K x M, y: R x M.
  virtual void gemm(const BackendBuffer& x, const BackendBuffer& w, bool transpose_w, BackendBuffer& y,
                    bool accumulate) = 0;
  // Per-token matrices: y_n = x_n * op(K_n) (+ y_n) for every token block n. `k_stack` holds the
  // N matrices one above the other: K_n = rows [n * kr, (n + 1) * kr) with kr = k_stack.rows() / N.
  virtual void gemm_per_token(const BackendBuffer& x, const TokenLayout& layout, const BackendBuffer& k_stack,
                              bool transpose_k, BackendBuffer& y, bool accumulate) = 0;

  // ---- Frozen per-token coefficients ----------------------------------------------------------
  // x_n *= s[n] for every row of block n (s: N x 1). Norm scales 1/sigma, 1/rms.
  virtual void scale_rows(BackendBuffer& x, const TokenLayout& layout, const BackendBuffer& s) = 0;
  // x_n[:, c] *= coef[n, c] (coef: N x cols). Activation ratios Phi, gates.
  virtual void scale_columns(BackendBuffer& x, const TokenLayout& layout, const BackendBuffer& coef) = 0;
  // x[offset[n] + row, :] += bias[n, :] for every token whose block has more than `row` rows.
  virtual void add_to_row(BackendBuffer& x, const TokenLayout& layout, std::int64_t row,
                          const BackendBuffer& bias) = 0;

  // ---- Attention mixing over tokens -----------------------------------------------------------
  // probs: (heads * N) x N, row h * N + i = query i of head h (post-softmax, masked entries 0).
  // Forward (transpose = false): x has kv_heads * head_dim columns, y has heads * head_dim;
  //   y_i[r, head h] += sum_k A_h[i, k] x_k[r, kv head of h]        for r < min(count_i, count_k).
  // Adjoint (transpose = true): x has heads * head_dim columns, y has kv_heads * head_dim;
  //   y_k[r, kv head of h] += sum_i A_h[i, k] x_i[r, head h]        for r < min(count_i, count_k).
  virtual void attention_mix(const BackendBuffer& x, BackendBuffer& y, const TokenLayout& layout,
                             const BackendBuffer& probs, const HeadShape& shape, bool transpose) = 0;

  // ---- Reductions (results come back to the host, in double) --------------------------------
  // out[r] = sum_c x[r, c]^2 for every row.
  virtual VecD row_sq_norms(const BackendBuffer& x) = 0;
  // out[offset[n] + r] = x_n[r, :] . v[n, :]  (v: N x cols).
  virtual VecD row_dots(const BackendBuffer& x, const TokenLayout& layout, const BackendBuffer& v) = 0;
  // Rows of every block taken in consecutive groups of `group` rows (block counts are multiples
  // of it); group g of a block is contracted with v[g, :] (v: G x group, G >= the most groups in a
  // block): out row (offset[n] / group + g) = sum_r v[g, r] x_n[g * group + r, :].
  virtual MatD group_contract(const BackendBuffer& x, const TokenLayout& layout, std::int64_t group,
                              const BackendBuffer& v) = 0;
};

}  // namespace tl
