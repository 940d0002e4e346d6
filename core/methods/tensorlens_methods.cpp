// The four TensorLens maps, registered by name beside the baselines and computed by the engine.
#include "core/methods/method_impls.h"
#include "core/methods/registry.h"

namespace tl::methods {

Result<MethodOutput> run_tensorlens(const MethodCall& call) {
  return make_error(std::string(call.info.name) + ": the TensorLens engine is not available in this build");
}

}  // namespace tl::methods
