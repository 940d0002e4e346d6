#pragma once
// Runs a Plan: batches of stream states through a Propagator, and the streamed reductions that
// turn each state into map entries as soon as it is available (only N x N values per requested
// map are kept, never the slices themselves).
//
// Row layouts (see backend.h for the block convention):
// - forward batch of source tokens [first, first + size): token n's block holds, for every source
//   j of the batch that can reach n (j <= n for causal models), `rows` rows: the identity D x D
//   (column slices: rows = D, entry (j, e) of the block is input feature e at token j) or x_j
//   (input-contracted: rows = 1). Sources in increasing order, so causality keeps a prefix.
// - adjoint batch of output tokens [first, first + size): token n's block holds, for every output
//   i of the batch that n can reach (i >= n), the identity (rows = D) or w_i (rows = 1), outputs
//   in decreasing order.
#include <vector>

#include "core/lens/analysis.h"
#include "core/lens/planner.h"
#include "core/lens/propagate.h"

namespace tl::lens {

// What reductions contract with.
struct ReductionInputs {
  LensMethod method = LensMethod::TensorLens;
  MatD inputs;      // x_j [N, D] (In, InOut)
  MatD directions;  // w_i [N, D] (Out, InOut)
};

// One N x N map per wanted checkpoint, filled by forward plans (entries j > i of causal models
// stay 0).
struct CheckpointMaps {
  std::vector<Checkpoint> at;
  std::vector<MatD> values;
};

// With `bias`, the first pass also propagates the bias state and returns c [N, D] per checkpoint.
Status run_forward_plan(Propagator& prop, const ModelDims& dims, const ReductionInputs& in, const Plan& plan,
                        CheckpointMaps& out, Progress* progress, std::vector<MatD>* bias = nullptr);
// The adjoint gives the whole segment only (its final checkpoint).
Status run_adjoint_plan(Propagator& prop, const ModelDims& dims, const ReductionInputs& in, const Plan& plan,
                        MatD& values, Progress* progress);
// The accumulated biases c [N, D] at each wanted checkpoint (one row per token, bias row only).
Status run_bias_pass(Propagator& prop, const std::vector<Checkpoint>& at, std::vector<MatD>& c);

bool same_checkpoint(const Checkpoint& a, const Checkpoint& b);

}  // namespace tl::lens
