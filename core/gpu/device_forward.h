#pragma once
// The forward pass on the Vulkan device: the same Trace as tl::forward (core/forward/forward.h),
// computed in float32 by the forward-op kernels of ComputeKernels, every family the CPU forward
// supports (pre-norm, post-norm, parallel residual; learned and rotary positions incl. partial
// rotary; GQA; gated FFN; token types; embedding LayerNorm; tied or untied LM head; MLM head;
// attention padding masks; inputs_embeds).
//
// The whole pass is recorded into one Batch and submitted once: no host round trip per layer.
// The Trace comes back in one download per block plus one for the embeddings and head.
//
// Limits, up front:
// - float32 only (Trace::precision = Float32); fp64 traces are the CPU forward's job.
// - Results equal the CPU forward up to float rounding (different summation orders), not bit
//   for bit; tests/gpu/test_device_forward.cpp states the bound.
// - Input validation and position ids are the CPU forward's (start_trace), so both backends
//   accept and reject the same inputs with the same messages.
#include <memory>
#include <string>

#include "core/forward/forward.h"
#include "core/gpu/device_weights.h"
#include "core/gpu/vulkan_backend.h"

namespace tl::gpu {

// Runs the forward pass on `ctx` with weights already on it. `weights` must have been uploaded
// to `ctx`. Errors: input errors (as forward()), out of device memory, device lost.
Result<Trace> forward_on_device(Context& ctx, const DeviceWeights& weights, const ForwardInput& input);

// Uploads the weights for this one call, then runs as above (use DeviceWeights to reuse them).
Result<Trace> forward_on_device(Context& ctx, const Model& model, const ForwardInput& input);

// A Trace and where it was computed.
struct ForwardRun {
  Trace trace;
  bool on_device = false;
  // One line for the user: "forward on the GPU ('<device>')", or "forward on the CPU" and, when
  // the device pass failed, why ("forward on the CPU (the GPU forward failed: device lost: ...)").
  std::string note;
};

// The Trace for an analysis that runs on `selection`: on the selection's device when it is a GPU
// selection and the precision is Float32, otherwise (and when the device pass fails: no memory,
// device lost, ...) the CPU forward. `weights` may hold a cached upload for this model and
// context; when null the weights are uploaded for this call. Errors only when the CPU forward
// fails too (bad input), with its message.
Result<ForwardRun> forward_with_cpu_fallback(const BackendSelection& selection, const Model& model,
                                             const ForwardInput& input, const ForwardOptions& options = {},
                                             const DeviceWeights* weights = nullptr);

}  // namespace tl::gpu
