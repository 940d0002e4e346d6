#pragma once
// CpuBackend: the Eigen implementation of Backend, the oracle the Vulkan backend is tested
// against. Float32 and float64 buffers; row-parallel kernels on a few worker threads (Eigen itself
// runs single-threaded here, so big products are split into row bands, one per thread).
#include "core/backend/backend.h"

namespace tl {

class CpuBackend final : public Backend {
 public:
  // threads = 0: one per hardware thread.
  explicit CpuBackend(int threads = 0);

  std::string name() const override { return "cpu"; }
  double nominal_gflops(Precision p) const override;
  int threads() const { return threads_; }

  Result<Buffer> allocate(std::int64_t rows, std::int64_t cols, Precision p) override;
  void upload_rows(const MatD& src, BackendBuffer& dst, std::int64_t row0 = 0) override;
  MatD download_rows(const BackendBuffer& src, std::int64_t row0, std::int64_t nrows) override;
  void set_zero(BackendBuffer& x) override;
  void axpy(double alpha, const BackendBuffer& x, BackendBuffer& y) override;

  void gemm(const BackendBuffer& x, const BackendBuffer& w, bool transpose_w, BackendBuffer& y,
            bool accumulate) override;
  void gemm_per_token(const BackendBuffer& x, const TokenLayout& layout, const BackendBuffer& k_stack,
                      bool transpose_k, BackendBuffer& y, bool accumulate) override;

  void scale_rows(BackendBuffer& x, const TokenLayout& layout, const BackendBuffer& s) override;
  void scale_columns(BackendBuffer& x, const TokenLayout& layout, const BackendBuffer& coef) override;
  void add_to_row(BackendBuffer& x, const TokenLayout& layout, std::int64_t row, const BackendBuffer& bias) override;

  void attention_mix(const BackendBuffer& x, BackendBuffer& y, const TokenLayout& layout,
                     const BackendBuffer& probs, const HeadShape& shape, bool transpose) override;

  VecD row_sq_norms(const BackendBuffer& x) override;
  VecD row_dots(const BackendBuffer& x, const TokenLayout& layout, const BackendBuffer& v) override;
  MatD group_contract(const BackendBuffer& x, const TokenLayout& layout, std::int64_t group,
                      const BackendBuffer& v) override;

 private:
  int threads_;
};

// Bytes of memory the operating system reports as available (MemAvailable), or -1 if unknown.
std::int64_t available_system_memory();

}  // namespace tl
