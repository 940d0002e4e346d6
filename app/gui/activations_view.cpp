#include "app/gui/activations_view.h"

#include <QHBoxLayout>
#include <QVBoxLayout>
#include <algorithm>
#include <numeric>

#include "app/gui/heatmap_view.h"
#include "app/gui/item_models.h"

namespace tl::app {
namespace {
constexpr int kNeurons = 10;
}

Map hidden_norm_map(const Analysis& analysis) {
  Map m;
  const Trace& t = *analysis.trace;
  const int n = t.num_tokens(), layers = t.num_layers();
  m.values.resize(n, layers + 1);
  m.values.col(0) = t.embeddings.rowwise().norm();
  for (int l = 1; l <= layers; ++l) m.values.col(l) = t.blocks[static_cast<std::size_t>(l - 1)].output.rowwise().norm();
  m.row_labels = analysis.labels;
  m.col_labels.push_back("emb");
  for (int l = 1; l <= layers; ++l) m.col_labels.push_back(std::to_string(l));
  m.provenance.text = analysis.text;
  m.provenance.method = "hidden-state norm";
  m.provenance.layers = "embeddings, blocks 1.." + std::to_string(layers);
  return m;
}

std::vector<ActivationNeuron> top_neurons(const Trace& trace, int block, int i, int count) {
  if (block < 1 || block > trace.num_layers() || i < 0 || i >= trace.num_tokens()) return {};
  const MatD& hidden = trace.blocks[static_cast<std::size_t>(block - 1)].ffn_hidden;
  if (i >= hidden.rows()) return {};
  std::vector<int> order(static_cast<std::size_t>(hidden.cols()));
  std::iota(order.begin(), order.end(), 0);
  count = std::min<int>(count, static_cast<int>(order.size()));
  std::partial_sort(order.begin(), order.begin() + count, order.end(),
                    [&](int a, int b) { return std::abs(hidden(i, a)) > std::abs(hidden(i, b)); });
  std::vector<ActivationNeuron> out;
  for (int k = 0; k < count; ++k) out.push_back({order[static_cast<std::size_t>(k)], hidden(i, order[static_cast<std::size_t>(k)])});
  return out;
}

ActivationsView::ActivationsView(AppContext* context, QWidget* parent) : AnalysisView(context, QStringLiteral("activations"), parent) {
  auto* layout = new QVBoxLayout(this);
  heading_ = new QLabel(this);
  heading_->setWordWrap(true);
  layout->addWidget(heading_);
  layout->addWidget(message_);
  auto* row = new QHBoxLayout;
  view_ = new HeatmapView(this);
  neurons_ = new QLabel(this);
  neurons_->setAlignment(Qt::AlignTop | Qt::AlignLeft);
  neurons_->setWordWrap(true);
  neurons_->setFixedWidth(300);
  neurons_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  row->addWidget(view_, 1);
  row->addWidget(neurons_);
  layout->addLayout(row, 1);
  connect(context_, &AppContext::styleChanged, this, &AnalysisView::invalidate);
  connect(view_, &HeatmapView::cellHovered, this, [this](int i, int j) {
    if (i < 0) showNeurons(pinned_i_, pinned_j_);
    else showNeurons(i, j);
  });
  connect(view_, &HeatmapView::cellSelected, this, [this](int i, int j) {
    pinned_i_ = i;
    pinned_j_ = j;
    showNeurons(i, j);
  });
}

void ActivationsView::showNeurons(int i, int j) {
  if (!shown_ || i < 0 || j < 0 || i >= shown_->trace->num_tokens() || j > shown_->trace->num_layers()) {
    neurons_->setText(tr("<i>Hover a cell to see the most active FFN neurons of that token in that block; "
                         "click to keep it.</i>"));
    return;
  }
  const QString token = chip_text(shown_->labels[static_cast<std::size_t>(i)]).toHtmlEscaped();
  const double norm = j == 0 ? shown_->trace->embeddings.row(i).norm() : shown_->trace->blocks[std::size_t(j - 1)].output.row(i).norm();
  QString html = tr("<b>token %1 \u201c%2\u201d, %3</b><br>||h|| = %4<br><br>")
                     .arg(i)
                     .arg(token, j == 0 ? tr("embeddings") : tr("block %1").arg(j), render::format_value(norm));
  if (j == 0) {
    html += tr("<i>The embeddings have no FFN.</i>");
  } else {
    html += tr("Most active FFN neurons (|activation|):<table cellspacing=0 cellpadding=2>");
    for (const ActivationNeuron& nrn : top_neurons(*shown_->trace, j, i, kNeurons)) {
      html += QStringLiteral("<tr><td align=right>#%1</td><td align=right>&nbsp;%2</td></tr>")
                  .arg(nrn.id)
                  .arg(render::format_value(nrn.value));
    }
    html += QStringLiteral("</table>");
  }
  neurons_->setText(html);
}

void ActivationsView::recompute() {
  const auto analysis = context_->analysis();
  if (!analysis || !analysis->trace || !context_->hasModel()) {
    setMessage(tr("No analysis yet: type a sentence."));
    return;
  }
  render::HeatmapStyle style = context_->style();
  style.fixed_range.reset();
  style.row_normalise = false;  // rows are tokens here: normalising them would hide which tokens are loud
  post([this, analysis, style, colour = colourer()](Progress&) -> std::function<void()> {
    auto map = std::make_shared<const Map>(hidden_norm_map(*analysis));
    render::SpecialTokens special;
    if (style.hide_special) special.rows.assign(analysis->encoding.special.begin(), analysis->encoding.special.end());
    auto cells = colour({map, special}, style);
    return [this, analysis, cells] {
      shown_ = analysis;
      // Until the user picks a cell: the predicting token in the last block.
      pinned_i_ = analysis->prediction_row >= 0 ? analysis->prediction_row : analysis->trace->num_tokens() - 1;
      pinned_j_ = analysis->trace->num_layers();
      setMessage({});
      view_->setCells(cells);
      heading_->setText(tr("<b>Hidden-state norms</b> per token (rows) and layer (columns: the embeddings, then each "
                           "block's output before the final norm). Hover a cell for its most active FFN neurons."));
      view_->setSelection(pinned_i_, pinned_j_);
      showNeurons(pinned_i_, pinned_j_);
    };
  });
}

}  // namespace tl::app
