#include "app/gui/comparison.h"

#include <cmath>

#include "core/util/progress.h"
#include "core/util/rank_correlation.h"

namespace tl::app {

Scope common_scope(const MethodInfo& a, const MethodInfo& b, Scope chosen, bool* ok) {
  *ok = true;
  if (scope_supported(a, chosen) && scope_supported(b, chosen)) return chosen;
  if (a.cumulative && b.cumulative) return Scope::EndToEnd;
  if (a.per_layer && b.per_layer) return Scope::Block;
  *ok = false;
  return Scope::EndToEnd;
}

Result<Comparison> compute_comparison(const SessionPtr& session, const Analysis& analysis, const std::string& method_a,
                                      const std::string& method_b, const MapChoice& chosen, bool hide_special,
                                      Progress* progress) {
  const MethodInfo* ia = find_method(method_a);
  const MethodInfo* ib = find_method(method_b);
  if (!ia || !ib) return make_error("unknown method '" + (ia ? method_b : method_a) + "'");
  bool ok = false;
  Comparison out;
  out.scope = common_scope(*ia, *ib, chosen.scope, &ok);
  if (!ok) return make_error(method_a + " and " + method_b + " share no scope (one is per block only, the other end to end only)");
  out.block = out.scope == Scope::EndToEnd ? 0 : chosen.block;

  MapChoice ca{method_a, out.scope, chosen.block, chosen.head};
  MapChoice cb{method_b, out.scope, chosen.block, chosen.head};
  ProgressSlice first(progress, 0.0, 0.5), second(progress, 0.5, 1.0);
  auto ma = session->compute_map(analysis, normalised(ca, session->spec()), &first);
  if (!ma) return ma.error();
  auto mb = session->compute_map(analysis, normalised(cb, session->spec()), &second);
  if (!mb) return mb.error();
  if (ma->rows() != mb->rows() || ma->cols() != mb->cols()) {
    return make_error(method_a + " gives a " + std::to_string(ma->rows()) + " x " + std::to_string(ma->cols()) + " map and " +
                      method_b + " a " + std::to_string(mb->rows()) + " x " + std::to_string(mb->cols()) +
                      " one: they cannot be compared cell by cell");
  }
  const int rows = ma->rows(), cols = ma->cols();
  if (hide_special) out.special = special_tokens(analysis.encoding, analysis.labels, *ma, session->spec().causal);
  const bool causal = session->spec().causal && rows == cols;
  auto counted = [&](int i, int j) { return !out.special.row(i) && !out.special.col(j) && !(causal && j > i); };

  auto max_abs = [&](const Eigen::MatrixXd& v) {
    double m = 0;
    for (int i = 0; i < rows; ++i)
      for (int j = 0; j < cols; ++j)
        if (counted(i, j) && std::isfinite(v(i, j))) m = std::max(m, std::abs(v(i, j)));
    return m > 0 ? m : 1.0;
  };
  const double sa = max_abs(ma->values), sb = max_abs(mb->values);
  Map diff;
  diff.values = Eigen::MatrixXd::Zero(rows, cols);
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j)
      if (counted(i, j)) diff.values(i, j) = ma->values(i, j) / sa - mb->values(i, j) / sb;
  diff.row_labels = ma->row_labels;
  diff.col_labels = ma->col_labels;
  diff.is_signed = true;
  diff.provenance = ma->provenance;
  diff.provenance.method = method_a + " \u2212 " + method_b + " (normalised)";
  diff.provenance.layers = ma->provenance.layers;
  diff.provenance.options = {{"a", method_a}, {"b", method_b}, {"normalisation", "max-abs per map"}};

  std::vector<double> all_a, all_b;
  for (int i = 0; i < rows; ++i) {
    std::vector<double> ra, rb;
    for (int j = 0; j < cols; ++j) {
      if (!counted(i, j)) continue;
      ra.push_back(ma->values(i, j));
      rb.push_back(mb->values(i, j));
    }
    out.row_cells.push_back(static_cast<int>(ra.size()));
    out.row_spearman.push_back(spearman_rho(ra, rb));
    out.row_kendall.push_back(kendall_tau_b(ra, rb));
    all_a.insert(all_a.end(), ra.begin(), ra.end());
    all_b.insert(all_b.end(), rb.begin(), rb.end());
  }
  out.cells = static_cast<int>(all_a.size());
  out.spearman = spearman_rho(all_a, all_b);
  out.kendall = kendall_tau_b(all_a, all_b);
  out.a = std::make_shared<const Map>(std::move(ma.value()));
  out.b = std::make_shared<const Map>(std::move(mb.value()));
  out.difference = std::make_shared<const Map>(std::move(diff));
  return out;
}

}  // namespace tl::app
