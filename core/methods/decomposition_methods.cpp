// Value-aware attention maps: norm-based (Kobayashi), ALTI, GlobEnc and effective attention
// (definitions in baselines.h and docs/TENSORLENS.md §6).
#include "core/methods/baselines.h"
#include "core/methods/method_impls.h"
#include "core/methods/registry.h"

namespace tl::methods {

Result<MethodOutput> run_norm(const MethodCall& call) {
  if (Status st = check_layer(call, true); !st) return st.error();
  if (Status st = check_head(call); !st) return st.error();
  MethodOutput out;
  for (int l : per_layer_list(call)) {
    out.maps.push_back(make_map(call, kobayashi_norms(call.model(), call.trace(), l, call.req.head),
                                layers_label(Scope::Block, l, call.layers(), call.req.head), false));
  }
  return out;
}

Result<MethodOutput> run_alti(const MethodCall& call) {
  return layered(
      call, [&](int l) { return alti_contributions(attention_residual_decomposition(call.model(), call.trace(), l)); },
      rollout_product);
}

Result<MethodOutput> run_globenc(const MethodCall& call) {
  return layered(
      call,
      [&](int l) {
        return globenc_contributions(call.model(), call.trace(), l,
                                     attention_residual_decomposition(call.model(), call.trace(), l));
      },
      rollout_product);
}

Result<MethodOutput> run_effective_attention(const MethodCall& call) {
  if (Status st = check_layer(call, true); !st) return st.error();
  if (Status st = check_head(call); !st) return st.error();
  MethodOutput out;
  for (int l : per_layer_list(call)) {
    const std::vector<Eigen::MatrixXd> values = head_value_outputs(call.model(), call.trace(), l);
    for (int h = 0; h < call.spec().num_heads; ++h) {
      if (call.req.head >= 0 && h != call.req.head) continue;
      out.maps.push_back(make_map(call,
                                  effective_attention(call.trace().blocks[size_t(l - 1)].attn_probs[size_t(h)],
                                                      values[size_t(h)]),
                                  layers_label(Scope::Block, l, call.layers(), h), true));
    }
  }
  return out;
}

}  // namespace tl::methods
