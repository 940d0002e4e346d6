#include "app/gui/view_export.h"

#include <cmath>

#include "app/gui/activations_view.h"
#include "app/gui/analysis_views.h"
#include "app/gui/comparison_view.h"
#include "app/gui/heatmap_view.h"
#include "app/gui/item_models.h"
#include "app/gui/jacobian_view.h"
#include "app/gui/layerwise_view.h"
#include "app/gui/logit_lens_view.h"
#include "app/gui/view_models.h"
#include "core/methods/layer_series.h"
#include "render/word_groups.h"

namespace tl::app {
namespace {

const char* colormap_choice_name(render::ColormapChoice c) {
  switch (c) {
    case render::ColormapChoice::Auto: return "auto";
    case render::ColormapChoice::Viridis: return "viridis";
    case render::ColormapChoice::Magma: return "magma";
    case render::ColormapChoice::Diverging: return "diverging";
  }
  return "";
}

// What the user chose in the app, whichever view is exported (the panels record what each drew).
nlohmann::json display_options(const render::HeatmapStyle& style, bool shared_scale) {
  return {{"colormap", colormap_choice_name(style.colormap)},
          {"row_normalise", style.row_normalise},
          {"log_scale", style.log_scale},
          {"hide_special", style.hide_special},
          {"group_words", style.group_words},
          {"shared_scale", shared_scale}};
}

nlohmann::json common_provenance(const QString& view, const AppContext& context) {
  nlohmann::json j = {{"view", view.toStdString()},
                      {"display_options", display_options(context.style(), context.sharedScale())}};
  const auto analysis = context.analysis();
  j["sentence_tokens"] = analysis ? analysis->labels : context.tokenLabels();
  return j;
}

// Maps built by views (activations, logit lens, the Jacobian blocks) may lack the model or text.
std::shared_ptr<const Map> with_session(std::shared_ptr<const Map> map, const AppContext& context) {
  if (!map->provenance.model.empty() && !map->provenance.text.empty()) return map;
  Map copy = *map;
  if (copy.provenance.model.empty()) copy.provenance.model = context.session()->display_name();
  if (copy.provenance.text.empty()) copy.provenance.text = context.text().toStdString();
  return std::make_shared<const Map>(std::move(copy));
}

// Panels under a figure heading get a blank subtitle: the heading says model and options once.
const QString kUnderHeading = QStringLiteral(" ");

QString quoted_token(const Analysis& a, int k) {
  return k >= 0 && k < static_cast<int>(a.labels.size()) ? chip_text(a.labels[static_cast<std::size_t>(k)]) : QString::number(k);
}

Result<render::ViewExport> heatmap_export(const AppContext& context) {
  const auto cells = context.cells();
  if (!cells || !cells->map) return make_error("nothing to export: no map yet");
  render::ViewExport v;
  const auto map = with_session(cells->map, context);
  v.figure.panels.push_back({map, cells->style, cells->special, {}, {}, {}});
  v.data = {map};
  v.provenance = common_provenance(QStringLiteral("heatmap"), context);
  return v;
}

Result<render::ViewExport> layers_export(const LayerwiseView& view, const AppContext& context) {
  const LayerTiles* t = view.shown();
  const auto analysis = context.analysis();
  if (!t || t->tiles.empty() || !analysis) return make_error("the layer-wise view has nothing to export yet: open it first");
  // The view's shared scale: the union of the tiles' ranges under the style (tiles are never grouped by words).
  render::HeatmapStyle style = context.style();
  style.group_words = false;
  style.fixed_range.reset();
  std::vector<render::SpecialTokens> special;
  render::ValueRange all;
  for (const auto& tile : t->tiles) {
    special.push_back(special_tokens(analysis->encoding, analysis->labels, *tile.map));
    all = all.united(render::display_range(*tile.map, style, special.back()));
  }
  style.fixed_range = all;
  render::ViewExport v;
  for (std::size_t k = 0; k < t->tiles.size(); ++k) {
    const auto map = with_session(t->tiles[k].map, context);
    v.figure.panels.push_back({map, style, special[k], t->tiles[k].label, kUnderHeading, {}});
    v.data.push_back(map);
    v.data_names.push_back(t->tiles[k].label.toStdString());
  }
  v.figure.columns = t->columns;
  v.figure.title = QObject::tr("%1, %2: every block on one colour scale")
                       .arg(QString::fromStdString(t->method),
                            t->scope == Scope::Block ? QObject::tr("each block alone") : QObject::tr("blocks 1..l composed"));
  v.figure.subtitle = QString::fromStdString(v.data.front()->provenance.model);
  if (style.hide_special) v.figure.subtitle += QObject::tr("  \u00b7  grey: special tokens and sink, outside the scale");
  v.provenance = common_provenance(QStringLiteral("layers"), context);
  v.provenance["layers"] = t->scope == Scope::Block ? "every block alone" : "blocks 1..l for every l";
  return v;
}

Result<render::ViewExport> compare_export(const ComparisonView& view, const AppContext& context) {
  const auto c = view.comparison();
  const auto analysis = context.analysis();
  if (!c || !analysis) return make_error("the comparison view has nothing to export yet: open it first");
  // As the view draws them: each map on its own scale, the difference diverging and linear.
  render::HeatmapStyle own = context.style();
  own.fixed_range.reset();
  own.group_words = false;
  render::HeatmapStyle diverging;
  diverging.colormap = render::ColormapChoice::Diverging;
  diverging.hide_special = own.hide_special;
  const auto a = with_session(c->a, context), b = with_session(c->b, context), d = with_session(c->difference, context);
  const QString name_a = QString::fromStdString(c->a->provenance.method), name_b = QString::fromStdString(c->b->provenance.method);
  render::ViewExport v;
  v.figure.panels.push_back({a, own, special_tokens(analysis->encoding, analysis->labels, *c->a), name_a, kUnderHeading, {}});
  v.figure.panels.push_back({b, own, special_tokens(analysis->encoding, analysis->labels, *c->b), name_b, kUnderHeading, {}});
  v.figure.panels.push_back({d, diverging, c->special, QObject::tr("%1 \u2212 %2").arg(name_a, name_b),
                             QObject::tr("each map divided by its largest |value| first"), {}});
  v.figure.columns = 3;
  v.figure.title = QObject::tr("%1 vs %2, %3").arg(name_a, name_b, QString::fromStdString(c->a->provenance.layers));
  v.figure.subtitle = QObject::tr("%1  \u00b7  over %2 counted cells: Spearman \u03c1 = %3, Kendall \u03c4-b = %4")
                          .arg(QString::fromStdString(a->provenance.model))
                          .arg(c->cells)
                          .arg(format_correlation(c->spearman), format_correlation(c->kendall));
  v.data = {a, b, d};
  v.data_names = {name_a.toStdString(), name_b.toStdString(), "difference"};
  v.provenance = common_provenance(QStringLiteral("compare"), context);
  v.provenance["comparison"] = {{"method_a", name_a.toStdString()},   {"method_b", name_b.toStdString()},
                                {"cells", c->cells},                  {"spearman", c->spearman},
                                {"kendall", c->kendall},              {"row_spearman", c->row_spearman},
                                {"row_kendall", c->row_kendall}};
  return v;
}

Result<render::ViewExport> jacobian_export(const JacobianView& view, const AppContext& context) {
  const auto b = view.blocks();
  const auto analysis = context.analysis();
  if (!b || !analysis) return make_error("the Jacobian view has nothing to export yet: open it first");
  render::HeatmapStyle style;  // one symmetric scale for both blocks, as the view
  style.colormap = render::ColormapChoice::Diverging;
  style.fixed_range = render::display_range(*b->lens_block, style).united(render::display_range(*b->true_block, style));
  const auto lens = with_session(b->lens_block, context), truth = with_session(b->true_block, context);
  render::ViewExport v;
  v.figure.panels.push_back({lens, style, {}, QString::fromStdString(b->lens_block->provenance.method), kUnderHeading, {}});
  v.figure.panels.push_back({truth, style, {}, QString::fromStdString(b->true_block->provenance.method), kUnderHeading, {}});
  // Singular values span orders of magnitude: log10, zeros floored at 1e-6 of the largest (as the view's plot).
  render::LinePanel plot;
  plot.title = QObject::tr("Singular values");
  plot.x_label = QObject::tr("index");
  plot.y_label = QObject::tr("log10 \u03c3");
  auto series = [](const QString& name, const QColor& colour, const VecD& s) {
    render::LineSeries line;
    line.name = name;
    line.color = colour;
    const double floor = (s.size() > 0 ? s.maxCoeff() : 1.0) * 1e-6;
    for (Eigen::Index k = 0; k < s.size(); ++k) {
      line.x.push_back(static_cast<double>(k + 1));
      line.y.push_back(std::log10(std::max(s[k], floor > 0 ? floor : 1e-300)));
    }
    return line;
  };
  plot.series = {series(QObject::tr("TensorLens block"), QColor(0x1f, 0x77, 0xb4), b->lens_spectrum.singular_values),
                 series(QObject::tr("true Jacobian"), QColor(0xd6, 0x27, 0x28), b->true_spectrum.singular_values)};
  v.figure.plot = plot;
  v.figure.columns = 2;
  v.figure.title = QObject::tr("Pair (%1, %2): output \u201c%3\u201d \u2190 input \u201c%4\u201d, %5")
                       .arg(b->i)
                       .arg(b->j)
                       .arg(quoted_token(*analysis, b->i), quoted_token(*analysis, b->j),
                            QString::fromStdString(b->lens_block->provenance.layers));
  v.figure.subtitle = QObject::tr("%1  \u00b7  ||T \u2212 J||F / ||J||F = %2")
                          .arg(QString::fromStdString(lens->provenance.model), render::format_value(b->relative_gap));
  v.data = {lens, truth};
  v.data_names = {"tensorlens_block", "true_jacobian_block"};
  auto values = [](const VecD& s) { return std::vector<double>(s.data(), s.data() + s.size()); };
  v.provenance = common_provenance(QStringLiteral("jacobian"), context);
  v.provenance["pair"] = {{"i", b->i},
                          {"j", b->j},
                          {"output_token", quoted_token(*analysis, b->i).toStdString()},
                          {"input_token", quoted_token(*analysis, b->j).toStdString()}};
  v.provenance["relative_gap"] = b->relative_gap;
  v.provenance["singular_values"] = {{"tensorlens_block", values(b->lens_spectrum.singular_values)},
                                     {"true_jacobian_block", values(b->true_spectrum.singular_values)}};
  return v;
}

Result<render::ViewExport> logit_lens_export(const LogitLensView& view, const AppContext& context) {
  const LogitLens* lens = view.model()->lens();
  const auto analysis = context.analysis();
  if (!lens || !analysis) return make_error("the logit-lens view has nothing to export yet: open it first");
  const int stages = static_cast<int>(lens->probability.rows()), n = static_cast<int>(lens->probability.cols());
  if (n != static_cast<int>(analysis->labels.size())) {
    return make_error("the logit-lens view shows an older sentence: open it again before exporting");
  }
  // Rows: positions (the sentence's tokens), columns: stages, like the view's table.
  Map prob;
  prob.values = lens->probability.transpose();
  prob.row_labels = analysis->labels;
  prob.col_labels.push_back("emb");
  for (int s = 1; s < stages; ++s) prob.col_labels.push_back(std::to_string(s));
  prob.provenance.method = "logit-lens";
  prob.provenance.layers = "embeddings, blocks 1.." + std::to_string(stages - 1);
  prob.provenance.options = {{"top_k", lens->top_k}, {"values", "probability of the position's final prediction"}};
  Map rank = prob;
  rank.values = lens->rank.cast<double>().transpose();
  rank.provenance.options["values"] = "rank of the position's final prediction (0 = top)";
  const auto prob_map = with_session(std::make_shared<const Map>(std::move(prob)), context);
  const auto rank_map = with_session(std::make_shared<const Map>(std::move(rank)), context);
  const auto& tokenizer = context.session()->tokenizer_ptr();
  auto token = [&](int id) {
    return tokenizer ? chip_text(tokenizer->display_token(id)) : QStringLiteral("#%1").arg(id);
  };
  render::HeatmapPanel panel;
  panel.map = prob_map;
  panel.style.colormap = render::ColormapChoice::Viridis;
  panel.style.fixed_range = render::ValueRange{0.0, 1.0, false};
  panel.title = QObject::tr("Logit lens");
  panel.subtitle = QObject::tr("colour: probability of each position's final prediction at that stage; text: the top token");
  panel.cell_text.resize(static_cast<std::size_t>(n) * static_cast<std::size_t>(stages));
  nlohmann::json predicted = nlohmann::json::array();
  for (int i = 0; i < n; ++i) {
    for (int s = 0; s < stages; ++s) {
      const auto& top = lens->top[static_cast<std::size_t>(s)][static_cast<std::size_t>(i)];
      if (!top.empty()) panel.cell_text[static_cast<std::size_t>(i * stages + s)] = token(top.front().first);
    }
    const int id = lens->predicted[static_cast<std::size_t>(i)];
    predicted.push_back({{"id", id}, {"token", token(id).toStdString()}});
  }
  render::ViewExport v;
  v.figure.panels.push_back(std::move(panel));
  v.data = {rank_map, prob_map};
  v.data_names = {"rank", "probability"};
  v.provenance = common_provenance(QStringLiteral("logit-lens"), context);
  v.provenance["predicted"] = predicted;
  return v;
}

Result<render::ViewExport> activations_export(const ActivationsView& view, const AppContext& context) {
  const auto cells = view.heatmap()->cells();
  if (!cells || !cells->map) return make_error("the activations view has nothing to export yet: open it first");
  const auto map = with_session(cells->map, context);
  render::ViewExport v;
  v.figure.panels.push_back({map, cells->style, cells->special, QObject::tr("Hidden-state norms ||h||"), {}, {}});
  v.data = {map};
  v.provenance = common_provenance(QStringLiteral("activations"), context);
  return v;
}

}  // namespace

Result<render::ViewExport> view_export(const QString& name, const AnalysisViews& views, const AppContext& context) {
  Result<render::ViewExport> out = make_error("unknown view '" + name.toStdString() + "'");
  if (name == QLatin1String("heatmap")) out = heatmap_export(context);
  else if (name == QLatin1String("layers")) out = layers_export(*views.layers(), context);
  else if (name == QLatin1String("compare")) out = compare_export(*views.comparison(), context);
  else if (name == QLatin1String("jacobian")) out = jacobian_export(*views.jacobian(), context);
  else if (name == QLatin1String("logit-lens")) out = logit_lens_export(*views.logitLens(), context);
  else if (name == QLatin1String("activations")) out = activations_export(*views.activations(), context);
  else if (name == QLatin1String("evaluation"))
    return make_error("the evaluation view exports its report with its own Export button");
  return out;
}

Result<render::LayerSeriesExport> every_layer_series(const SessionPtr& session, const Analysis& analysis,
                                                     const MapChoice& choice, const render::HeatmapStyle& style,
                                                     render::ExportFormat format, Progress* progress) {
  const MethodInfo* info = find_method(choice.method);
  if (!info) return make_error("unknown method '" + choice.method + "'");
  if (!analysis.trace || !session) return make_error("no analysis yet: type a sentence");
  const Scope scope = layerwise_scope(*info, choice.scope);
  if (scope == Scope::EndToEnd) {
    return make_error(choice.method + " explains the model's final output only: it has no per-layer maps");
  }
  MethodRequest base;
  base.head = choice.head;
  if (info->uses_target) base.target_token = choice.target_token;
  auto series = session->series(analysis, choice.method, scope, base, progress);
  if (!series) return series.error();
  render::LayerSeriesExport out;
  out.method = choice.method;
  out.cumulative = scope == Scope::Through;
  out.num_layers = session->spec().num_layers;
  out.blocks = series->blocks;
  out.style = style;
  out.style.fixed_range.reset();
  out.format = format;
  const render::WordGroups words = word_groups_of(analysis);
  for (Map& m : series->maps) {
    if (m.provenance.model.empty()) m.provenance.model = session->display_name();
    if (m.provenance.text.empty()) m.provenance.text = analysis.text;
    render::SpecialTokens special = special_tokens(analysis.encoding, analysis.labels, m, session->spec().causal);
    // Words as one row/column, as the main heatmap draws them.
    if (style.group_words && (render::groups_rows(m, words) || render::groups_cols(m, words))) {
      special = render::group_special(special, m, words);
      m = render::group_words(m, words);
    }
    out.special.push_back(std::move(special));
    out.maps.push_back(std::make_shared<const Map>(std::move(m)));
  }
  out.provenance = {{"view", "every layer"},
                    {"display_options", display_options(style, true)},
                    {"sentence_tokens", analysis.labels}};
  if (info->per_head) out.provenance["head"] = std::max(0, choice.head);
  return out;
}

}  // namespace tl::app
