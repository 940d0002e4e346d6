// Attention-based maps: raw attention per head, head mean, rollout, attention flow and
// gradient-weighted rollout (docs/TENSORLENS.md §6).
#include "core/autodiff/derivatives.h"
#include "core/methods/attention_flow.h"
#include "core/methods/baselines.h"
#include "core/methods/method_impls.h"
#include "core/methods/registry.h"

namespace tl::methods {

Result<MethodOutput> run_attention(const MethodCall& call) {
  if (Status st = check_layer(call, true); !st) return st.error();
  if (Status st = check_head(call); !st) return st.error();
  MethodOutput out;
  for (int l : per_layer_list(call)) {
    const auto& probs = call.trace().blocks[size_t(l - 1)].attn_probs;
    for (int h = 0; h < call.spec().num_heads; ++h) {
      if (call.req.head >= 0 && h != call.req.head) continue;
      out.maps.push_back(make_map(call, probs[size_t(h)], layers_label(Scope::Block, l, call.layers(), h), false));
    }
  }
  return out;
}

Result<MethodOutput> run_attention_mean(const MethodCall& call) {
  if (Status st = check_layer(call, true); !st) return st.error();
  MethodOutput out;
  for (int l : per_layer_list(call)) {
    out.maps.push_back(make_map(call, mean_attention(call.trace(), l), layers_label(Scope::Block, l, call.layers()), false));
  }
  return out;
}

Result<MethodOutput> run_rollout(const MethodCall& call) {
  return layered(
      call, [&](int l) { return residual_augmented(mean_attention(call.trace(), l)); }, rollout_product);
}

Result<MethodOutput> run_flow(const MethodCall& call) {
  return layered(
      call, [&](int l) { return residual_augmented(mean_attention(call.trace(), l)); }, attention_flow);
}

Result<MethodOutput> run_grad_rollout(const MethodCall& call) {
  auto explained = resolve_explained(call);
  if (!explained) return explained.error();
  const autodiff::Tape tape(call.model(), call.trace(), derivative_weights(call));
  call.step(0.0, "gradient of the explained logit");
  const autodiff::Gradients g = autodiff::logits_vjp(tape, {{explained->position, explained->token}}, true);
  auto result = layered(
      call,
      [&](int l) {
        return gradient_weighted_attention(call.trace().blocks[size_t(l - 1)].attn_probs, g.attention[size_t(l - 1)]);
      },
      gradient_weighted_rollout);
  if (result) {
    result->explained_position = explained->position;
    result->explained_token = explained->token;
  }
  return result;
}

}  // namespace tl::methods
