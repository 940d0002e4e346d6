// Attributions of one prediction (the explained logit y_c at a position) to the input tokens:
// saliency ||dy_c/dx_j||_2, input x gradient sum_e x_j[e] dy_c/dx_j[e], integrated gradients, and
// occlusion (y_c minus y_c with token j replaced by a neutral token). x_j are the token-embedding
// rows (Hugging Face inputs_embeds; positions and segments stay). One row for the explained
// position, or option rows=all: one row per position, each explaining that position's own target.
#include "core/autodiff/derivatives.h"
#include "core/methods/method_impls.h"
#include "core/methods/registry.h"

namespace tl::methods {
namespace {

using Eigen::MatrixXd;

struct Rows {
  std::vector<int> positions;
  std::vector<std::pair<int, int>> position_token;
};

Result<Rows> explained_rows(const MethodCall& call, MethodOutput& out) {
  Rows rows;
  if (call.option_string("rows", "explained") == "all") {
    for (int i = 0; i < call.n(); ++i) rows.positions.push_back(i);
  } else {
    auto e = resolve_explained(call);
    if (!e) return e.error();
    rows.positions.push_back(e->position);
    out.explained_position = e->position;
    out.explained_token = e->token;
  }
  for (int p : rows.positions) rows.position_token.emplace_back(p, target_at(call, p));
  return rows;
}

Map row_map(const MethodCall& call, MatrixXd values, const Rows& rows) {
  Map m = make_row_map(call, std::move(values), rows.positions, call.info.is_signed);
  nlohmann::json targets = nlohmann::json::array();
  for (const auto& [p, t] : rows.position_token) targets.push_back({{"position", p}, {"token", t}});
  m.provenance.options["explained"] = targets;
  return m;
}

// Gradient of each row's logit w.r.t. the token rows, at the trace's operating point: [B*N, D].
MatrixXd token_gradients(const MethodCall& call, const Rows& rows) {
  const autodiff::Tape tape(call.model(), call.trace(), derivative_weights(call));
  return autodiff::logits_vjp(tape, rows.position_token).token_embeddings;
}

Result<Trace> forward_at(const MethodCall& call, const MatrixXd& token_rows, Precision precision) {
  ForwardInput in = forward_input(call.in);
  in.inputs_embeds = token_rows;
  return forward(call.model(), in, ForwardOptions{precision});
}

}  // namespace

Result<MethodOutput> run_saliency(const MethodCall& call) {
  MethodOutput out;
  auto rows = explained_rows(call, out);
  if (!rows) return rows.error();
  const int n = call.n();
  const MatrixXd g = token_gradients(call, *rows);
  MatrixXd values(Eigen::Index(rows->positions.size()), n);
  for (Eigen::Index b = 0; b < values.rows(); ++b) values.row(b) = g.middleRows(b * n, n).rowwise().norm().transpose();
  out.maps.push_back(row_map(call, std::move(values), *rows));
  return out;
}

Result<MethodOutput> run_input_x_gradient(const MethodCall& call) {
  MethodOutput out;
  auto rows = explained_rows(call, out);
  if (!rows) return rows.error();
  const int n = call.n();
  const MatrixXd g = token_gradients(call, *rows);
  const MatrixXd& x = call.trace().token_embeddings;
  MatrixXd values(Eigen::Index(rows->positions.size()), n);
  for (Eigen::Index b = 0; b < values.rows(); ++b) {
    values.row(b) = g.middleRows(b * n, n).cwiseProduct(x).rowwise().sum().transpose();
  }
  out.maps.push_back(row_map(call, std::move(values), *rows));
  return out;
}

// IG_j = sum_e (x - x')_j[e] * (1/k) sum_s dy_c/dx_j[e] at x' + a_s (x - x'), a_s = (s + 1/2)/k
// (midpoint rule), the path's forward passes in the trace's precision. Completeness: sum_j IG_j = y_c(x) - y_c(x') up to the quadrature
// error; the map's bias holds y_c(x') so that row sum + bias = y_c(x).
Result<MethodOutput> run_integrated_gradients(const MethodCall& call) {
  MethodOutput out;
  auto rows = explained_rows(call, out);
  if (!rows) return rows.error();
  const int n = call.n(), steps = std::max(1, call.option_int("steps", 32));
  const std::string baseline_kind = call.option_string("baseline", "zero");
  if (baseline_kind != "zero" && baseline_kind != "neutral") {
    return make_error("integrated-gradients: baseline '" + baseline_kind + "' is not zero or neutral");
  }
  const MatrixXd& x = call.trace().token_embeddings;
  MatrixXd baseline = MatrixXd::Zero(x.rows(), x.cols());
  if (baseline_kind == "neutral") {
    const int token = call.option_int("replacement_token", neutral_token(call.model(), call.in.tokenizer));
    baseline.rowwise() = call.model().weights.token_embedding.row(token).cast<double>();
  }
  const MatrixXd delta = x - baseline;
  MatrixXd mean_gradient = MatrixXd::Zero(Eigen::Index(rows->positions.size()) * n, x.cols());
  const auto weights = derivative_weights(call);
  const Precision precision = call.trace().precision;
  for (int s = 0; s < steps; ++s) {
    call.step(double(s) / steps, "step " + std::to_string(s + 1) + "/" + std::to_string(steps));
    const double alpha = (s + 0.5) / steps;
    auto trace = forward_at(call, baseline + alpha * delta, precision);
    if (!trace) return trace.error();
    const autodiff::Tape tape(call.model(), *trace, weights);
    mean_gradient += autodiff::logits_vjp(tape, rows->position_token).token_embeddings / double(steps);
  }
  auto at_input = forward_at(call, x, precision);
  auto at_baseline = forward_at(call, baseline, precision);
  if (!at_input) return at_input.error();
  if (!at_baseline) return at_baseline.error();
  MatrixXd values(Eigen::Index(rows->positions.size()), n);
  Eigen::VectorXd bias(values.rows());
  nlohmann::json completeness = nlohmann::json::array();
  for (Eigen::Index b = 0; b < values.rows(); ++b) {
    values.row(b) = mean_gradient.middleRows(b * n, n).cwiseProduct(delta).rowwise().sum().transpose();
    const auto [p, t] = rows->position_token[size_t(b)];
    bias[b] = at_baseline->logits(p, t);
    completeness.push_back({{"position", p}, {"sum", values.row(b).sum()}, {"difference", at_input->logits(p, t) - bias[b]}});
  }
  Map m = row_map(call, std::move(values), *rows);
  m.bias = std::move(bias);
  m.provenance.options["completeness"] = completeness;
  out.maps.push_back(std::move(m));
  return out;
}

Result<MethodOutput> run_occlusion(const MethodCall& call) {
  MethodOutput out;
  auto rows = explained_rows(call, out);
  if (!rows) return rows.error();
  const int n = call.n();
  const int replacement = call.option_int("replacement_token", neutral_token(call.model(), call.in.tokenizer));
  if (replacement < 0 || replacement >= call.spec().vocab_size) {
    return make_error("occlusion: replacement token " + std::to_string(replacement) + " is outside the vocabulary");
  }
  MatrixXd values(Eigen::Index(rows->positions.size()), n);
  for (int j = 0; j < n; ++j) {
    call.step(double(j) / n, "occluding token " + std::to_string(j + 1) + "/" + std::to_string(n));
    ForwardInput in = forward_input(call.in);
    in.ids[size_t(j)] = replacement;
    auto occluded = forward(call.model(), in, ForwardOptions{call.trace().precision});
    if (!occluded) return occluded.error();
    for (size_t b = 0; b < rows->position_token.size(); ++b) {
      const auto [p, t] = rows->position_token[b];
      values(Eigen::Index(b), j) = call.trace().logits(p, t) - occluded->logits(p, t);
    }
  }
  Map m = row_map(call, std::move(values), *rows);
  m.provenance.options["replacement_token"] = replacement;
  out.maps.push_back(std::move(m));
  return out;
}

}  // namespace tl::methods
