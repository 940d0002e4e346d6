#include "core/methods/layer_series.h"

#include <algorithm>

#include "core/util/progress.h"

namespace tl {

Result<LayerSeries> compute_layer_series(std::string_view method, const MethodInputs& inputs, Scope scope,
                                         const MethodRequest& base, Progress* progress) {
  const MethodInfo* info = find_method(method);
  if (!info) return make_error("unknown method '" + std::string(method) + "'");
  const std::string name(method);
  if (scope == Scope::EndToEnd) return make_error(name + ": every layer needs the per-block or the cumulative scope");
  if (scope == Scope::Block && !info->per_layer) return make_error(name + " has no map of a block alone");
  if (scope == Scope::Through && !info->cumulative) return make_error(name + " has no cumulative map (blocks 1..l)");
  if (!inputs.model || !inputs.trace) return make_error("no forward pass yet");
  const int layers = inputs.model->spec.num_layers;
  MethodRequest req = base;
  req.scope = scope;
  req.head = info->per_head ? std::max(-1, base.head) : 0;
  LayerSeries out;
  out.scope = scope;
  if (info->needs & kNeedsLensEngine) {
    req.layer = 0;  // the whole series in one pass
    auto result = compute_method(method, inputs, req, progress);
    if (!result) return result.error();
    out.maps = std::move(result->maps);
    for (int k = 0; k < static_cast<int>(out.maps.size()); ++k) {
      out.blocks.push_back(k + 1);
      out.heads.push_back(-1);
    }
  } else {
    for (int l = 1; l <= layers; ++l) {
      ProgressSlice slice(progress, double(l - 1) / layers, double(l) / layers);
      if (progress && progress->cancelled()) throw Cancelled{};
      slice.report(0.0, "block " + std::to_string(l) + "/" + std::to_string(layers));
      req.layer = l;
      auto result = compute_method(method, inputs, req, &slice);
      if (!result) return result.error();
      if (result->maps.empty()) return make_error(name + " gave no map for block " + std::to_string(l));
      if (!info->per_head || req.head >= 0) result->maps.resize(1);
      for (std::size_t h = 0; h < result->maps.size(); ++h) {
        out.maps.push_back(std::move(result->maps[h]));
        out.blocks.push_back(l);
        out.heads.push_back(!info->per_head ? -1 : req.head >= 0 ? req.head : static_cast<int>(h));
      }
    }
  }
  if (out.maps.empty()) return make_error(name + ": the method gave no map");
  return out;
}

}  // namespace tl
