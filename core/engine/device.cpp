#include "core/engine/device.h"

#include "core/engine/device_policy.h"
#include "core/gpu/device_forward.h"
#include "core/gpu/device_weights.h"
#include "core/gpu/vulkan_backend.h"

namespace tl::engine {

struct Device::State {
  bool made = false;
  gpu::BackendRequest request;
  gpu::BackendSelection selection;
  std::shared_ptr<const gpu::DeviceWeights> weights;
  std::string forward_note;  // set when the last forward fell back to the CPU
  std::string why_cpu;       // the policy's reason for the CPU
};

Device::Device(std::string choice, Precision precision, int cpu_threads)
    : choice_(normalise_device_choice(choice)),
      precision_(precision),
      cpu_threads_(cpu_threads),
      state_(std::make_unique<State>()) {}

Device::~Device() = default;

void Device::ensure_backend() {
  State& s = *state_;
  if (s.made) return;
  s.made = true;
  const DeviceDecision d = decide_device(choice_, precision_);
  s.request.prefer_gpu = d.use_gpu;
  s.request.device.device = d.selector;
  s.request.precision = precision_;
  s.request.cpu_threads = cpu_threads_;
  s.selection = gpu::select_backend(s.request);
  if (!d.why_cpu.empty()) s.selection.note = "cpu backend (" + d.why_cpu + ")";
  publish_note();
}

Result<Trace> Device::forward(const Model& model, const ForwardInput& input) {
  std::lock_guard lock(mutex_);
  ensure_backend();
  State& s = *state_;
  s.forward_note.clear();
  if (!s.selection.gpu) {
    s.weights.reset();
    publish_note();
    return tl::forward(model, input, ForwardOptions{precision_});
  }
  auto* vk = static_cast<gpu::VulkanBackend*>(s.selection.backend.get());
  if (!s.weights || &s.weights->model() != &model) {
    s.weights.reset();
    // On failure forward_with_cpu_fallback uploads again and reports why.
    if (auto w = gpu::DeviceWeights::upload(vk->context(), model); w.ok()) s.weights = *w;
  }
  auto run = gpu::forward_with_cpu_fallback(s.selection, model, input, ForwardOptions{precision_}, s.weights.get());
  if (!run) return run.error();
  if (!run->on_device) s.forward_note = run->note;
  publish_note();
  return std::move(run->trace);
}

void Device::run_erased(const std::function<Status(Backend&)>& work) {
  std::lock_guard lock(mutex_);
  ensure_backend();
  State& s = *state_;
  (void)gpu::run_with_cpu_fallback(s.selection, s.request, work);
  if (!s.selection.gpu) s.weights.reset();
  publish_note();
}

void Device::with_gpu_context(const std::function<void(const std::shared_ptr<gpu::Context>&)>& f) {
  std::lock_guard lock(mutex_);
  ensure_backend();
  State& s = *state_;
  std::shared_ptr<gpu::Context> ctx;
  if (s.selection.gpu) ctx = static_cast<gpu::VulkanBackend*>(s.selection.backend.get())->shared_context();
  f(ctx);
}

void Device::publish_note() {
  const State& s = *state_;
  std::string note = "compute: " + s.selection.note;
  if (!s.forward_note.empty()) note += "; " + s.forward_note;
  std::lock_guard lock(note_mutex_);
  note_ = std::move(note);
  on_gpu_ = s.selection.gpu && s.forward_note.empty();
}

std::string Device::note() const {
  std::lock_guard lock(note_mutex_);
  return note_;
}

bool Device::on_gpu() const {
  std::lock_guard lock(note_mutex_);
  return on_gpu_;
}

}  // namespace tl::engine
