#pragma once
// ComputeDevice: where a session's forward pass and maps are computed — the app's setting that
// overrides the automatic device choice, as `tensorlens-cli --device` does for the CLI. Choices:
//   "auto"  a GPU (discrete, integrated or virtual) when Vulkan has one, else the CPU backend: a
//           CPU implementation of Vulkan (lavapipe) is slower than the CPU backend
//           (docs/PERFORMANCE.md), so it is used only when chosen by name;
//   "cpu"   the CPU backend;
//   other   a device selector as for `tensorlens-cli --device`: an index or part of a name.
// The backend is made on first use, on the worker thread. A device that cannot do the work (none,
// lost, out of memory) gives way to the CPU backend, and note() says why in one line. Calls are
// serialised: the two model slots may share one session.
#include <memory>
#include <mutex>
#include <string>

#include "core/forward/forward.h"
#include "core/gpu/vulkan_backend.h"

namespace tl::gpu {
class DeviceWeights;
}

namespace tl::app {

class ComputeDevice {
 public:
  explicit ComputeDevice(std::string choice = "auto");
  ~ComputeDevice();
  ComputeDevice(const ComputeDevice&) = delete;
  ComputeDevice& operator=(const ComputeDevice&) = delete;

  const std::string& choice() const { return choice_; }

  // The forward pass on the chosen device (fp32, weights uploaded once per model), the CPU forward
  // otherwise or when the device pass fails. Errors: bad input (as forward()).
  Result<Trace> forward(const Model& model, const ForwardInput& input);

  // work(Backend&) -> Result<T> on the chosen backend, run again on the CPU if the GPU run fails.
  template <class F>
  auto run(F&& work) -> decltype(work(std::declval<Backend&>())) {
    std::lock_guard lock(mutex_);
    ensure_backend();
    auto result = gpu::run_with_cpu_fallback(selection_, request_, work);
    if (!selection_.gpu) weights_.reset();
    publish_note();
    return result;
  }

  // One line for the status bar: "compute: cpu backend", "compute: vulkan backend on '<device>'",
  // or the reason the GPU is not used. Never waits for a running computation.
  std::string note() const;
  bool on_gpu() const;  // whether the last work ran on a GPU (same lock as note())

 private:
  void ensure_backend();  // with mutex_ held
  void publish_note();    // with mutex_ held
  std::string choice_;
  gpu::BackendRequest request_;
  gpu::BackendSelection selection_;
  bool made_ = false;
  std::shared_ptr<const gpu::DeviceWeights> weights_;
  std::string forward_note_;  // set when the last forward fell back to the CPU
  std::recursive_mutex mutex_;  // held while computing
  mutable std::mutex note_mutex_;  // held only to copy note_
  std::string note_ = "compute: not started";
  bool on_gpu_ = false;
};

}  // namespace tl::app
