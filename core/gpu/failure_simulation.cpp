#include "core/gpu/failure_simulation.h"

#include <cstdlib>

namespace tl::gpu {

Result<SimulatedFailure> parse_simulated_failure(std::string_view value) {
  if (value.empty() || value == "none") return SimulatedFailure::None;
  if (value == "no-loader") return SimulatedFailure::NoLoader;
  if (value == "no-device") return SimulatedFailure::NoDevice;
  if (value == "device-init") return SimulatedFailure::DeviceInit;
  if (value == "oom") return SimulatedFailure::OutOfMemory;
  if (value == "device-lost") return SimulatedFailure::DeviceLost;
  return make_error(std::string(kSimulateEnv) + ": unknown value '" + std::string(value) +
                    "' (expected no-loader, no-device, device-init, oom or device-lost)");
}

SimulatedFailure simulated_failure() {
  const char* v = std::getenv(kSimulateEnv);
  if (!v) return SimulatedFailure::None;
  auto parsed = parse_simulated_failure(v);
  return parsed.ok() ? *parsed : SimulatedFailure::None;
}

}  // namespace tl::gpu
