#pragma once
// engine::Device: where one Session computes. It owns, for the Session's lifetime, the one
// gpu::Context (shared by the lens backend, the device forward pass and heatmap colouring), the
// model's weights on that device (uploaded once), and the CPU fallback: a device that cannot do
// the work (none, lost, out of memory) gives way to the CPU backend, and note() says why in one
// line. Which device a choice means is decided by device_policy.h, nowhere else.
//
// Thread safety: every call is serialised by one lock, so views on different threads (or the two
// slots of the two-model window) may share a Device. The backend is made on first use.
//
// Limits, up front: the GPU computes in float32 only; a Float64 device is the CPU backend.
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/backend/backend.h"
#include "core/forward/forward.h"
#include "core/util/result.h"

namespace tl::gpu {
class Context;  // core/gpu/gpu.h
}

namespace tl::engine {

class Device {
 public:
  explicit Device(std::string choice = "auto", Precision precision = Precision::Float32, int cpu_threads = 0);
  ~Device();
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  const std::string& choice() const { return choice_; }  // normalised ("auto", "cpu", "gpu", selector)
  Precision precision() const { return precision_; }

  // The forward pass on the device (float32, weights uploaded once per model), on the CPU
  // otherwise or when the device pass fails. Errors: bad input (as tl::forward()).
  Result<Trace> forward(const Model& model, const ForwardInput& input);

  // work(Backend&) -> Result<T> on the device's backend; run again on the CPU backend if the GPU
  // run fails (the fallback is permanent for this Device and said by note()).
  template <class F>
  auto run(F&& work) -> decltype(work(std::declval<Backend&>())) {
    using R = decltype(work(std::declval<Backend&>()));
    std::optional<R> out;
    run_erased([&](Backend& b) {
      out.emplace(work(b));
      return out->ok() ? Status{} : Status(out->error());
    });
    return std::move(*out);
  }

  // f(gpu::Context*) with the device lock held; the context is null when this Device computes on
  // the CPU. Heatmap colouring (render/vulkan_heatmap.h) runs here, on the Session's context.
  void with_gpu_context(const std::function<void(const std::shared_ptr<gpu::Context>&)>& f);

  // One line: "compute: cpu backend", "compute: vulkan backend on '<device>'", or the reason the
  // GPU is not used. Never waits for a running computation.
  std::string note() const;
  bool on_gpu() const;  // whether the last work ran on a GPU

 private:
  struct State;
  void ensure_backend();  // with mutex_ held
  void publish_note();    // with mutex_ held
  void run_erased(const std::function<Status(Backend&)>& work);
  std::string choice_;
  Precision precision_;
  int cpu_threads_;
  std::unique_ptr<State> state_;
  std::recursive_mutex mutex_;    // held while computing
  mutable std::mutex note_mutex_;  // held only to copy note_
  std::string note_ = "compute: not started";
  bool on_gpu_ = false;
};

}  // namespace tl::engine
