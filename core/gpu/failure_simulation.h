#pragma once
// Failure simulation for tests of the CPU fallback: TL_GPU_SIMULATE names one failure that the
// device layer then reports as if the machine had produced it.
//   no-loader    libvulkan cannot be opened
//   no-device    the instance enumerates no physical device
//   device-init  vkCreateDevice fails (VK_ERROR_INITIALIZATION_FAILED)
//   oom          every device buffer allocation fails (VK_ERROR_OUT_OF_DEVICE_MEMORY)
//   device-lost  every queue submission fails (VK_ERROR_DEVICE_LOST)
// The variable is read at each decision point, so a test may set it between steps (e.g. create a
// context, then set device-lost and submit).
#include <string>
#include <string_view>

#include "core/util/result.h"

namespace tl::gpu {

enum class SimulatedFailure { None, NoLoader, NoDevice, DeviceInit, OutOfMemory, DeviceLost };

inline constexpr const char* kSimulateEnv = "TL_GPU_SIMULATE";

// Parses a TL_GPU_SIMULATE value ("" -> None). Errors name the accepted values.
Result<SimulatedFailure> parse_simulated_failure(std::string_view value);

// The failure currently requested through the environment; an unknown value counts as None here
// (Context::create reports it as an error, so a typo does not silently test nothing).
SimulatedFailure simulated_failure();

// True when the environment currently simulates `f`.
inline bool simulating(SimulatedFailure f) { return simulated_failure() == f; }

}  // namespace tl::gpu
