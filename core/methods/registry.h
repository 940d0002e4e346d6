#pragma once
// The method registry: ONE list of every explanation method (TensorLens and the baselines of
// docs/TENSORLENS.md §6) that the CLI (`tensorlens-cli methods`, `analyze --method`) and the GUI both
// read, and one entry point that computes any of them by name.
//
//   MethodInputs in{&model, &trace};            // + input, tokenizer, text when available
//   MethodRequest req;                           // scope/layer/head/position/target/options
//   req.scope = Scope::Through; req.layer = 3;
//   Result<MethodOutput> out = compute_method("rollout", in, req);
//   if (out) use(out->maps.front());
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/methods/method.h"
#include "core/util/progress.h"
#include "core/util/result.h"

namespace tl {

// What a method needs beyond the Trace (bit set).
enum MethodNeeds : unsigned {
  kNeedsTraceOnly = 0,
  kNeedsGradients = 1u << 0,      // derivatives of the forward pass (core/autodiff)
  kNeedsForwardPasses = 1u << 1,  // re-runs the forward pass on perturbed inputs
  kNeedsLensEngine = 1u << 2,     // the TensorLens engine (core/lens)
};

struct MethodInfo {
  std::string_view name;         // registry name, e.g. "rollout"
  std::string_view description;  // one line
  bool per_layer = false;        // supports Scope::Block (block l alone)
  bool cumulative = false;       // supports Scope::Through / Scope::EndToEnd
  bool is_signed = false;        // values can be negative (diverging colormap)
  bool per_head = false;         // MethodRequest::head selects a head
  bool explains_prediction = false;  // explains one prediction (position / target token)
  // The map depends on a target token (MethodRequest::target_token): the Out maps and the methods
  // that explain one prediction.
  bool uses_target = false;
  // The map attributes output token i to input token j (usable as a relevance for evaluation and
  // as a layer-wise series); false for logit lens (stages x positions) and token identifiability.
  bool attribution = true;
  unsigned needs = kNeedsTraceOnly;
  std::string_view options;      // help line: "key=default (values) ..."; empty when none
};

// One option of a method, read from its help line (MethodInfo::options).
struct MethodOption {
  std::string key;
  std::string fallback;              // the default as written ("32", "gate", "<neutral>")
  std::vector<std::string> choices;  // "(a|b|c)" after the default; empty: any value of its type
};
std::vector<MethodOption> method_options(const MethodInfo& info);
// Errors: an unknown key (naming the known ones), a value not among the choices, a non-integer
// where the default is an integer, a value outside its range (steps 1..4096, top_k 1..100, ...).
Status check_method_options(const MethodInfo& info, const nlohmann::json& options);

// Every method, in display order.
std::span<const MethodInfo> method_registry();
// nullptr for an unknown name.
const MethodInfo* find_method(std::string_view name);
// "trace", "gradients", "gradients, forward passes", "TensorLens engine".
std::string needs_label(unsigned needs);

// Computes method `name`. Errors (values, never exceptions): unknown name, a scope/layer/head the
// method does not have, an explained position or target out of range, an encoder input without
// a mask token and no position, the TensorLens engine not available. Cancellation through
// `progress` throws tl::Cancelled (caught at the job boundary, as everywhere in core).
Result<MethodOutput> compute_method(std::string_view name, const MethodInputs& inputs, const MethodRequest& request,
                                    Progress* progress = nullptr);

}  // namespace tl
