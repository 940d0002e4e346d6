#include "app/gui/analysis.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>

#include "core/forward/forward.h"

namespace tl::app {

QString ModelSession::displayName() const {
  if (!model) return QStringLiteral("(no model)");
  const QString name = QString::fromStdString(model->name);
  if (model->source.rfind("embedded:", 0) == 0) return name + QStringLiteral(" (embedded)");
  return name;
}

Result<ModelSession> load_embedded_session() {
  auto model = load_embedded_model();
  if (!model) return model.error();
  auto tokenizer = Tokenizer::embedded();
  if (!tokenizer) return tokenizer.error();
  return ModelSession{model.value(), std::make_shared<const Tokenizer>(std::move(tokenizer.value()))};
}

Result<ModelSession> load_session(const std::string& folder) {
  auto model = load_model(std::filesystem::path(folder));
  if (!model) return model.error();
  auto tokenizer = Tokenizer::from_dir(std::filesystem::path(folder));
  if (!tokenizer) return tokenizer.error();
  return ModelSession{model.value(), std::make_shared<const Tokenizer>(std::move(tokenizer.value()))};
}

std::vector<Prediction> top_predictions(const MatD& logits, int row, int k, const Tokenizer& tokenizer) {
  if (row < 0 || row >= logits.rows() || logits.cols() == 0) return {};
  const Eigen::VectorXd z = logits.row(row).transpose();
  const double peak = z.maxCoeff();
  const Eigen::VectorXd e = (z.array() - peak).exp();
  const double total = e.sum();
  std::vector<int> order(static_cast<std::size_t>(z.size()));
  std::iota(order.begin(), order.end(), 0);
  const int n = std::min<int>(k, static_cast<int>(order.size()));
  std::partial_sort(order.begin(), order.begin() + n, order.end(), [&](int a, int b) { return z(a) > z(b); });
  std::vector<Prediction> out;
  for (int r = 0; r < n; ++r) {
    const int id = order[static_cast<std::size_t>(r)];
    out.push_back({id, tokenizer.display_token(id), e(id) / total});
  }
  return out;
}

Result<Analysis> analyse(const ModelSession& session, const QString& text, const Encoding& encoding, int top_k) {
  Analysis a;
  a.text = text;
  a.encoding = encoding;
  if (encoding.ids.empty()) return a;  // nothing to run
  ForwardInput input;
  input.ids = encoding.ids;
  if (session.model->spec.type_vocab_size > 0) input.token_types = encoding.type_ids;
  auto trace = forward(*session.model, input);
  if (!trace) return trace.error();
  a.trace = std::make_shared<const Trace>(std::move(trace.value()));
  for (int id : encoding.ids) a.labels.push_back(session.tokenizer->display_token(id));
  if (session.model->spec.causal) {
    a.prediction_row = a.trace->num_tokens() - 1;
  } else {
    const int mask = session.tokenizer->mask_id();
    const auto it = std::find(encoding.ids.begin(), encoding.ids.end(), mask);
    a.prediction_row = (mask >= 0 && it != encoding.ids.end()) ? static_cast<int>(it - encoding.ids.begin()) : -1;
  }
  a.predictions = top_predictions(a.trace->logits, a.prediction_row, top_k, *session.tokenizer);
  return a;
}

Map head_mean_attention(const ModelSession& session, const Analysis& analysis, int block) {
  const Trace& trace = *analysis.trace;
  Q_ASSERT_X(block >= 1 && block <= trace.num_layers(), "head_mean_attention", "block out of range");
  const auto& heads = trace.blocks[static_cast<std::size_t>(block - 1)].attn_probs;
  Map map;
  map.values = MatD::Zero(trace.num_tokens(), trace.num_tokens());
  for (const MatD& h : heads) map.values += h;
  if (!heads.empty()) map.values /= static_cast<double>(heads.size());
  map.row_labels = analysis.labels;
  map.col_labels = analysis.labels;
  map.is_signed = false;
  map.provenance.model = session.displayName().toStdString() + " [" + session.model->source + "]";
  map.provenance.text = analysis.text.toStdString();
  map.provenance.method = kHeadMeanAttention;
  map.provenance.layers = "block " + std::to_string(block);
  map.provenance.options = {{"heads", heads.size()}, {"reduction", "mean over heads"}};
  return map;
}

render::SpecialTokens special_tokens(const Encoding& encoding) {
  render::SpecialTokens s;
  s.rows.assign(encoding.special.begin(), encoding.special.end());
  s.cols = s.rows;
  return s;
}

}  // namespace tl::app
