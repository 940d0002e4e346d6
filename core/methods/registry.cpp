#include "core/methods/registry.h"

#include <array>

#include "core/methods/method_impls.h"

namespace tl {
namespace {

using methods::MethodFn;

struct Entry {
  MethodInfo info;
  MethodFn run;
};

constexpr std::string_view kLensOptions =
    "gated=gate (gate|up|symmetric) input=residual (residual|tokens) strategy=auto "
    "(auto|full|column-slices|input-contracted|row-slices) precision=float32 (float32|float64) "
    "memory_budget=2147483648 (bytes)";
constexpr std::string_view kRowsOption = "rows=explained (explained|all)";

// The one list. Order = display order (TensorLens first, then the baselines of docs/TENSORLENS.md §6).
// Fields: name, description, per_layer, cumulative, signed, per_head, explains_prediction, needs, options.
const Entry kEntries[] = {
    {{"tensorlens", "TensorLens: Frobenius norm of the operator's D x D block, ||T[i,:,j,:]||_F", true, true, false,
      false, false, kNeedsLensEngine, kLensOptions},
     methods::run_tensorlens},
    {{"tensorlens-in", "TensorLens In: norm of token j's contribution vector to output i, ||T[i,:,j,:] x_j||", true,
      true, false, false, false, kNeedsLensEngine, kLensOptions},
     methods::run_tensorlens},
    {{"tensorlens-out", "TensorLens Out: the operator read along the target's unembedding row, ||w_i T[i,:,j,:]||",
      true, true, false, false, false, kNeedsLensEngine, kLensOptions},
     methods::run_tensorlens},
    {{"tensorlens-in-out", "TensorLens In-Out: signed contribution of token j to the target logit at i (rows + bias = logit)",
      true, true, true, false, false, kNeedsLensEngine, kLensOptions},
     methods::run_tensorlens},
    {{"attention", "Raw attention probabilities of one head (rows: queries)", true, false, false, true, false,
      kNeedsTraceOnly, ""},
     methods::run_attention},
    {{"attention-mean", "Attention probabilities averaged over the heads of a layer", true, false, false, false, false,
      kNeedsTraceOnly, ""},
     methods::run_attention_mean},
    {{"rollout", "Attention rollout (Abnar & Zuidema 2020): product of (mean attention + I)/rowsum over layers", true,
      true, false, false, false, kNeedsTraceOnly, ""},
     methods::run_rollout},
    {{"flow", "Attention flow (Abnar & Zuidema 2020): max-flow through the layered graph of (mean attention + I)/rowsum",
      true, true, false, false, false, kNeedsTraceOnly, ""},
     methods::run_flow},
    {{"grad-rollout", "Gradient-weighted rollout (Chefer et al. 2021): R += mean_h((dy/dA * A)^+) R per layer", true,
      true, false, false, true, kNeedsGradients, ""},
     methods::run_grad_rollout},
    {{"norm", "Norm-based attention (Kobayashi et al. 2020): ||sum_h A^h[i,j] (x_j W_V + b_V) W_O||", true, false,
      false, true, false, kNeedsTraceOnly, ""},
     methods::run_norm},
    {{"alti", "ALTI (Ferrando et al. 2022): L1 contributions to attention + residual (+ LN), rolled out without re-adding I",
      true, true, false, false, false, kNeedsTraceOnly, ""},
     methods::run_alti},
    {{"globenc", "GlobEnc (Modarressi et al. 2022): L2 norms through attention, residuals and norms (FFN skipped), rolled out",
      true, true, false, false, false, kNeedsTraceOnly, ""},
     methods::run_globenc},
    {{"effective-attention", "Effective attention (Brunner et al. 2020): A projected onto the span of the head's value outputs",
      true, false, true, true, false, kNeedsTraceOnly, ""},
     methods::run_effective_attention},
    {{"hidden-token-attribution", "Hidden token attribution (Brunner et al. 2020): ||dh_i^l / dx_j||_F, rows normalised",
      false, true, false, false, false, kNeedsGradients, "wrt=embeddings (embeddings|tokens)"},
     methods::run_hidden_token_attribution},
    {{"jacobian", "True Jacobian ||dh_i / dx_j||_F (block alone, up to a layer, end to end); with a pair, the D x D block",
      true, true, false, false, false, kNeedsGradients, "wrt=embeddings (embeddings|tokens)"},
     methods::run_jacobian},
    {{"saliency", "Saliency: ||dy_c / dx_j||_2 of the explained logit w.r.t. each token's embedding row", false, true,
      false, false, true, kNeedsGradients, kRowsOption},
     methods::run_saliency},
    {{"input-x-gradient", "Input x gradient: sum_e x_j[e] dy_c / dx_j[e]", false, true, true, false, true,
      kNeedsGradients, kRowsOption},
     methods::run_input_x_gradient},
    {{"integrated-gradients", "Integrated gradients (Sundararajan et al. 2017) from a zero or neutral-token baseline", false,
      true, true, false, true, kNeedsGradients | kNeedsForwardPasses,
      "steps=32 baseline=zero (zero|neutral) replacement_token=<neutral> rows=explained (explained|all)"},
     methods::run_integrated_gradients},
    {{"occlusion", "Occlusion: drop of the explained logit when token j is replaced by a neutral token", false, true,
      true, false, true, kNeedsForwardPasses, "replacement_token=<neutral> rows=explained (explained|all)"},
     methods::run_occlusion},
    {{"token-identifiability", "Token identifiability (Brunner et al. 2020): similarity of hidden states to the input embeddings",
      true, false, true, false, false, kNeedsTraceOnly, "metric=cosine (cosine|l2: distance, unsigned)"},
     methods::run_token_identifiability},
    {{"logit-lens", "Logit lens: probability of the predicted token when each block's output is decoded", false, true,
      false, false, false, kNeedsTraceOnly, "top_k=5"},
     methods::run_logit_lens},
};
constexpr size_t kCount = sizeof(kEntries) / sizeof(kEntries[0]);

// A second view of the names for method_registry() (std::span over the infos).
const std::array<MethodInfo, kCount> kInfos = [] {
  std::array<MethodInfo, kCount> infos{};
  for (size_t k = 0; k < kCount; ++k) infos[k] = kEntries[k].info;
  return infos;
}();

}  // namespace

std::span<const MethodInfo> method_registry() { return kInfos; }

const MethodInfo* find_method(std::string_view name) {
  for (const MethodInfo& info : kInfos) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

std::string needs_label(unsigned needs) {
  std::string s;
  auto add = [&](const char* what) { s += s.empty() ? what : std::string(", ") + what; };
  if (needs & kNeedsGradients) add("gradients");
  if (needs & kNeedsForwardPasses) add("forward passes");
  if (needs & kNeedsLensEngine) add("TensorLens engine");
  return s.empty() ? "trace" : s;
}

Result<MethodOutput> compute_method(std::string_view name, const MethodInputs& inputs, const MethodRequest& request,
                                    Progress* progress) {
  const Entry* entry = nullptr;
  for (const Entry& e : kEntries) {
    if (e.info.name == name) entry = &e;
  }
  if (!entry) {
    std::string known;
    for (const MethodInfo& info : kInfos) known += (known.empty() ? "" : ", ") + std::string(info.name);
    return make_error("unknown method '" + std::string(name) + "' (known: " + known + ")");
  }
  if (!inputs.model || !inputs.trace) return make_error(std::string(name) + ": no model or trace given");
  if (inputs.trace->num_layers() != inputs.model->spec.num_layers || inputs.trace->num_tokens() == 0) {
    return make_error(std::string(name) + ": the trace does not come from this model");
  }
  const MethodInfo& info = entry->info;
  if (info.explains_prediction && !info.per_layer && request.scope != Scope::EndToEnd) {
    return make_error(std::string(name) + " explains the model's output: it is end to end only");
  }
  const methods::MethodCall call{inputs, request, info, progress};
  return entry->run(call);
}

}  // namespace tl
