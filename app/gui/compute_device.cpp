#include "app/gui/compute_device.h"

#include <cstdlib>

#include "core/gpu/device_forward.h"
#include "core/gpu/device_weights.h"

namespace tl::app {

ComputeDevice::ComputeDevice(std::string choice) : choice_(choice.empty() ? "auto" : std::move(choice)) {}
ComputeDevice::~ComputeDevice() = default;

void ComputeDevice::ensure_backend() {
  if (made_) return;
  made_ = true;
  request_.prefer_gpu = choice_ != "cpu";
  std::string why_cpu;
  if (choice_ == "auto") {
    // Only a real GPU is worth it; a CPU implementation of Vulkan is slower than the CPU backend.
    auto devices = gpu::list_devices();
    if (!devices) {
      request_.prefer_gpu = false;
      why_cpu = "cpu backend (GPU unavailable: " + devices.error().message + ")";
    } else if (auto best = gpu::choose_device(*devices, ""); !best) {
      request_.prefer_gpu = false;
      why_cpu = "cpu backend (GPU unavailable: " + best.error().message + ")";
    } else if ((*devices)[*best].kind == gpu::DeviceKind::Cpu && !std::getenv("TL_GPU_DEVICE")) {
      request_.prefer_gpu = false;
      why_cpu = "cpu backend (the only Vulkan device, " + (*devices)[*best].name +
                ", runs on the CPU; choose it under View > Compute device to use it anyway)";
    }
  } else if (choice_ != "cpu") {
    request_.device.device = choice_;
  }
  selection_ = gpu::select_backend(request_);
  if (!why_cpu.empty()) selection_.note = why_cpu;
  publish_note();
}

Result<Trace> ComputeDevice::forward(const Model& model, const ForwardInput& input) {
  std::lock_guard lock(mutex_);
  ensure_backend();
  forward_note_.clear();
  if (!selection_.gpu) {
    publish_note();
    return tl::forward(model, input);
  }
  auto* vk = static_cast<gpu::VulkanBackend*>(selection_.backend.get());
  if (!weights_ || &weights_->model() != &model) {
    weights_.reset();
    // On failure forward_with_cpu_fallback uploads again and reports why.
    if (auto w = gpu::DeviceWeights::upload(vk->context(), model); w.ok()) weights_ = *w;
  }
  auto run = gpu::forward_with_cpu_fallback(selection_, model, input, ForwardOptions{}, weights_.get());
  if (!run) return run.error();
  if (!run->on_device) forward_note_ = run->note;
  publish_note();
  return std::move(run->trace);
}

void ComputeDevice::publish_note() {
  std::string note = "compute: " + selection_.note;
  if (!forward_note_.empty()) note += "; " + forward_note_;
  std::lock_guard lock(note_mutex_);
  note_ = std::move(note);
  on_gpu_ = selection_.gpu && forward_note_.empty();
}

std::string ComputeDevice::note() const {
  std::lock_guard lock(note_mutex_);
  return note_;
}

bool ComputeDevice::on_gpu() const {
  std::lock_guard lock(note_mutex_);
  return on_gpu_;
}

}  // namespace tl::app
