#include "core/lens/fidelity.h"

#include <algorithm>
#include <string>

namespace tl::lens {
namespace {

// max_i ||got_i - want_i|| / ||want_i|| (a zero row of `want` compares absolutely).
double max_row_relative_error(const MatD& got, const MatD& want) {
  double worst = 0.0;
  for (Eigen::Index i = 0; i < want.rows(); ++i) {
    const double scale = want.row(i).norm();
    const double err = (got.row(i) - want.row(i)).norm();
    worst = std::max(worst, scale > 0 ? err / scale : err);
  }
  return worst;
}

}  // namespace

Result<Fidelity> operator_fidelity(const Model& model, const Trace& trace, GatedFfn gated, Progress* progress) {
  const int layers = model.spec.num_layers;
  if (trace.num_layers() != layers || trace.num_tokens() == 0) {
    return make_error("fidelity: the trace does not come from this model");
  }
  // The final norm's frozen step comes with the end-to-end segment (its blocks are built below).
  auto segment = build_segment(model, trace, 1, layers, true, InputEnd::ResidualStream);
  if (!segment) return segment.error();
  Fidelity out;
  MatD x = trace.embeddings;  // T[X] + c composed so far, starting from the stream entering block 1
  BlockOperator block;
  for (int l = 1; l <= layers; ++l) {
    if (progress) {
      if (progress->cancelled()) throw Cancelled{};
      progress->report(double(l - 1) / layers, "fidelity, block " + std::to_string(l));
    }
    if (Status st = fill_block_operator(model, trace, l, gated, block); !st) return st.error();
    x = apply_block_reference(block, x, /*add_bias=*/true);
    out.after_block.push_back(max_row_relative_error(x, trace.blocks[std::size_t(l - 1)].output));
  }
  const MatD final_state = apply_steps_reference(segment->epilogue, x, true);
  out.end_to_end = max_row_relative_error(final_state, trace.final_hidden);
  out.max_relative_error = out.end_to_end;
  for (double e : out.after_block) out.max_relative_error = std::max(out.max_relative_error, e);
  return out;
}

}  // namespace tl::lens
