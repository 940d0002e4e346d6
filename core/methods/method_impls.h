#pragma once
// The registry's implementations, one function per method (registry.cpp maps names to them).
// Each validates the request against what the method has and returns Maps.
#include "core/methods/method_common.h"

namespace tl::methods {

using MethodFn = Result<MethodOutput> (*)(const MethodCall&);

// attention_methods.cpp
Result<MethodOutput> run_attention(const MethodCall& call);
Result<MethodOutput> run_attention_mean(const MethodCall& call);
Result<MethodOutput> run_rollout(const MethodCall& call);
Result<MethodOutput> run_flow(const MethodCall& call);
Result<MethodOutput> run_grad_rollout(const MethodCall& call);

// decomposition_methods.cpp
Result<MethodOutput> run_norm(const MethodCall& call);
Result<MethodOutput> run_alti(const MethodCall& call);
Result<MethodOutput> run_globenc(const MethodCall& call);
Result<MethodOutput> run_effective_attention(const MethodCall& call);

// jacobian_methods.cpp
Result<MethodOutput> run_hidden_token_attribution(const MethodCall& call);
Result<MethodOutput> run_jacobian(const MethodCall& call);

// gradient_methods.cpp
Result<MethodOutput> run_saliency(const MethodCall& call);
Result<MethodOutput> run_input_x_gradient(const MethodCall& call);
Result<MethodOutput> run_integrated_gradients(const MethodCall& call);
Result<MethodOutput> run_occlusion(const MethodCall& call);

// representation_methods.cpp
Result<MethodOutput> run_token_identifiability(const MethodCall& call);
Result<MethodOutput> run_logit_lens(const MethodCall& call);

// tensorlens_methods.cpp
Result<MethodOutput> run_tensorlens(const MethodCall& call);

}  // namespace tl::methods
