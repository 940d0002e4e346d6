#pragma once
// The one device policy: what a device choice ("auto", "cpu", "gpu" or a selector) means, for the
// CLI (`--device`), the GUI (View > Compute device, `tensorlens --device`) and the Python module
// alike. The rule that "auto" never takes a CPU implementation of Vulkan lives here and only here.
//
//   "auto"   a real GPU (discrete, integrated or virtual) when Vulkan has one, else the CPU backend:
//            a CPU implementation of Vulkan (lavapipe) is slower than the CPU backend
//            (docs/PERFORMANCE.md), so "auto" takes it only when TL_GPU_DEVICE names it;
//   "cpu"    the CPU backend;
//   "gpu"    the best Vulkan device, whatever its kind (asked for explicitly, so lavapipe too);
//   other    a device selector: an index into the device list or part of a device's name.
// Float64 always runs on the CPU (the Vulkan kernels are float32).
#include <string>
#include <string_view>

#include "core/forward/trace.h"  // Precision
#include "core/gpu/gpu.h"        // DeviceInfo (Vulkan-free)

namespace tl::engine {

struct DeviceDecision {
  bool use_gpu = false;
  std::string selector;  // for gpu::ContextOptions::device ("" = best device / TL_GPU_DEVICE)
  // Why the CPU is used although a GPU was possible ("" when the choice was "cpu" or a GPU is used).
  std::string why_cpu;
};

// Normalises a user's spelling: "" and "AUTO" -> "auto", " cpu " -> "cpu"; selectors are kept.
std::string normalise_device_choice(std::string_view choice);

// Decides where work of `precision` runs for `choice`. Lists the Vulkan devices for "auto" (cheap:
// no logical device is created). Never fails: a missing driver means the CPU, with the reason.
DeviceDecision decide_device(std::string_view choice, Precision precision);
// The same decision on a given device list (or the error listing it gave); `env_selector` is
// TL_GPU_DEVICE (null when unset). Pure: the tests call it with made-up lists.
DeviceDecision decide_device(std::string_view choice, Precision precision,
                             const Result<std::vector<gpu::DeviceInfo>>& devices, const char* env_selector);

}  // namespace tl::engine
