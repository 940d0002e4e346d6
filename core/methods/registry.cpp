#include "core/methods/registry.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <regex>

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
const Entry kEntries[] = {
    {.info = {.name = "tensorlens",
              .description = "TensorLens: Frobenius norm of the operator's D x D block, ||T[i,:,j,:]||_F",
              .per_layer = true,
              .cumulative = true,
              .needs = kNeedsLensEngine,
              .options = kLensOptions},
     .run = methods::run_tensorlens},
    {.info = {.name = "tensorlens-in",
              .description = "TensorLens In: norm of token j's contribution vector to output i, ||T[i,:,j,:] x_j||",
              .per_layer = true,
              .cumulative = true,
              .needs = kNeedsLensEngine,
              .options = kLensOptions},
     .run = methods::run_tensorlens},
    {.info = {.name = "tensorlens-out",
              .description = "TensorLens Out: the operator read along the target's unembedding row, ||w_i T[i,:,j,:]||",
              .per_layer = true,
              .cumulative = true,
              .uses_target = true,
              .needs = kNeedsLensEngine,
              .options = kLensOptions},
     .run = methods::run_tensorlens},
    {.info = {.name = "tensorlens-in-out",
              .description = "TensorLens In-Out: signed contribution of token j to the target logit at i (rows + bias = logit)",
              .per_layer = true,
              .cumulative = true,
              .is_signed = true,
              .uses_target = true,
              .needs = kNeedsLensEngine,
              .options = kLensOptions},
     .run = methods::run_tensorlens},
    {.info = {.name = "attention",
              .description = "Raw attention probabilities of one head (rows: queries)",
              .per_layer = true,
              .per_head = true,
              .needs = kNeedsTraceOnly},
     .run = methods::run_attention},
    {.info = {.name = "attention-mean",
              .description = "Attention probabilities averaged over the heads of a layer",
              .per_layer = true,
              .needs = kNeedsTraceOnly},
     .run = methods::run_attention_mean},
    {.info = {.name = "rollout",
              .description = "Attention rollout (Abnar & Zuidema 2020): product of (mean attention + I)/rowsum over layers",
              .per_layer = true,
              .cumulative = true,
              .needs = kNeedsTraceOnly},
     .run = methods::run_rollout},
    {.info = {.name = "flow",
              .description = "Attention flow (Abnar & Zuidema 2020): max-flow through the layered graph of (mean attention + I)/rowsum",
              .per_layer = true,
              .cumulative = true,
              .needs = kNeedsTraceOnly},
     .run = methods::run_flow},
    {.info = {.name = "grad-rollout",
              .description = "Gradient-weighted rollout (Chefer et al. 2021): R += mean_h((dy/dA * A)^+) R per layer",
              .per_layer = true,
              .cumulative = true,
              .explains_prediction = true,
              .uses_target = true,
              .needs = kNeedsGradients},
     .run = methods::run_grad_rollout},
    {.info = {.name = "norm",
              .description = "Norm-based attention (Kobayashi et al. 2020): ||sum_h A^h[i,j] (x_j W_V + b_V) W_O||",
              .per_layer = true,
              .per_head = true,
              .needs = kNeedsTraceOnly},
     .run = methods::run_norm},
    {.info = {.name = "alti",
              .description = "ALTI (Ferrando et al. 2022): L1 contributions to attention + residual (+ LN), rolled out without re-adding I",
              .per_layer = true,
              .cumulative = true,
              .needs = kNeedsTraceOnly},
     .run = methods::run_alti},
    {.info = {.name = "globenc",
              .description = "GlobEnc (Modarressi et al. 2022): L2 norms through attention, residuals and norms (FFN skipped), rolled out",
              .per_layer = true,
              .cumulative = true,
              .needs = kNeedsTraceOnly},
     .run = methods::run_globenc},
    {.info = {.name = "effective-attention",
              .description = "Effective attention (Brunner et al. 2020): A projected onto the span of the head's value outputs",
              .per_layer = true,
              .is_signed = true,
              .per_head = true,
              .needs = kNeedsTraceOnly},
     .run = methods::run_effective_attention},
    {.info = {.name = "hidden-token-attribution",
              .description = "Hidden token attribution (Brunner et al. 2020): ||dh_i^l / dx_j||_F, rows normalised",
              .cumulative = true,
              .needs = kNeedsGradients,
              .options = "wrt=embeddings (embeddings|tokens)"},
     .run = methods::run_hidden_token_attribution},
    {.info = {.name = "jacobian",
              .description = "True Jacobian ||dh_i / dx_j||_F (block alone, up to a layer, end to end); with a pair, the D x D block",
              .per_layer = true,
              .cumulative = true,
              .needs = kNeedsGradients,
              .options = "wrt=embeddings (embeddings|tokens)"},
     .run = methods::run_jacobian},
    {.info = {.name = "saliency",
              .description = "Saliency: ||dy_c / dx_j||_2 of the explained logit w.r.t. each token's embedding row",
              .cumulative = true,
              .explains_prediction = true,
              .uses_target = true,
              .needs = kNeedsGradients,
              .options = kRowsOption},
     .run = methods::run_saliency},
    {.info = {.name = "input-x-gradient",
              .description = "Input x gradient: sum_e x_j[e] dy_c / dx_j[e]",
              .cumulative = true,
              .is_signed = true,
              .explains_prediction = true,
              .uses_target = true,
              .needs = kNeedsGradients,
              .options = kRowsOption},
     .run = methods::run_input_x_gradient},
    {.info = {.name = "integrated-gradients",
              .description = "Integrated gradients (Sundararajan et al. 2017) from a zero or neutral-token baseline",
              .cumulative = true,
              .is_signed = true,
              .explains_prediction = true,
              .uses_target = true,
              .needs = kNeedsGradients | kNeedsForwardPasses,
              .options = "steps=32 baseline=zero (zero|neutral) replacement_token=<neutral> rows=explained (explained|all)"},
     .run = methods::run_integrated_gradients},
    {.info = {.name = "occlusion",
              .description = "Occlusion: drop of the explained logit when token j is replaced by a neutral token",
              .cumulative = true,
              .is_signed = true,
              .explains_prediction = true,
              .uses_target = true,
              .needs = kNeedsForwardPasses,
              .options = "replacement_token=<neutral> rows=explained (explained|all)"},
     .run = methods::run_occlusion},
    {.info = {.name = "token-identifiability",
              .description = "Token identifiability (Brunner et al. 2020): similarity of hidden states to the input embeddings",
              .per_layer = true,
              .is_signed = true,
              .attribution = false,
              .needs = kNeedsTraceOnly,
              .options = "metric=cosine (cosine|l2: distance, unsigned)"},
     .run = methods::run_token_identifiability},
    {.info = {.name = "logit-lens",
              .description = "Logit lens: probability of the predicted token when each block's output is decoded",
              .cumulative = true,
              .attribution = false,
              .needs = kNeedsTraceOnly,
              .options = "top_k=5"},
     .run = methods::run_logit_lens},
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

namespace {

// Ranges beyond the help line's types: values that would make a method run for hours or mean nothing.
struct OptionRange {
  std::string_view key;
  double lo, hi;
};
constexpr OptionRange kOptionRanges[] = {
    {"steps", 1, 4096},                        // integrated gradients: path points
    {"top_k", 1, 100},                         // logit lens: tokens per cell
    {"memory_budget", 1 << 20, 1099511627776.0},  // 1 MiB .. 1 TiB
};

}  // namespace

std::vector<MethodOption> method_options(const MethodInfo& info) {
  // The help line reads "key=default (a|b|c) key2=default ...": a key is a word followed by '='.
  std::vector<MethodOption> out;
  static const std::regex item(R"(([a-z_]+)=(\S+)(?:\s+\(([^)]*)\))?)");
  const std::string line(info.options);
  for (auto it = std::sregex_iterator(line.begin(), line.end(), item); it != std::sregex_iterator(); ++it) {
    MethodOption o;
    o.key = (*it)[1].str();
    o.fallback = (*it)[2].str();
    const std::string values = (*it)[3].str();
    if (!values.empty() && values.find(':') == std::string::npos && values.find(' ') == std::string::npos &&
        values.find('|') != std::string::npos) {
      std::size_t start = 0;
      while (start <= values.size()) {
        const std::size_t bar = values.find('|', start);
        o.choices.push_back(values.substr(start, bar == std::string::npos ? std::string::npos : bar - start));
        if (bar == std::string::npos) break;
        start = bar + 1;
      }
    }
    out.push_back(std::move(o));
  }
  return out;
}

Status check_method_options(const MethodInfo& info, const nlohmann::json& options) {
  if (options.is_null()) return Status::Ok();
  const std::string name(info.name);
  if (!options.is_object()) return make_error(name + ": options must be key=value pairs");
  const std::vector<MethodOption> known = method_options(info);
  std::string known_list;
  for (const MethodOption& o : known) known_list += (known_list.empty() ? "" : ", ") + o.key;
  for (const auto& [key, value] : options.items()) {
    const auto it = std::find_if(known.begin(), known.end(), [&](const MethodOption& o) { return o.key == key; });
    if (it == known.end()) {
      return make_error(name + ": unknown option '" + key + "' (" +
                        (known.empty() ? name + " takes no options" : "its options: " + known_list) + ")");
    }
    const std::string shown = value.is_string() ? value.get<std::string>() : value.dump();
    if (!it->choices.empty()) {
      if (!value.is_string() || std::find(it->choices.begin(), it->choices.end(), value.get<std::string>()) == it->choices.end()) {
        std::string choices;
        for (const auto& c : it->choices) choices += (choices.empty() ? "" : "|") + c;
        return make_error(name + ": option " + key + "=" + shown + " is not one of " + choices);
      }
      continue;
    }
    const bool integer_default = !it->fallback.empty() && it->fallback.find_first_not_of("0123456789") == std::string::npos;
    if (integer_default && !value.is_number_integer())
      return make_error(name + ": option " + key + "=" + shown + " is not an integer");
    for (const OptionRange& r : kOptionRanges) {
      if (r.key != key || !value.is_number()) continue;
      const double v = value.get<double>();
      if (!std::isfinite(v) || v < r.lo || v > r.hi) {
        char range[96];
        std::snprintf(range, sizeof range, "%.0f..%.0f", r.lo, r.hi);
        return make_error(name + ": option " + key + "=" + shown + " is outside " + range);
      }
    }
  }
  return Status::Ok();
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
  // Every option is checked against the method's help line: unknown keys, values outside their
  // choices or ranges are errors, never silently replaced by a default.
  if (Status ok = check_method_options(info, request.options); !ok) return ok.error();
  if (info.explains_prediction && !info.per_layer && request.scope != Scope::EndToEnd) {
    return make_error(std::string(name) + " explains the model's output: it is end to end only");
  }
  const methods::MethodCall call{inputs, request, info, progress};
  return entry->run(call);
}

}  // namespace tl
