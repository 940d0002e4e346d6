// Entry points of the TensorLens engine: request validation, the Out end, planning, running the
// plan per segment, and assembling Maps. Sections: names | Out end | jobs | compute | estimate.
#include "core/lens/analysis.h"

#include <cmath>
#include <cstdio>

#include "core/lens/passes.h"
#include "core/lens/planner.h"

namespace tl::lens {

// ---- Names -----------------------------------------------------------------------------------

const char* to_string(LensMethod m) {
  switch (m) {
    case LensMethod::TensorLens: return "tensorlens";
    case LensMethod::In: return "tensorlens-in";
    case LensMethod::Out: return "tensorlens-out";
    case LensMethod::InOut: return "tensorlens-in-out";
  }
  return "?";
}

Result<LensMethod> parse_lens_method(std::string_view name) {
  for (LensMethod m : {LensMethod::TensorLens, LensMethod::In, LensMethod::Out, LensMethod::InOut}) {
    if (name == to_string(m)) return m;
  }
  return make_error("unknown TensorLens method '" + std::string(name) +
                    "' (tensorlens, tensorlens-in, tensorlens-out, tensorlens-in-out)");
}

bool uses_inputs(LensMethod m) { return m == LensMethod::In || m == LensMethod::InOut; }
bool uses_direction(LensMethod m) { return m == LensMethod::Out || m == LensMethod::InOut; }

const char* to_string(Strategy s) {
  switch (s) {
    case Strategy::Auto: return "auto";
    case Strategy::Full: return "full";
    case Strategy::ColumnSlices: return "column-slices";
    case Strategy::InputContracted: return "input-contracted";
    case Strategy::RowSlices: return "row-slices";
  }
  return "?";
}

Result<Strategy> parse_strategy(std::string_view name) {
  for (Strategy s : {Strategy::Auto, Strategy::Full, Strategy::ColumnSlices, Strategy::InputContracted,
                     Strategy::RowSlices}) {
    if (name == to_string(s)) return s;
  }
  return make_error("unknown strategy '" + std::string(name) +
                    "' (auto, full, column-slices, input-contracted, row-slices)");
}

std::string Estimate::summary() const {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%s: %d pass%s of %d token%s%s, %.3g FLOP, peak %.1f MiB, about %.3g s",
                to_string(strategy), passes, passes == 1 ? "" : "es", sources_per_pass,
                sources_per_pass == 1 ? "" : "s", fused ? ", fused K_n" : "", flops, double(peak_bytes) / (1 << 20),
                seconds);
  return buf;
}

namespace {

// ---- Out end ---------------------------------------------------------------------------------

struct OutEnd {
  MatD directions;           // w_i [N, D]
  VecD constant;             // [N] the output's own affine part (LM-head bias, MLM head)
  std::vector<int> targets;  // token id per position
};

Result<OutEnd> make_out_end(const Model& model, const Trace& trace, int target) {
  const ModelSpec& spec = model.spec;
  const Weights& w = model.weights;
  const int n = trace.num_tokens(), d = spec.hidden_size;
  if (target >= spec.vocab_size) {
    return make_error("lens: target token " + std::to_string(target) + " outside the vocabulary of " +
                      std::to_string(spec.vocab_size));
  }
  if (target < 0 && (trace.logits.rows() != n || trace.logits.cols() != spec.vocab_size)) {
    return make_error("lens: the trace has no logits to take each position's argmax token from");
  }
  OutEnd out;
  out.directions.resize(n, d);
  out.constant = VecD::Zero(n);
  out.targets.resize(n);
  for (int i = 0; i < n; ++i) {
    int v = target;
    if (v < 0) trace.logits.row(i).maxCoeff(&v);
    out.targets[i] = v;
  }
  if (!spec.mlm_head) {
    const MatF& u = w.unembedding();
    for (int i = 0; i < n; ++i) {
      out.directions.row(i) = u.row(out.targets[i]).cast<double>();
      if (w.lm_head_bias.size()) out.constant[i] = w.lm_head_bias[out.targets[i]];
    }
    return out;
  }
  // MLM head decoder(LN(act(h W + b))), linear at the operating point (docs/TENSORLENS.md §2):
  // logit_v = h W (Phi ⊙ u) inv + (b ⊙ Phi) . u inv + beta . e_v + bias_v, u = C diag(gamma) e_v.
  if (!w.mlm) return make_error("lens: the model has no MLM head weights");
  if (trace.mlm_ratio.rows() != n || trace.mlm_inv_scale.size() != n) {
    return make_error("lens: the trace has no MLM head coefficients");
  }
  const MlmHeadWeights& head = *w.mlm;
  const MatD dense = head.dense.W.cast<double>();
  const VecD gamma = head.norm.gamma.cast<double>();
  for (int i = 0; i < n; ++i) {
    const VecD e = w.token_embedding.row(out.targets[i]).transpose().cast<double>();
    VecD u = gamma.cwiseProduct(e);
    u.array() -= u.mean();
    const VecD phi_u = trace.mlm_ratio.row(i).transpose().cwiseProduct(u) * trace.mlm_inv_scale[i];
    out.directions.row(i) = (dense * phi_u).transpose();
    double c = head.decoder_bias.size() ? head.decoder_bias[out.targets[i]] : 0.0;
    if (head.dense.b.size()) c += head.dense.b.cast<double>().dot(phi_u);
    if (head.norm.beta.size()) c += head.norm.beta.cast<double>().dot(e);
    out.constant[i] = c;
  }
  return out;
}

// ---- Jobs: which segments to run for which maps ------------------------------------------------

struct Job {
  int first = 1, last = 1;
  bool final_norm = false;
  std::vector<Checkpoint> at;  // one per map of the job
  std::vector<int> map_index;  // where each checkpoint's map goes
};

// A family without a final norm (BERT, RoBERTa) ends end to end at block L's own checkpoint.
Checkpoint checkpoint_of(const ScopeAt& s, int layers, bool has_final_norm) {
  if (s.kind == Scope::EndToEnd) return {layers, has_final_norm};
  return {s.layer, false};
}

// Forward strategies run every cumulative scope in one segment (reading checkpoints on the way);
// the adjoint and per-block scopes need a segment each.
std::vector<Job> make_jobs(const std::vector<ScopeAt>& scopes, int layers, bool has_final_norm, bool forward) {
  std::vector<Job> jobs;
  Job shared;
  shared.last = 0;
  for (int k = 0; k < static_cast<int>(scopes.size()); ++k) {
    const ScopeAt& s = scopes[k];
    const bool end = s.kind == Scope::EndToEnd;
    Checkpoint cp = checkpoint_of(s, layers, has_final_norm);
    if (forward && s.kind != Scope::Block) {
      shared.last = std::max(shared.last, end ? layers : s.layer);
      shared.final_norm = shared.final_norm || end;
      shared.at.push_back(cp);
      shared.map_index.push_back(k);
      continue;
    }
    Job j;
    j.first = s.kind == Scope::Block ? s.layer : 1;
    j.last = end ? layers : s.layer;
    j.final_norm = end;
    j.at.push_back(cp);
    j.map_index.push_back(k);
    jobs.push_back(j);
  }
  if (!shared.at.empty()) {
    // A through-L map and the end-to-end map both end at block L: the checkpoint order is enough.
    jobs.insert(jobs.begin(), shared);
  }
  return jobs;
}

Status validate(const Model& model, const Trace& trace, const MapRequest& req, const std::vector<ScopeAt>& scopes) {
  const int layers = model.spec.num_layers;
  if (trace.num_layers() != layers) {
    return make_error("lens: the trace has " + std::to_string(trace.num_layers()) + " blocks, the model " +
                      std::to_string(layers));
  }
  if (trace.num_tokens() < 1) return make_error("lens: the trace has no tokens");
  for (const ScopeAt& s : scopes) {
    if (s.kind != Scope::EndToEnd && (s.layer < 1 || s.layer > layers)) {
      return make_error("lens: layer " + std::to_string(s.layer) + " outside 1.." + std::to_string(layers));
    }
    if (s.kind == Scope::Block && req.input == InputEnd::TokenEmbeddings && s.layer != 1) {
      return make_error("lens: the token-embedding input end applies to scopes starting at block 1");
    }
  }
  if (req.memory_budget <= 0) return make_error("lens: the memory budget must be positive");
  return Status::Ok();
}

Workload make_workload(const Model& model, const Trace& trace, const MapRequest& req,
                       const std::vector<ScopeAt>& scopes) {
  Workload w;
  w.dims = model_dims(model.spec, trace.num_tokens(), req.gated);
  w.method = req.method;
  w.maps = static_cast<int>(scopes.size());
  const int layers = model.spec.num_layers;
  const bool final_norm = model.spec.final_norm;
  for (const Job& j : make_jobs(scopes, layers, final_norm, true)) w.forward_segments.push_back(j.last - j.first + 1);
  for (const Job& j : make_jobs(scopes, layers, final_norm, false)) w.adjoint_segments.push_back(j.last - j.first + 1);
  return w;
}

double default_gflops(Precision p) { return p == Precision::Float64 ? 40.0 : 90.0; }

std::vector<std::string> labels_for(const Trace& trace, const MapRequest& req) {
  if (static_cast<int>(req.token_labels.size()) == trace.num_tokens()) return req.token_labels;
  std::vector<std::string> labels;
  for (int id : trace.ids) labels.push_back(std::string(1, '#').append(std::to_string(id)));
  return labels;
}

// ---- Compute ---------------------------------------------------------------------------------

Result<std::vector<Map>> compute_scopes(const Model& model, const Trace& trace, const MapRequest& req,
                                        const std::vector<ScopeAt>& scopes, Backend& backend, Progress* progress) {
  if (auto st = validate(model, trace, req, scopes); !st) return st.error();
  const Workload work = make_workload(model, trace, req, scopes);
  auto plan_r = choose_plan(work, req.strategy, req.memory_budget, req.precision, backend.nominal_gflops(req.precision),
                            req.batch, req.fusion);
  if (!plan_r) return plan_r.error();
  const Plan& plan = plan_r.value();
  const bool forward = plan.strategy != Strategy::RowSlices;

  OutEnd out;
  if (uses_direction(req.method)) {
    auto o = make_out_end(model, trace, req.target_token);
    if (!o) return o.error();
    out = std::move(o.value());
  }
  const int n = trace.num_tokens();
  const int layers = model.spec.num_layers;
  std::vector<Map> maps(scopes.size());
  const auto jobs = make_jobs(scopes, layers, model.spec.final_norm, forward);
  for (std::size_t jk = 0; jk < jobs.size(); ++jk) {
    const Job& job = jobs[jk];
    auto seg = build_segment(model, trace, job.first, job.last, job.final_norm, req.input);
    if (!seg) return seg.error();
    const LensSegment& segment = seg.value();

    PropagationOptions opts{req.precision, req.gated, plan.fused, plan.keep_blocks};
    Propagator prop(backend, model, trace, segment, opts);
    ReductionInputs in{req.method, segment.inputs, out.directions};
    ProgressSlice slice(progress, double(jk) / jobs.size(), double(jk + 1) / jobs.size());
    std::vector<MatD> values, bias;
    if (forward) {  // the bias state rides along with the first pass
      CheckpointMaps cm;
      cm.at = job.at;
      if (auto st = run_forward_plan(prop, work.dims, in, plan, cm, progress ? &slice : nullptr, &bias); !st) {
        return st.error();
      }
      values = std::move(cm.values);
    } else {
      if (auto st = run_bias_pass(prop, job.at, bias); !st) return st.error();
      values.resize(1);
      if (auto st = run_adjoint_plan(prop, work.dims, in, plan, values[0], progress ? &slice : nullptr); !st) {
        return st.error();
      }
    }
    for (std::size_t k = 0; k < job.at.size(); ++k) {
      Map& m = maps[job.map_index[k]];
      m.values = std::move(values[k]);
      m.bias.resize(n);
      for (int i = 0; i < n; ++i) {
        m.bias[i] = uses_direction(req.method) ? out.directions.row(i).dot(bias[k].row(i)) + out.constant[i]
                                               : bias[k].row(i).norm();
      }
    }
  }

  const auto labels = labels_for(trace, req);
  nlohmann::json options = {
      {"strategy", to_string(plan.strategy)},
      {"batch", plan.batch},
      {"fused", plan.fused},
      {"gated", to_string(req.gated)},
      {"input", to_string(req.input)},
      {"precision", req.precision == Precision::Float64 ? "fp64" : "fp32"},
      {"backend", backend.name()},
  };
  if (uses_direction(req.method)) {
    options["target"] = req.target_token >= 0 ? nlohmann::json(req.target_token) : nlohmann::json("argmax");
    options["targets"] = out.targets;
  }
  for (std::size_t k = 0; k < scopes.size(); ++k) {
    Map& m = maps[k];
    m.row_labels = labels;
    m.col_labels = labels;
    m.is_signed = req.method == LensMethod::InOut;
    m.provenance.model = model.name + " (" + model.source + ")";
    m.provenance.method = to_string(req.method);
    m.provenance.layers = scopes[k].describe();
    m.provenance.options = options;
  }
  return maps;
}

std::vector<ScopeAt> series_scopes(const Model& model, Series series) {
  std::vector<ScopeAt> scopes;
  const int layers = model.spec.num_layers;
  for (int l = 1; l <= layers; ++l) {
    scopes.push_back(series == Series::PerBlock ? ScopeAt::block(l) : ScopeAt::through(l));
  }
  if (series == Series::Cumulative && model.spec.final_norm) scopes.push_back(ScopeAt::end_to_end());
  return scopes;
}

}  // namespace

Result<Map> compute_map(const Model& model, const Trace& trace, const MapRequest& request, Backend& backend,
                        Progress* progress) {
  auto maps = compute_scopes(model, trace, request, {request.scope}, backend, progress);
  if (!maps) return maps.error();
  return std::move(maps.value().front());
}

Result<std::vector<Map>> compute_map_series(const Model& model, const Trace& trace, const MapRequest& request,
                                            Series series, Backend& backend, Progress* progress) {
  return compute_scopes(model, trace, request, series_scopes(model, series), backend, progress);
}

// ---- Estimate --------------------------------------------------------------------------------

namespace {

Result<Estimate> estimate_scopes(const Model& model, const Trace& trace, const MapRequest& request,
                                 const std::vector<ScopeAt>& scopes, const Backend* backend) {
  if (auto st = validate(model, trace, request, scopes); !st) return st.error();
  const double gflops = backend ? backend->nominal_gflops(request.precision) : default_gflops(request.precision);
  auto plan = choose_plan(make_workload(model, trace, request, scopes), request.strategy, request.memory_budget,
                          request.precision, gflops, request.batch, request.fusion);
  if (!plan) return plan.error();
  Estimate e;
  e.strategy = plan->strategy;
  e.peak_bytes = plan->peak_bytes;
  e.flops = plan->flops;
  e.seconds = plan->flops / (gflops * 1e9);
  e.passes = plan->passes;
  e.sources_per_pass = plan->batch;
  e.fused = plan->fused;
  return e;
}

}  // namespace

Result<Estimate> estimate(const Model& model, const Trace& trace, const MapRequest& request, const Backend* backend) {
  return estimate_scopes(model, trace, request, {request.scope}, backend);
}

Result<Estimate> estimate_series(const Model& model, const Trace& trace, const MapRequest& request, Series series,
                                 const Backend* backend) {
  return estimate_scopes(model, trace, request, series_scopes(model, series), backend);
}

}  // namespace tl::lens
