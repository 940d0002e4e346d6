#include "core/engine/device_policy.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "core/gpu/gpu.h"

namespace tl::engine {

std::string normalise_device_choice(std::string_view choice) {
  std::string s(choice);
  const auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  std::string lower = s;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower.empty() || lower == "auto") return "auto";
  if (lower == "cpu" || lower == "gpu") return lower;
  return s;
}

DeviceDecision decide_device(std::string_view choice, Precision precision) {
  // Listing creates an instance; only "auto" needs it.
  const bool needs_list = normalise_device_choice(choice) == "auto" && precision == Precision::Float32;
  const Result<std::vector<gpu::DeviceInfo>> devices =
      needs_list ? gpu::list_devices() : Result<std::vector<gpu::DeviceInfo>>(std::vector<gpu::DeviceInfo>{});
  return decide_device(choice, precision, devices, std::getenv("TL_GPU_DEVICE"));
}

DeviceDecision decide_device(std::string_view raw_choice, Precision precision,
                             const Result<std::vector<gpu::DeviceInfo>>& devices, const char* env_selector) {
  const std::string choice = normalise_device_choice(raw_choice);
  DeviceDecision d;
  if (choice == "cpu") return d;
  if (precision == Precision::Float64) {
    d.why_cpu = "float64 runs on the CPU";
    return d;
  }
  if (choice == "gpu") {
    d.use_gpu = true;
    return d;
  }
  if (choice != "auto") {
    d.use_gpu = true;
    d.selector = choice;
    return d;
  }
  // "auto": only a real GPU is worth it.
  if (!devices) {
    d.why_cpu = "GPU unavailable: " + devices.error().message;
    return d;
  }
  auto best = gpu::choose_device(*devices, "");
  if (!best) {
    d.why_cpu = "GPU unavailable: " + best.error().message;
    return d;
  }
  const gpu::DeviceInfo& dev = (*devices)[*best];
  if (dev.kind == gpu::DeviceKind::Cpu && !env_selector) {
    d.why_cpu = "the only Vulkan device, " + dev.name +
                ", runs on the CPU; choose it by name or index (--device, View > Compute device) to use it anyway";
    return d;
  }
  d.use_gpu = true;
  return d;
}

}  // namespace tl::engine
