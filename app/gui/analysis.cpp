#include "app/gui/analysis.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>

#include "app/gui/compute_device.h"
#include "core/forward/forward.h"
#include "render/special_tokens.h"

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
  return ModelSession{model.value(), std::make_shared<const Tokenizer>(std::move(tokenizer.value())), nullptr};
}

Result<ModelSession> load_session(const std::string& folder) {
  auto model = load_model(std::filesystem::path(folder));
  if (!model) return model.error();
  auto tokenizer = Tokenizer::from_dir(std::filesystem::path(folder));
  if (!tokenizer) return tokenizer.error();
  return ModelSession{model.value(), std::make_shared<const Tokenizer>(std::move(tokenizer.value())), nullptr};
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
  auto trace = session.compute ? session.compute->forward(*session.model, input) : forward(*session.model, input);
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

bool uses_target(const MethodInfo& info) {
  const std::string_view n = info.name;
  return info.explains_prediction || (n.size() >= 4 && n.substr(n.size() - 4) == "-out");
}

bool scope_supported(const MethodInfo& info, Scope scope) {
  return scope == Scope::Layer ? info.per_layer : info.cumulative;
}

MapChoice normalised(MapChoice choice, const Model& model) {
  const MethodInfo* info = find_method(choice.method);
  if (!info) {
    choice.method = "attention-mean";
    info = find_method(choice.method);
  }
  if (!scope_supported(*info, choice.scope)) choice.scope = info->cumulative ? Scope::EndToEnd : Scope::Layer;
  choice.block = std::clamp(choice.block, 1, std::max(1, model.spec.num_layers));
  choice.head = std::clamp(choice.head, 0, std::max(0, model.spec.num_heads - 1));
  if (choice.target_token >= model.spec.vocab_size) choice.target_token = -1;
  return choice;
}

MethodInputs method_inputs(const ModelSession& session, const Analysis& analysis) {
  MethodInputs in;
  in.model = session.model.get();
  in.trace = analysis.trace.get();
  in.input.ids = analysis.encoding.ids;
  if (session.model->spec.type_vocab_size > 0) in.input.token_types = analysis.encoding.type_ids;
  in.tokenizer = session.tokenizer.get();
  in.text = analysis.text.toStdString();
  return in;
}

namespace {

MethodRequest method_request(const MapChoice& choice, const MethodInfo& info, int block) {
  MethodRequest req;
  req.scope = choice.scope;
  req.layer = choice.scope == Scope::EndToEnd ? 0 : block;
  if (info.per_head) req.head = choice.head;
  if (uses_target(info)) req.target_token = choice.target_token;
  return req;
}

}  // namespace

Result<Map> compute_map(const ModelSession& session, const Analysis& analysis, const MapChoice& choice,
                        Progress* progress) {
  const MethodInfo* info = find_method(choice.method);
  if (!info) return make_error("unknown method '" + choice.method + "'");
  if (!analysis.trace) return make_error("no forward pass yet");
  const MethodRequest request = method_request(choice, *info, choice.block);
  auto run = [&](Backend* backend) {
    MethodInputs in = method_inputs(session, analysis);
    in.backend = backend;
    return compute_method(choice.method, in, request, progress);
  };
  auto out = session.compute ? session.compute->run([&](Backend& b) { return run(&b); }) : run(nullptr);
  if (!out) return out.error();
  if (out->maps.empty()) return make_error(choice.method + ": the method gave no map");
  return std::move(out->maps.front());
}

Result<std::vector<Map>> compute_maps_all_blocks(const ModelSession& session, const Analysis& analysis,
                                                 const MapChoice& choice, Progress* progress) {
  std::vector<Map> maps;
  if (choice.scope == Scope::EndToEnd) {
    auto m = compute_map(session, analysis, choice, progress);
    if (!m) return m.error();
    maps.push_back(std::move(m.value()));
    return maps;
  }
  const int blocks = session.model->spec.num_layers;
  for (int b = 1; b <= blocks; ++b) {
    MapChoice c = choice;
    c.block = b;
    if (progress) progress->report(static_cast<double>(b - 1) / blocks, "block " + std::to_string(b));
    auto m = compute_map(session, analysis, c, progress);
    if (!m) return m.error();
    maps.push_back(std::move(m.value()));
  }
  return maps;
}

render::SpecialTokens special_tokens(const Encoding& encoding, const std::vector<std::string>& token_labels, const Map& map,
                                     bool causal) {
  render::TokenFlags tokens;
  tokens.labels = token_labels;
  tokens.special.assign(encoding.special.begin(), encoding.special.end());
  tokens.causal = causal;
  return render::special_tokens_for(map, tokens);
}

namespace {
int to_display(const render::WordGroups* w, bool grouped, int token) {
  if (!w || !grouped || token < 0 || token >= static_cast<int>(w->word_of_token.size())) return token;
  return w->word_of_token[static_cast<std::size_t>(token)];
}
int to_token(const render::WordGroups* w, bool grouped, int index, bool last) {
  if (!w || !grouped || index < 0 || index >= w->size()) return index;
  const auto& [b, e] = w->words[static_cast<std::size_t>(index)];
  return last ? e - 1 : b;
}
}  // namespace

int RenderedCells::displayRow(int token) const { return to_display(words.get(), word_rows, token); }
int RenderedCells::displayCol(int token) const { return to_display(words.get(), word_cols, token); }
int RenderedCells::tokenRow(int row) const { return to_token(words.get(), word_rows, row, /*last=*/true); }
int RenderedCells::tokenCol(int col) const { return to_token(words.get(), word_cols, col, /*last=*/false); }

std::pair<int, int> RenderedCells::rowTokens(int row) const { return {to_token(words.get(), word_rows, row, false), tokenRow(row)}; }
std::pair<int, int> RenderedCells::colTokens(int col) const { return {tokenCol(col), to_token(words.get(), word_cols, col, true)}; }

render::WordGroups word_groups_of(const Analysis& analysis) {
  render::TokenText t;
  const QByteArray utf8 = analysis.text.toUtf8();
  const std::string text(utf8.constData(), static_cast<std::size_t>(utf8.size()));
  t.text = text;
  t.spans = analysis.encoding.spans;
  t.pieces = analysis.encoding.tokens;
  t.special.assign(analysis.encoding.special.begin(), analysis.encoding.special.end());
  t.labels = analysis.labels;
  return render::word_groups(t);  // copies what it keeps: `text` may go
}

DisplayedMap displayed_map(std::shared_ptr<const Map> raw, const Analysis& analysis, const render::HeatmapStyle& style,
                           bool causal) {
  DisplayedMap d;
  d.map = raw;
  d.special = special_tokens(analysis.encoding, analysis.labels, *raw, causal);
  if (!style.group_words) return d;
  auto groups = std::make_shared<const render::WordGroups>(word_groups_of(analysis));
  d.word_rows = render::groups_rows(*raw, *groups);
  d.word_cols = render::groups_cols(*raw, *groups);
  if (d.word_rows || d.word_cols) {
    d.map = std::make_shared<const Map>(render::group_words(*raw, *groups));
    d.special = render::group_special(d.special, *raw, *groups);
    d.words = std::move(groups);
  }
  return d;
}

render::ValueRange displayed_range(const DisplayedMap& shown, const render::HeatmapStyle& style) {
  return render::display_range(*shown.map, style, shown.special);
}

}  // namespace tl::app
