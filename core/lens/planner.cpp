#include "core/lens/planner.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace tl::lens {

ModelDims model_dims(const ModelSpec& spec, int tokens, GatedFfn gated) {
  ModelDims d;
  d.tokens = tokens;
  d.hidden = spec.hidden_size;
  d.ffn_width = spec.intermediate_size * (spec.gated_ffn && gated == GatedFfn::Symmetric ? 2 : 1);
  d.heads = spec.num_heads;
  d.kv_heads = spec.num_kv_heads;
  d.head_dim = spec.head_dim;
  d.causal = spec.causal;
  d.dense_norm_steps = spec.topology == Topology::PostNorm && spec.norm == NormKind::LayerNorm ? 2 : 0;
  return d;
}

std::vector<std::int64_t> forward_counts(const ModelDims& d, int first, int size, int rows_per_source, bool bias_row) {
  std::vector<std::int64_t> counts(d.tokens);
  for (int n = 0; n < d.tokens; ++n) {
    const int visible = d.causal ? std::clamp(n - first + 1, 0, size) : size;
    counts[n] = std::int64_t(visible) * rows_per_source + (bias_row ? 1 : 0);
  }
  return counts;
}

std::vector<std::int64_t> adjoint_counts(const ModelDims& d, int first, int size, int rows_per_output) {
  std::vector<std::int64_t> counts(d.tokens);
  for (int n = 0; n < d.tokens; ++n) {
    const int visible = d.causal ? std::clamp(first + size - n, 0, size) : size;
    counts[n] = std::int64_t(visible) * rows_per_output;
  }
  return counts;
}

namespace {

std::int64_t scalar_bytes(Precision p) { return p == Precision::Float64 ? 8 : 4; }

// Rows the attention mixing touches: sum over query i and visible key k of min(count_i, count_k).
// Linear time for the layouts the engine makes (monotone counts), quadratic otherwise.
double mixed_rows(const ModelDims& d, const std::vector<std::int64_t>& counts) {
  const int n = d.tokens;
  const bool up = std::is_sorted(counts.begin(), counts.end());
  const bool down = std::is_sorted(counts.rbegin(), counts.rend());
  double rows = 0;
  if (d.causal && up) {  // min over k <= i is count_k
    for (int k = 0; k < n; ++k) rows += double(counts[k]) * (n - k);
    return rows;
  }
  if (d.causal && down) {  // min over k <= i is count_i
    for (int i = 0; i < n; ++i) rows += double(counts[i]) * (i + 1);
    return rows;
  }
  if (!d.causal && up && down) return double(n) * n * double(counts.empty() ? 0 : counts[0]);
  for (int i = 0; i < d.tokens; ++i) {
    const int keys = d.causal ? i + 1 : d.tokens;
    for (int k = 0; k < keys; ++k) rows += double(std::min(counts[i], counts[k]));
  }
  return rows;
}

// The host-side double copy of one block operator while it is built and uploaded.
std::int64_t host_block_bytes(const ModelDims& d) {
  const std::int64_t D = d.hidden, F = d.ffn_width, N = d.tokens;
  return 8 * (D * d.kv_heads * d.head_dim + std::int64_t(d.heads) * d.head_dim * D + std::int64_t(d.heads) * N * N +
              2 * D * F + 2 * N * F + 4 * N * D + d.dense_norm_steps * D * D);
}

}  // namespace

PassCost pass_cost(const ModelDims& d, const std::vector<std::int64_t>& counts, int blocks, bool fused, Precision p) {
  double rows = 0;
  for (auto c : counts) rows += double(c);
  const double D = d.hidden, F = d.ffn_width, kv = double(d.kv_heads) * d.head_dim, hq = double(d.heads) * d.head_dim;
  double per_block = 2 * rows * D * kv + 2 * rows * hq * D + 2 * double(d.heads) * d.head_dim * mixed_rows(d, counts);
  if (fused) per_block += 2 * rows * D * D;
  else per_block += 4 * rows * D * F + d.dense_norm_steps * 2 * rows * D * D;
  PassCost c;
  c.flops = per_block * blocks;
  c.state_bytes = std::int64_t(rows) * std::int64_t(2 * D + kv + hq + (fused ? 0 : F)) * scalar_bytes(p);
  return c;
}

double fused_build_flops(const ModelDims& d) {
  const double N = d.tokens, D = d.hidden, F = d.ffn_width;
  if (d.dense_norm_steps == 0) return 2 * N * D * F * D;   // K_n = I + (W1 diag) W2: one product
  return 4 * N * D * D * F + 2 * N * D * D * D;            // ln1 written down, then FFN and ln2 on N*D rows
}

std::int64_t block_factor_bytes(const ModelDims& d, bool fused, Precision p) {
  const std::int64_t D = d.hidden, F = d.ffn_width, N = d.tokens;
  std::int64_t elems = D * d.kv_heads * d.head_dim + std::int64_t(d.heads) * d.head_dim * D +
                       std::int64_t(d.heads) * N * N + N * D + N;
  if (fused) elems += N * D * D + N * D;
  else elems += 2 * D * F + N * F + N * D + N + d.dense_norm_steps * (D * D + N * D + N);
  return elems * scalar_bytes(p);
}

std::int64_t fused_build_bytes(const ModelDims& d, Precision p) {
  const std::int64_t rows = std::int64_t(d.tokens) * d.hidden;
  return rows * (2 * std::int64_t(d.hidden) + d.ffn_width) * scalar_bytes(p) + block_factor_bytes(d, false, p);
}

namespace {

bool is_forward(Strategy s) { return s != Strategy::RowSlices; }

bool supports(Strategy s, LensMethod m) {
  return s != Strategy::InputContracted || uses_inputs(m);
}

int rows_per_token(Strategy s, LensMethod m, int hidden) {
  switch (s) {
    case Strategy::InputContracted: return 1;
    case Strategy::RowSlices: return uses_direction(m) ? 1 : hidden;
    default: return hidden;
  }
}

// Costs one candidate; peak and flops over every segment and batch.
Plan cost_plan(const Workload& w, Strategy s, int batch, bool fused, bool keep, Precision p) {
  const ModelDims& d = w.dims;
  Plan plan;
  plan.strategy = s;
  plan.batch = batch;
  plan.rows_per_token = rows_per_token(s, w.method, d.hidden);
  plan.fused = fused;
  plan.keep_blocks = keep;
  const auto& segments = is_forward(s) ? w.forward_segments : w.adjoint_segments;
  std::int64_t state_peak = 0, rows_peak = 0;
  int max_blocks = 0;
  for (int blocks : segments) {
    max_blocks = std::max(max_blocks, blocks);
    int batches = 0;
    for (int first = 0; first < d.tokens; first += batch, ++batches) {
      const int size = std::min(batch, d.tokens - first);
      const auto counts = is_forward(s)
                              ? forward_counts(d, first, size, plan.rows_per_token, false)
                              : adjoint_counts(d, first, size, plan.rows_per_token);
      const PassCost c = pass_cost(d, counts, blocks, fused, p);
      plan.flops += c.flops;
      state_peak = std::max(state_peak, c.state_bytes);
      std::int64_t rows = 0;
      for (auto r : counts) rows += r;
      rows_peak = std::max(rows_peak, rows);
    }
    plan.passes += batches;
    // Without kept factors every pass rebuilds them (the adjoint's separate bias pass too).
    const int uses = batches + (is_forward(s) ? 0 : 1);
    if (fused) plan.flops += fused_build_flops(d) * blocks * (keep ? 1 : uses);
  }
  plan.peak_bytes = state_peak + block_factor_bytes(d, fused, p) * (keep ? max_blocks : 1) +
                    (fused ? fused_build_bytes(d, p) : 0) + host_block_bytes(d) + rows_peak * 8 +
                    std::int64_t(w.maps) * d.tokens * d.tokens * 8;
  return plan;
}

std::string human_bytes(std::int64_t b) {
  char buf[64];
  if (b >= (std::int64_t(1) << 30)) std::snprintf(buf, sizeof buf, "%.2f GiB", double(b) / double(1 << 30));
  else std::snprintf(buf, sizeof buf, "%.1f MiB", double(b) / double(1 << 20));
  return buf;
}

}  // namespace

std::string describe(const Plan& plan, double gflops) {
  char buf[256];
  const bool forward = is_forward(plan.strategy);
  std::snprintf(buf, sizeof buf, "%s: %d pass%s of %d %s token%s%s, %.3g FLOP, peak %s, about %.3g s",
                to_string(plan.strategy), plan.passes, plan.passes == 1 ? "" : "es", plan.batch,
                forward ? "source" : "output", plan.batch == 1 ? "" : "s", plan.fused ? ", fused K_n" : "", plan.flops,
                human_bytes(plan.peak_bytes).c_str(), plan.flops / (gflops * 1e9));
  return buf;
}

Result<Plan> choose_plan(const Workload& w, Strategy requested, std::int64_t budget, Precision p, double gflops,
                         int batch_override, Fusion fusion) {
  if (w.dims.tokens < 1) return make_error("lens: no tokens");
  if (requested != Strategy::Auto && !supports(requested, w.method)) {
    return make_error(std::string("lens: strategy ") + to_string(requested) + " cannot compute " + to_string(w.method));
  }
  std::vector<Strategy> strategies;
  if (requested == Strategy::Auto) {
    for (Strategy s : {Strategy::ColumnSlices, Strategy::InputContracted, Strategy::RowSlices}) {
      if (supports(s, w.method)) strategies.push_back(s);
    }
  } else {
    strategies.push_back(requested);
  }
  const int n = w.dims.tokens;
  Plan best, smallest;
  bool have_best = false, have_smallest = false;
  for (Strategy s : strategies) {
    // For each number of passes k, the most even batch size ceil(n / k) (smaller ones only add passes).
    std::vector<int> batches{n};
    if (batch_override > 0 && s != Strategy::Full) {
      batches = {std::min(batch_override, n)};
    } else if (s != Strategy::Full) {
      for (int k = 2; k <= n; ++k) {
        const int b = (n + k - 1) / k;
        if (b != batches.back()) batches.push_back(b);
      }
    }
    for (int batch : batches) {
      for (bool fused : {false, true}) {
        if ((fusion == Fusion::On && !fused) || (fusion == Fusion::Off && fused)) continue;
        for (bool keep : {true, false}) {
          Plan c = cost_plan(w, s, batch, fused, keep, p);
          if (c.strategy == Strategy::ColumnSlices && batch == n) c.strategy = Strategy::Full;
          if (!have_smallest || c.peak_bytes < smallest.peak_bytes) {
            smallest = c;
            have_smallest = true;
          }
          if (c.peak_bytes > budget) continue;
          // Cheapest first; among equals, fewer passes, then less memory.
          const bool cheaper = c.flops < best.flops * (1 - 1e-9);
          const bool equal = !cheaper && c.flops <= best.flops * (1 + 1e-9);
          if (!have_best || cheaper || (equal && c.passes < best.passes) ||
              (equal && c.passes == best.passes && c.peak_bytes < best.peak_bytes)) {
            best = c;
            have_best = true;
          }
        }
      }
    }
  }
  if (!have_best) {
    return make_error("lens: over the memory budget of " + human_bytes(budget) + "; the smallest plan is " +
                      describe(smallest, gflops));
  }
  return best;
}

}  // namespace tl::lens
