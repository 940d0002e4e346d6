#pragma once
// How exactly the TensorLens operator reproduces one forward pass (docs/TENSORLENS.md §5.1), cheap
// enough to show beside every analysis (the app's status bar): the composed operator
// T^(l) o ... o T^(1) plus its biases, applied to the residual stream entering block 1, against
// the hidden states the forward pass traced, after every block and after the final norm.
//
// The operator is applied block by block in double (operator.h's reference application), so the
// cost is about one forward pass and no D x D block is formed. What it measures: whether the
// frozen coefficients (attention, norm scales, activation ratios, gates) and the composition
// rebuild the trace. Float32 traces give about 1e-6, float64 traces about 1e-12; anything near 1
// means the operator does not describe this forward pass.
#include <vector>

#include "core/forward/trace.h"
#include "core/lens/operator.h"
#include "core/model/model.h"
#include "core/util/progress.h"
#include "core/util/result.h"

namespace tl::lens {

struct Fidelity {
  // Per block l (index l - 1): max over tokens i of ||(T[X] + c)_i - h_i|| / ||h_i||, with T the
  // composition of blocks 1..l and h the traced output of block l.
  std::vector<double> after_block;
  // The same after the final norm (equals after_block.back() for families without one).
  double end_to_end = 0.0;
  double max_relative_error = 0.0;  // the largest of all of the above
};

// Errors: a trace that does not come from this model. Cancellation throws tl::Cancelled.
Result<Fidelity> operator_fidelity(const Model& model, const Trace& trace, GatedFfn gated = GatedFfn::Gate,
                                   Progress* progress = nullptr);

}  // namespace tl::lens
