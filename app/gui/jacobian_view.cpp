#include "app/gui/jacobian_view.h"

#include <QHBoxLayout>
#include <QSplitter>
#include <QTextBrowser>
#include <QVBoxLayout>
#include <algorithm>

#include "app/gui/heatmap_view.h"
#include "app/gui/item_models.h"
#include "app/gui/singular_value_plot.h"
#include "core/util/progress.h"

namespace tl::app {
namespace {

constexpr int kDirections = 3;  // decoded singular directions per block
constexpr int kTopTokens = 6;   // tokens per direction and sign

}  // namespace

std::pair<int, int> jacobian_pair(int selected_i, int selected_j, int prediction_row, int n) {
  if (n <= 0) return {0, 0};
  if (selected_i >= 0 && selected_j >= 0 && selected_i < n && selected_j < n) return {selected_i, selected_j};
  const int i = prediction_row >= 0 && prediction_row < n ? prediction_row : n - 1;
  return {i, std::max(0, i - 1)};
}

Result<JacobianBlocks> compute_jacobian_blocks(const SessionPtr& session, const Analysis& analysis, int i, int j,
                                               const MapChoice& choice, Progress* progress) {
  if (!analysis.trace) return make_error("no forward pass yet");
  JacobianBlocks out;
  out.i = i;
  out.j = j;
  out.scope = choice.scope;
  out.block = choice.scope == Scope::EndToEnd ? 0 : std::clamp(choice.block, 1, session->spec().num_layers);
  ProgressSlice first(progress, 0.0, 0.3), second(progress, 0.3, 1.0);
  auto lens_block = session->pair_block(analysis, i, j, /*true_jacobian=*/false, choice, &first);
  if (!lens_block) return lens_block.error();
  auto true_block = session->pair_block(analysis, i, j, /*true_jacobian=*/true, choice, &second);
  if (!true_block) return true_block.error();
  lens_block->provenance.method = "TensorLens block T[i,:,j,:]";
  true_block->provenance.method = "true Jacobian block dh_i/dx_j";
  out.lens_block = std::make_shared<const Map>(std::move(lens_block.value()));
  out.true_block = std::make_shared<const Map>(std::move(true_block.value()));
  out.lens_spectrum = lens::block_spectrum(session->model(), out.lens_block->values, kDirections, kTopTokens);
  out.true_spectrum = lens::block_spectrum(session->model(), out.true_block->values, kDirections, kTopTokens);
  const double norm = out.true_block->values.norm();
  out.relative_gap = norm > 0 ? (out.lens_block->values - out.true_block->values).norm() / norm : 0.0;
  return out;
}

JacobianView::JacobianView(AppContext* context, QWidget* parent) : AnalysisView(context, QStringLiteral("jacobian"), parent) {
  auto* layout = new QVBoxLayout(this);
  heading_ = new QLabel(this);
  heading_->setWordWrap(true);
  layout->addWidget(heading_);
  layout->addWidget(message_);
  auto* splitter = new QSplitter(Qt::Vertical, this);
  auto* blocks = new QWidget(splitter);
  auto* blocks_layout = new QHBoxLayout(blocks);
  blocks_layout->setContentsMargins(0, 0, 0, 0);
  lens_view_ = new HeatmapView(blocks);
  true_view_ = new HeatmapView(blocks);
  blocks_layout->addWidget(lens_view_, 1);
  blocks_layout->addWidget(true_view_, 1);
  auto* lower = new QWidget(splitter);
  auto* lower_layout = new QHBoxLayout(lower);
  lower_layout->setContentsMargins(0, 0, 0, 0);
  plot_ = new SingularValuePlot(lower);
  directions_ = new QTextBrowser(lower);
  lower_layout->addWidget(plot_, 2);
  lower_layout->addWidget(directions_, 3);
  splitter->addWidget(blocks);
  splitter->addWidget(lower);
  splitter->setStretchFactor(0, 3);
  splitter->setStretchFactor(1, 2);
  layout->addWidget(splitter, 1);
  connect(context_, &AppContext::mapChoiceChanged, this, &AnalysisView::invalidate);
  connect(context_, &AppContext::selectionChanged, this, &AnalysisView::invalidate);
}

QString JacobianView::directionsHtml(const JacobianBlocks& b) const {
  auto tokens = [this](const std::vector<std::pair<int, double>>& list) {
    QStringList parts;
    for (const auto& [id, score] : list) {
      const QString t = context_->session()->tokenizer_ptr() ? chip_text(context_->session()->tokenizer()->display_token(id))
                                                      : QStringLiteral("#%1").arg(id);
      parts << t.toHtmlEscaped();
    }
    return parts.join(QStringLiteral(", "));
  };
  QString html = tr("<p><b>Top singular directions, decoded through the unembedding.</b> "
                    "<i>push</i>: output tokens that the direction u raises; <i>pull</i>: those that &minus;u raises.</p>");
  for (const auto& [name, spectrum] :
       {std::pair{tr("TensorLens block"), &b.lens_spectrum}, std::pair{tr("true Jacobian"), &b.true_spectrum}}) {
    html += QStringLiteral("<p><b>%1</b><table cellspacing=0 cellpadding=2>").arg(name);
    int k = 1;
    for (const auto& d : spectrum->directions) {
      html += tr("<tr><td>\u03c3<sub>%1</sub> = %2</td><td>push: %3</td></tr><tr><td></td><td>pull: %4</td></tr>")
                  .arg(k++)
                  .arg(render::format_value(d.value), tokens(d.push), tokens(d.pull));
    }
    html += QStringLiteral("</table></p>");
  }
  return html;
}

void JacobianView::recompute() {
  const auto analysis = context_->analysis();
  if (!analysis || !analysis->trace || !context_->hasModel()) {
    setMessage(tr("No analysis yet: type a sentence."));
    return;
  }
  // A selection on a map whose axes are not the sentence's tokens (the logit-lens method's stages,
  // a single explained row) names no pair: the default pair then.
  const int n = analysis->trace->num_tokens();
  const auto map = context_->map();
  const bool token_axes = map && map->rows() == n && map->cols() == n;
  const auto [i, j] = jacobian_pair(token_axes ? context_->selectedRow() : -1, token_axes ? context_->selectedCol() : -1,
                                    analysis->prediction_row, n);
  const MapChoice choice = normalised(context_->mapChoice(), context_->session()->spec());
  setMessage(tr("Computing the blocks of pair (%1, %2)\u2026").arg(i).arg(j));
  post([this, session = context_->session(), analysis, i, j, choice, colour = colourer()](Progress& progress) -> std::function<void()> {
    auto result = compute_jacobian_blocks(session, *analysis, i, j, choice, &progress);
    if (!result) {
      return [this, e = QString::fromStdString(result.error().message)] {
        shown_.reset();
        lens_view_->setCells(nullptr);
        true_view_->setCells(nullptr);
        plot_->setSeries({});
        directions_->clear();
        setMessage(e);
      };
    }
    auto b = std::make_shared<const JacobianBlocks>(std::move(result.value()));
    // One symmetric scale for both blocks, so equal colours mean equal entries.
    render::HeatmapStyle style;
    style.colormap = render::ColormapChoice::Diverging;
    render::ValueRange range = render::display_range(*b->lens_block, style).united(render::display_range(*b->true_block, style));
    style.fixed_range = range;
    auto lens_cells = colour({b->lens_block, {}}, style);
    auto true_cells = colour({b->true_block, {}}, style);
    return [this, b, lens_cells, true_cells, analysis] {
      shown_ = b;
      setMessage({});
      auto label = [&](int k) { return chip_text(analysis->labels[static_cast<std::size_t>(k)]).toHtmlEscaped(); };
      heading_->setText(tr("Pair <b>(%1, %2)</b>: output \u201c%3\u201d \u2190 input \u201c%4\u201d, %5. "
                           "||T \u2212 J||<sub>F</sub> / ||J||<sub>F</sub> = <b>%6</b> (how much of the sensitivity is "
                           "the nonlinearity TensorLens freezes). Click a cell of the heatmap to pick another pair.")
                            .arg(b->i)
                            .arg(b->j)
                            .arg(label(b->i), label(b->j), QString::fromStdString(b->lens_block->provenance.layers))
                            .arg(render::format_value(b->relative_gap)));
      lens_view_->setCells(lens_cells);
      true_view_->setCells(true_cells);
      auto values = [](const VecD& v) { return std::vector<double>(v.data(), v.data() + v.size()); };
      plot_->setSeries({{tr("TensorLens block"), QColor(0x1f, 0x77, 0xb4), values(b->lens_spectrum.singular_values)},
                        {tr("true Jacobian"), QColor(0xd6, 0x27, 0x28), values(b->true_spectrum.singular_values)}});
      directions_->setHtml(directionsHtml(*b));
    };
  });
}

}  // namespace tl::app
