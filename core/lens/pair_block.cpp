// The D x D block T[i, :, j, :] of one pair and its singular directions decoded through the
// unembedding (docs/TENSORLENS.md §3, the "Jacobian view").
#include <numeric>

#include "core/lens/analysis.h"
#include "core/lens/block_spectrum.h"
#include "core/lens/passes.h"
#include "core/lens/planner.h"

namespace tl::lens {

Result<PairBlock> compute_pair_block(const Model& model, const Trace& trace, const PairBlockRequest& req,
                                     Backend& backend, Progress* progress) {
  const int n = trace.num_tokens(), layers = model.spec.num_layers, d = model.spec.hidden_size;
  const int i = req.output_token, j = req.input_token;
  if (i < 0 || i >= n || j < 0 || j >= n) {
    return make_error("lens: pair (" + std::to_string(i) + ", " + std::to_string(j) + ") outside 0.." +
                      std::to_string(n - 1));
  }
  const ScopeAt& sc = req.scope;
  if (sc.kind != Scope::EndToEnd && (sc.layer < 1 || sc.layer > layers)) {
    return make_error("lens: layer " + std::to_string(sc.layer) + " outside 1.." + std::to_string(layers));
  }
  const int first = sc.kind == Scope::Block ? sc.layer : 1;
  const int last = sc.kind == Scope::EndToEnd ? layers : sc.layer;
  const bool final_norm = sc.kind == Scope::EndToEnd;
  auto seg = build_segment(model, trace, first, last, final_norm, req.input);
  if (!seg) return seg.error();

  PairBlock out;
  out.block = MatD::Zero(d, d);
  const ModelDims dims = model_dims(model.spec, n, req.gated);
  if (!(dims.causal && j > i)) {  // causal models: T[i, :, j, :] = 0 for j > i
    // One column slice (identity at j, forward) or one row slice (identity at i, adjoint):
    // whichever touches fewer rows.
    const auto fwd = forward_counts(dims, j, 1, d, false);
    const auto adj = adjoint_counts(dims, i, 1, d);
    const auto rows = [](const std::vector<std::int64_t>& c) { return std::accumulate(c.begin(), c.end(), std::int64_t(0)); };
    const bool forward = rows(fwd) <= rows(adj);
    const std::int64_t peak = pass_cost(dims, forward ? fwd : adj, last - first + 1, false, req.precision).state_bytes +
                              block_factor_bytes(dims, false, req.precision);
    if (peak > req.memory_budget) {
      return make_error("lens: the pair block needs about " + std::to_string(peak >> 20) +
                        " MiB, over the memory budget of " + std::to_string(req.memory_budget >> 20) + " MiB");
    }
    PropagationOptions opts{req.precision, req.gated, false, false};
    Propagator prop(backend, model, trace, seg.value(), opts);
    auto st = prop.make_state(forward ? fwd : adj, false);
    if (!st) return st.error();
    StreamState& s = st.value();
    const int at = forward ? j : i;
    backend.upload_rows(MatD::Identity(d, d), *s.x, s.layout.offset[at]);
    if (forward) {
      if (auto r = prop.forward(s, {}, progress); !r) return r.error();
      // Token i's rows are input features e, columns output features d.
      out.block = backend.download_rows(*s.x, s.layout.offset[i], d).transpose();
    } else {
      if (auto r = prop.backward(s, progress); !r) return r.error();
      // Token j's rows are output features d, columns input features e.
      out.block = backend.download_rows(*s.x, s.layout.offset[j], d);
    }
  }

  BlockSpectrum spectrum = block_spectrum(model, out.block, req.directions, req.top_tokens);
  out.singular_values = std::move(spectrum.singular_values);
  out.directions = std::move(spectrum.directions);
  out.provenance.model = model.name + " (" + model.source + ")";
  out.provenance.method = "tensorlens-block";
  out.provenance.layers = sc.describe();
  out.provenance.options = {{"pair", {i, j}},
                            {"gated", to_string(req.gated)},
                            {"input", to_string(req.input)},
                            {"precision", req.precision == Precision::Float64 ? "fp64" : "fp32"}};
  return out;
}

}  // namespace tl::lens
