#include "core/lens/passes.h"

#include <cassert>
#include <cmath>

namespace tl::lens {

bool same_checkpoint(const Checkpoint& a, const Checkpoint& b) {
  return a.layer == b.layer && a.final_norm == b.final_norm;
}

namespace {

Result<Buffer> upload(Backend& be, const MatD& m, Precision p) {
  auto r = be.allocate(m.rows(), m.cols(), p);
  if (!r) return r.error();
  be.upload_rows(m, *r.value());
  return r;
}

// Sum of `v` over consecutive groups of `group` entries starting at `at`.
double group_sum(const VecD& v, std::int64_t at, std::int64_t group) { return v.segment(at, group).sum(); }

// Reads map entries out of a forward state: token i's block holds sources first, first + 1, ...
Status reduce_forward(Backend& be, const StreamState& s, const ReductionInputs& in, int first, int rows,
                      const BackendBuffer* directions, const BackendBuffer* batch_inputs, MatD& m) {
  const TokenLayout& lay = s.layout;
  const int n = lay.num_tokens();
  auto for_entries = [&](auto&& f) {  // f(i, j, first row of the (i, j) group)
    for (int i = 0; i < n; ++i) {
      const std::int64_t groups = lay.count[i] / rows;
      for (std::int64_t g = 0; g < groups; ++g) f(i, first + int(g), lay.offset[i] + g * rows);
    }
  };
  switch (in.method) {
    case LensMethod::TensorLens: {
      const VecD sq = be.row_sq_norms(*s.x);
      for_entries([&](int i, int j, std::int64_t r) { m(i, j) = std::sqrt(group_sum(sq, r, rows)); });
      break;
    }
    case LensMethod::Out: {
      const VecD dots = be.row_dots(*s.x, lay, *directions);
      for_entries([&](int i, int j, std::int64_t r) { m(i, j) = dots.segment(r, rows).norm(); });
      break;
    }
    case LensMethod::In:
    case LensMethod::InOut: {
      if (rows == 1) {  // input-contracted: each row is already T[i,:,j,:] x_j
        if (in.method == LensMethod::In) {
          const VecD sq = be.row_sq_norms(*s.x);
          for_entries([&](int i, int j, std::int64_t r) { m(i, j) = std::sqrt(sq[r]); });
        } else {
          const VecD dots = be.row_dots(*s.x, lay, *directions);
          for_entries([&](int i, int j, std::int64_t r) { m(i, j) = dots[r]; });
        }
      } else {  // column slices: contract the block with x_j first
        const MatD contributions = be.group_contract(*s.x, lay, rows, *batch_inputs);
        for_entries([&](int i, int j, std::int64_t r) {
          const auto v = contributions.row(r / rows);
          m(i, j) = in.method == LensMethod::In ? v.norm() : v.dot(in.directions.row(i));
        });
      }
      break;
    }
  }
  return Status::Ok();
}

}  // namespace

Status run_forward_plan(Propagator& prop, const ModelDims& dims, const ReductionInputs& in, const Plan& plan,
                        CheckpointMaps& out, Progress* progress, std::vector<MatD>* bias) {
  Backend& be = prop.backend();
  const Precision p = prop.precision();
  const int n = dims.tokens, d = dims.hidden, rows = plan.rows_per_token;
  out.values.assign(out.at.size(), MatD::Zero(n, n));
  Buffer directions;
  if (uses_direction(in.method)) {
    auto r = upload(be, in.directions, p);
    if (!r) return r.error();
    directions = std::move(r.value());
  }
  const MatD eye = MatD::Identity(d, d);
  const int passes = (n + plan.batch - 1) / plan.batch;
  for (int pass = 0, first = 0; first < n; ++pass, first += plan.batch) {
    const int size = std::min(plan.batch, n - first);
    auto st = prop.make_state(forward_counts(dims, first, size, rows, false), false);
    if (!st) return st.error();
    StreamState& s = st.value();
    for (int j = first; j < first + size; ++j) {
      const std::int64_t at = s.layout.offset[j] + std::int64_t(j - first) * rows;
      be.upload_rows(rows == 1 ? MatD(in.inputs.row(j)) : eye, *s.x, at);
    }
    Buffer batch_inputs;
    if (uses_inputs(in.method) && rows > 1) {
      auto r = upload(be, in.inputs.middleRows(first, size), p);
      if (!r) return r.error();
      batch_inputs = std::move(r.value());
    }
    // The first pass carries the bias state (one row per token) along.
    StreamState bias_state;
    std::vector<StreamState*> states{&s};
    if (bias && pass == 0) {
      auto b = prop.make_state(std::vector<std::int64_t>(n, 1), true);
      if (!b) return b.error();
      bias_state = std::move(b.value());
      states.push_back(&bias_state);
      bias->assign(out.at.size(), MatD());
    }
    auto at_checkpoint = [&](const Checkpoint& cp, int index, StreamState& state) -> Status {
      for (std::size_t k = 0; k < out.at.size(); ++k) {
        if (!same_checkpoint(cp, out.at[k])) continue;
        if (index == 1) {
          (*bias)[k] = be.download_rows(*state.x, 0, n);
        } else if (auto r = reduce_forward(be, state, in, first, rows, directions.get(), batch_inputs.get(),
                                           out.values[k]);
                   !r) {
          return r;
        }
      }
      return Status::Ok();
    };
    if (auto r = prop.forward(states, at_checkpoint, progress, double(pass) / passes, double(pass + 1) / passes); !r) {
      return r;
    }
  }
  return Status::Ok();
}

Status run_adjoint_plan(Propagator& prop, const ModelDims& dims, const ReductionInputs& in, const Plan& plan,
                        MatD& values, Progress* progress) {
  Backend& be = prop.backend();
  const Precision p = prop.precision();
  const int n = dims.tokens, d = dims.hidden, rows = plan.rows_per_token;
  values = MatD::Zero(n, n);
  Buffer inputs;
  if (uses_inputs(in.method)) {
    auto r = upload(be, in.inputs, p);
    if (!r) return r.error();
    inputs = std::move(r.value());
  }
  const MatD eye = MatD::Identity(d, d);
  const int passes = (n + plan.batch - 1) / plan.batch;
  for (int pass = 0, first = 0; first < n; ++pass, first += plan.batch) {
    const int size = std::min(plan.batch, n - first);
    const int last = first + size - 1;  // outputs in decreasing order: group g is output last - g
    auto st = prop.make_state(adjoint_counts(dims, first, size, rows), false);
    if (!st) return st.error();
    StreamState& s = st.value();
    for (int i = first; i <= last; ++i) {
      const std::int64_t at = s.layout.offset[i] + std::int64_t(last - i) * rows;
      be.upload_rows(rows == 1 ? MatD(in.directions.row(i)) : eye, *s.x, at);
    }
    if (auto r = prop.backward(s, progress, double(pass) / passes, double(pass + 1) / passes); !r) return r;
    const TokenLayout& lay = s.layout;
    auto for_entries = [&](auto&& f) {  // f(i, j, first row of the (i, j) group)
      for (int j = 0; j < n; ++j) {
        const std::int64_t groups = lay.count[j] / rows;
        for (std::int64_t g = 0; g < groups; ++g) f(last - int(g), j, lay.offset[j] + g * rows);
      }
    };
    const bool dot_inputs = uses_inputs(in.method);
    const VecD r = dot_inputs ? be.row_dots(*s.x, lay, *inputs) : be.row_sq_norms(*s.x);
    switch (in.method) {
      case LensMethod::Out:
      case LensMethod::TensorLens:
        for_entries([&](int i, int j, std::int64_t at) { values(i, j) = std::sqrt(group_sum(r, at, rows)); });
        break;
      case LensMethod::InOut:
        for_entries([&](int i, int j, std::int64_t at) { values(i, j) = r[at]; });
        break;
      case LensMethod::In:
        for_entries([&](int i, int j, std::int64_t at) { values(i, j) = r.segment(at, rows).norm(); });
        break;
    }
  }
  return Status::Ok();
}

Status run_bias_pass(Propagator& prop, const std::vector<Checkpoint>& at, std::vector<MatD>& c) {
  const int n = prop.segment().num_tokens;
  c.assign(at.size(), MatD());
  auto st = prop.make_state(std::vector<std::int64_t>(n, 1), true);
  if (!st) return st.error();
  auto at_checkpoint = [&](const Checkpoint& cp, StreamState& state) -> Status {
    for (std::size_t k = 0; k < at.size(); ++k) {
      if (same_checkpoint(cp, at[k])) c[k] = prop.backend().download_rows(*state.x, 0, n);
    }
    return Status::Ok();
  };
  return prop.forward(st.value(), at_checkpoint);
}

}  // namespace tl::lens
