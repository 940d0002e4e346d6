#pragma once
// One relevance score per input token for the prediction an evaluation explains, from any method
// of the registry (core/methods/registry.h), read the same way for every method:
// - methods that explain one prediction (saliency, integrated gradients, occlusion, ...) give one
//   row: that row;
// - methods with end-to-end maps (TensorLens, rollout, flow, ALTI, Jacobian norms, ...): the row
//   of the explained position of the end-to-end map;
// - methods that exist per block only (attention, attention-mean, norm, effective attention):
//   the last block's map, averaged over heads where the method gives one map per head.
// Signed methods keep their sign: "most relevant" means the largest value.
// The reference "random" (not a registry method) draws uniform scores from a fixed seed.
#include <Eigen/Dense>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/methods/registry.h"

namespace tl::eval {

inline constexpr std::string_view kRandomReference = "random";

// Whether `name` can serve as a relevance (a registry method with token-to-token or
// prediction-to-token scores, or "random"); logit-lens and token-identifiability cannot.
bool is_relevance_method(std::string_view name);
// Every name is_relevance_method accepts, registry order, then "random".
std::vector<std::string> relevance_methods();

// The relevance of every input token for the prediction of `target` at `position`.
// `options`: the method's options (MethodRequest::options). Errors from the method pass through.
Result<Eigen::VectorXd> relevance_of(std::string_view method, const MethodInputs& inputs, int position, int target,
                                     const nlohmann::json& options = nlohmann::json::object(),
                                     Progress* progress = nullptr);

// The "random" reference: uniform [0, 1) scores for n tokens from `seed`.
Eigen::VectorXd random_relevance(int n, std::uint64_t seed);

}  // namespace tl::eval
