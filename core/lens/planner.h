#pragma once
// The planner: FLOP and memory cost of every way to compute a request (docs/TENSORLENS.md §4), and the
// cheapest one that fits the memory budget. Pure arithmetic on sizes: nothing is allocated, so an
// estimate is free and a request over the budget is refused before it can run out of memory.
// docs/LENS_FLOPS.md derives the formulas.
#include <cstdint>
#include <string>
#include <vector>

#include "core/forward/trace.h"
#include "core/lens/analysis.h"

namespace tl::lens {

struct ModelDims {
  int tokens = 0;       // N
  int hidden = 0;       // D
  int ffn_width = 0;    // F' (2F for the symmetric gated option)
  int heads = 1, kv_heads = 1, head_dim = 1;
  bool causal = true;
  int dense_norm_steps = 0;  // per block, LayerNorm steps outside the FFN (PostNorm: 2)
};

ModelDims model_dims(const ModelSpec& spec, int tokens, GatedFfn gated);

// One propagation's rows per token. Forward batches hold source tokens [first, first + size)
// (rows_per_source rows each, plus a bias row when asked); adjoint batches hold output tokens.
std::vector<std::int64_t> forward_counts(const ModelDims& d, int first, int size, int rows_per_source, bool bias_row);
std::vector<std::int64_t> adjoint_counts(const ModelDims& d, int first, int size, int rows_per_output);

struct PassCost {
  double flops = 0;
  std::int64_t state_bytes = 0;  // state + scratch for these counts
};
// Propagating a state with these counts through `blocks` blocks (fused: per-token K_n).
PassCost pass_cost(const ModelDims& d, const std::vector<std::int64_t>& counts, int blocks, bool fused,
                   Precision p);
double fused_build_flops(const ModelDims& d);                         // K_n of one block, all tokens
std::int64_t block_factor_bytes(const ModelDims& d, bool fused, Precision p);  // one block on the device
std::int64_t fused_build_bytes(const ModelDims& d, Precision p);     // scratch while building K_n

struct Plan {
  Strategy strategy = Strategy::Auto;
  int batch = 0;             // source (forward) or output (adjoint) tokens per pass
  int rows_per_token = 0;    // rows per source/output: D (identity) or 1 (contracted)
  bool fused = false;
  bool keep_blocks = true;
  int passes = 0;
  double flops = 0;
  std::int64_t peak_bytes = 0;
};

// The work: segments to run (block counts). A forward strategy runs each segment once and reads
// every checkpoint on the way; the adjoint needs one segment per map (`adjoint_segments`).
struct Workload {
  ModelDims dims;
  LensMethod method = LensMethod::TensorLens;
  std::vector<int> forward_segments;  // block counts
  std::vector<int> adjoint_segments;  // block counts
  int maps = 1;                       // maps produced (N x N doubles each)
};

// The cheapest plan for `requested` (Auto: any) that fits `budget`, or an Error naming the
// smallest plan's estimate. Strategies that cannot compute the method are errors when requested.
// `batch` > 0 and `fusion` != Auto restrict the choice (tests, benchmarks).
Result<Plan> choose_plan(const Workload& work, Strategy requested, std::int64_t budget, Precision p,
                         double gflops, int batch = 0, Fusion fusion = Fusion::Auto);

std::string describe(const Plan& plan, double gflops);

}  // namespace tl::lens
