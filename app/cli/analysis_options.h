#pragma once
// Options shared by `analyze` and `block`: scope (--layer / --through), target, precision,
// device, method options; turned into a MethodRequest and the inputs of compute_method.
#include <memory>

#include "app/cli/cli_common.h"
#include "core/backend/backend.h"
#include "core/gpu/device_forward.h"
#include "core/gpu/vulkan_backend.h"
#include "core/methods/registry.h"

namespace tl::cli {

struct AnalysisOptions {
  ModelOption model;
  InputOptions input;
  std::optional<int> layer;    // --layer l: block l alone
  std::optional<int> through;  // --through l: blocks 1..l
  std::string target;          // --target TOKEN (a token string or an id)
  bool fp64 = false;
  std::string device;          // --device cpu | gpu | <selector>
  std::vector<std::string> set;  // --option key=value (method options)
  bool quiet = false;

  void add_to(CLI::App& cmd);
};

// Everything one analysis needs, kept alive together.
struct AnalysisSession {
  std::shared_ptr<const Model> model;
  std::unique_ptr<Tokenizer> tokenizer;
  PreparedInput input;
  Trace trace;
  gpu::BackendRequest backend_request;
  gpu::BackendSelection backend;  // backend.note: which backend, and why not the GPU
  // The model's weights on the selected GPU, uploaded by the first device forward and reused by
  // the next ones (`render` runs one forward per sentence).
  std::shared_ptr<const gpu::DeviceWeights> device_weights;
  bool quiet = false;
  // Computes `trace` for `input`: on the device when a GPU backend is selected (float32), else,
  // or when the device pass fails, on the CPU; a fallback is said on stderr in one line.
  void run_forward(Precision precision);
  // Runs compute_method on the selected backend; a GPU failure mid-run (device lost, out of
  // device memory) redoes it on the CPU and says why on stderr.
  Result<MethodOutput> compute(std::string_view method, const MethodRequest& req, Progress* progress);
  MethodInputs inputs() const;
  MethodRequest request(const AnalysisOptions& o) const;
};

AnalysisSession open_session(const AnalysisOptions& o);

}  // namespace tl::cli
