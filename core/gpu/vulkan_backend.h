#pragma once
// VulkanBackend: the Backend of core/backend/backend.h on Vulkan compute (core/gpu kernels), and
// the factory that picks it or falls back to the CPU backend with a one-line reason.
//
// Limits, up front:
// - float32 only: allocate(Float64) is an Error (fp64 analyses run on the CPU backend; the factory
//   never hands a VulkanBackend out for them).
// - One state buffer must fit in what the device binds at once (maxStorageBufferRange: 128 MiB on
//   lavapipe, 4 GiB on most GPUs); larger allocations are an "out of device memory" Error.
// - Kernels are recorded into one pending batch and submitted when the host needs data (uploads,
//   downloads, reductions), so a chain of products runs without host round trips.
// - The Backend kernels return nothing; a failure inside one (device lost, out of memory for a
//   reduction's scratch buffer) is kept in status(): from then on kernels do nothing and reductions
//   return zeros. run_with_cpu_fallback() checks it and redoes the work on the CPU.
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "core/backend/backend.h"
#include "core/backend/cpu_backend.h"
#include "core/gpu/gpu.h"

namespace tl::gpu {

class VulkanBackend final : public Backend {
 public:
  static Result<std::unique_ptr<VulkanBackend>> create(const ContextOptions& options = {});
  // On an existing context (shared with whoever else holds it).
  static std::unique_ptr<VulkanBackend> on(std::shared_ptr<Context> ctx);
  ~VulkanBackend() override;

  std::string name() const override;
  double nominal_gflops(Precision p) const override;

  Result<tl::Buffer> allocate(std::int64_t rows, std::int64_t cols, Precision p) override;
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
  void add_to_row(BackendBuffer& x, const TokenLayout& layout, std::int64_t row,
                  const BackendBuffer& bias) override;

  void attention_mix(const BackendBuffer& x, BackendBuffer& y, const TokenLayout& layout,
                     const BackendBuffer& probs, const HeadShape& shape, bool transpose) override;

  VecD row_sq_norms(const BackendBuffer& x) override;
  VecD row_dots(const BackendBuffer& x, const TokenLayout& layout, const BackendBuffer& v) override;
  MatD group_contract(const BackendBuffer& x, const TokenLayout& layout, std::int64_t group,
                      const BackendBuffer& v) override;

  // The first failure since creation; Ok while everything worked.
  const Status& status() const { return status_; }
  // Submits the pending kernels and waits for them (also done before every transfer).
  Status finish();
  Context& context() { return *ctx_; }
  // The same context, for work that shares the device with this backend (heatmap colouring).
  const std::shared_ptr<Context>& shared_context() const { return ctx_; }

 private:
  struct State;
  explicit VulkanBackend(std::shared_ptr<Context> ctx);
  Batch* recording();                                                        // nullptr once something failed
  const struct DeviceTokenLayout* device_layout(const TokenLayout& layout);  // likewise
  bool fail(const Status& s);                                                // keeps the first failure
  std::shared_ptr<Context> ctx_;
  std::unique_ptr<State> state_;
  Status status_;
};

// ---------------------------------------------------------------------------------------------
// Choosing a backend

struct BackendRequest {
  bool prefer_gpu = true;
  ContextOptions device;  // which GPU (see ContextOptions::device)
  Precision precision = Precision::Float32;
  int cpu_threads = 0;  // for the CPU backend (0: one per hardware thread)
};

struct BackendSelection {
  std::unique_ptr<Backend> backend;
  bool gpu = false;
  // One line for the user: the backend in use and, after a fallback, why the GPU is not used,
  // e.g. "cpu backend (GPU unavailable: no Vulkan device: ...)".
  std::string note;
};

// The Vulkan backend when requested and usable, otherwise the CPU backend with the reason.
BackendSelection select_backend(const BackendRequest& request);

// Runs work(backend) -> Result<T>. If the selection is a GPU backend and the run fails on it
// (device lost, out of device memory, ...: its status() or the Result says so), the selection is
// replaced by a CPU backend, the note says why in one line, and the work runs again there.
template <class F>
auto run_with_cpu_fallback(BackendSelection& selection, const BackendRequest& request, F&& work)
    -> decltype(work(*selection.backend)) {
  auto result = work(*selection.backend);
  if (!selection.gpu) return result;
  auto* gpu = static_cast<VulkanBackend*>(selection.backend.get());
  const Status& failed = gpu->status();
  if (failed.ok() && result.ok()) return result;
  const std::string why = !failed.ok() ? failed.error().message : result.error().message;
  selection.backend = std::make_unique<CpuBackend>(request.cpu_threads);
  selection.gpu = false;
  selection.note = "cpu backend (the GPU run failed: " + why + ")";
  return work(*selection.backend);
}

}  // namespace tl::gpu
