#include "app/gui/comparison_view.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include "app/gui/heatmap_view.h"
#include "app/gui/view_models.h"

namespace tl::app {
namespace {

QComboBox* method_box(const QString& initial, QWidget* parent) {
  auto* box = new QComboBox(parent);
  for (const MethodInfo& info : method_registry()) {
    const QString name = QString::fromLatin1(info.name.data(), static_cast<qsizetype>(info.name.size()));
    box->addItem(name);
    box->setItemData(box->count() - 1, QString::fromLatin1(info.description.data(), static_cast<qsizetype>(info.description.size())),
                     Qt::ToolTipRole);
  }
  box->setCurrentText(initial);
  return box;
}

}  // namespace

ComparisonView::ComparisonView(AppContext* context, QWidget* parent) : AnalysisView(context, QStringLiteral("compare"), parent) {
  auto* layout = new QVBoxLayout(this);
  auto* controls = new QHBoxLayout;
  method_a_ = method_box(QStringLiteral("tensorlens-in"), this);
  method_b_ = method_box(QStringLiteral("rollout"), this);
  controls->addWidget(new QLabel(tr("Compare"), this));
  controls->addWidget(method_a_);
  controls->addWidget(new QLabel(tr("with"), this));
  controls->addWidget(method_b_);
  controls->addStretch(1);
  layout->addLayout(controls);
  summary_ = new QLabel(this);
  summary_->setWordWrap(true);
  summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  layout->addWidget(summary_);
  layout->addWidget(message_);

  auto* splitter = new QSplitter(Qt::Vertical, this);
  auto* maps = new QWidget(splitter);
  auto* maps_layout = new QHBoxLayout(maps);
  maps_layout->setContentsMargins(0, 0, 0, 0);
  view_a_ = new HeatmapView(maps);
  view_b_ = new HeatmapView(maps);
  view_diff_ = new HeatmapView(maps);
  for (HeatmapView* v : {view_a_, view_b_, view_diff_}) {
    v->setMinimumSize(220, 220);
    maps_layout->addWidget(v, 1);
    // Drawn rows/columns may be words: the context's selection is in tokens.
    const std::size_t k = v == view_a_ ? 0 : v == view_b_ ? 1 : 2;
    connect(v, &HeatmapView::cellSelected, this, [this, k](int i, int j) {
      const auto& cells = cells_[k];
      if (cells && i >= 0) context_->setSelectedPair(cells->tokenRow(i), cells->tokenCol(j));
      else context_->setSelectedPair(i, j);
    });
  }
  model_ = new RowCorrelationModel(this);
  table_ = new QTableView(splitter);
  table_->setModel(model_);
  table_->verticalHeader()->hide();
  table_->verticalHeader()->setDefaultSectionSize(table_->fontMetrics().height() + 6);
  table_->horizontalHeader()->setStretchLastSection(false);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setToolTip(tr("Rank correlation of each row (output token) of the two maps over its counted cells"));
  splitter->addWidget(maps);
  splitter->addWidget(table_);
  splitter->setStretchFactor(0, 3);
  splitter->setStretchFactor(1, 2);
  splitter->setSizes({420, 280});  // the square maps rarely need more height than width allows
  layout->addWidget(splitter, 1);

  connect(method_a_, &QComboBox::currentTextChanged, this, &AnalysisView::invalidate);
  connect(method_b_, &QComboBox::currentTextChanged, this, &AnalysisView::invalidate);
  connect(context_, &AppContext::mapChoiceChanged, this, &AnalysisView::invalidate);
  connect(context_, &AppContext::styleChanged, this, &AnalysisView::invalidate);
  connect(context_, &AppContext::selectionChanged, this, &ComparisonView::syncSelection);
  connect(&context_->scales(), &SharedScales::changed, this, &ComparisonView::sharedRangesChanged);
}

void ComparisonView::syncSelection() {
  const std::array<HeatmapView*, 3> views{view_a_, view_b_, view_diff_};
  const int i = context_->selectedRow(), j = context_->selectedCol();
  for (std::size_t k = 0; k < views.size(); ++k) {
    const auto& cells = cells_[k];
    if (cells && i >= 0) views[k]->setSelection(cells->displayRow(i), cells->displayCol(j));
    else views[k]->setSelection(i, j);
  }
}

// The range map k is coloured on: its own, or its family's shared range (which includes it).
void ComparisonView::sharedRangesChanged() {
  if (!shown_) return;
  for (std::size_t k = 0; k < displayed_.size(); ++k) {
    const auto shared = context_->sharedRange(scale_family(*displayed_[k].map));
    const render::ValueRange want = shared ? own_[k].united(*shared) : own_[k];
    if (want.lo != drawn_[k].lo || want.hi != drawn_[k].hi || want.empty != drawn_[k].empty) {
      recolour();
      return;
    }
  }
}

void ComparisonView::recolour() {
  std::array<render::HeatmapStyle, 3> styles = styles_;
  for (std::size_t k = 0; k < styles.size(); ++k) {
    const auto shared = context_->sharedRange(scale_family(*displayed_[k].map));
    drawn_[k] = shared ? own_[k].united(*shared) : own_[k];
    if (shared) styles[k].fixed_range = drawn_[k];  // else each map on its own range
  }
  postRecolour([this, shown = shown_, displayed = displayed_, styles, colour = colourer()](Progress&) -> std::function<void()> {
    std::array<std::shared_ptr<const RenderedCells>, 3> cells;
    for (std::size_t k = 0; k < cells.size(); ++k) cells[k] = colour(displayed[k], styles[k]);
    return [this, shown, cells] {
      if (shown != shown_) return;  // a newer comparison is shown
      cells_ = cells;
      view_a_->setCells(cells[0]);
      view_b_->setCells(cells[1]);
      view_diff_->setCells(cells[2]);
      syncSelection();
    };
  });
}

void ComparisonView::recompute() {
  const auto analysis = context_->analysis();
  if (!analysis || !analysis->trace || !context_->hasModel()) {
    setMessage(tr("No analysis yet: type a sentence."));
    return;
  }
  const std::string a = method_a_->currentText().toStdString(), b = method_b_->currentText().toStdString();
  const render::HeatmapStyle style = context_->style();
  setMessage(tr("Computing %1 and %2\u2026").arg(method_a_->currentText(), method_b_->currentText()));
  post([this, session = context_->session(), analysis, a, b, choice = context_->mapChoice(), style,
        colour = colourer()](Progress& progress) -> std::function<void()> {
    auto result = compute_comparison(session, *analysis, a, b, choice, style.hide_special, &progress);
    if (!result) {
      return [this, e = QString::fromStdString(result.error().message)] {
        shown_.reset();
        cells_ = {};
        model_->setComparison(nullptr);
        for (HeatmapView* v : {view_a_, view_b_, view_diff_}) v->setCells(nullptr);
        summary_->clear();
        setMessage(e);
      };
    }
    auto c = std::make_shared<const Comparison>(std::move(result.value()));
    // Each map on its own range first (the shared ranges are read on the UI thread, after); the
    // difference on a diverging colormap.
    render::HeatmapStyle own = style;
    own.fixed_range.reset();
    render::HeatmapStyle diverging = own;
    diverging.colormap = render::ColormapChoice::Diverging;
    const bool causal = session->spec().causal;
    const std::array<render::HeatmapStyle, 3> styles{own, own, diverging};
    const std::array<DisplayedMap, 3> displayed{displayed_map(c->a, *analysis, own, causal), displayed_map(c->b, *analysis, own, causal),
                                                displayed_map(c->difference, *analysis, diverging, causal)};
    std::array<render::ValueRange, 3> ranges;
    std::array<std::shared_ptr<const RenderedCells>, 3> cells;
    for (std::size_t k = 0; k < cells.size(); ++k) {
      ranges[k] = displayed_range(displayed[k], styles[k]);
      cells[k] = colour(displayed[k], styles[k]);
    }
    return [this, c, displayed, styles, ranges, cells] {
      shown_ = c;
      displayed_ = displayed;
      styles_ = styles;
      own_ = drawn_ = ranges;
      cells_ = cells;
      setMessage({});
      view_a_->setCells(cells[0]);
      view_b_->setCells(cells[1]);
      view_diff_->setCells(cells[2]);
      syncSelection();
      SharedScales::Ranges mine;
      for (std::size_t k = 0; k < displayed.size(); ++k) {
        auto& r = mine[scale_family(*displayed[k].map)];
        r = r.united(ranges[k]);
      }
      context_->scales().setRanges(context_, QStringLiteral("compare"), std::move(mine));
      sharedRangesChanged();
      model_->setComparison(c);
      table_->resizeColumnsToContents();
      summary_->setText(tr("<b>%1</b> vs <b>%2</b>, %3. Over all %4 counted cells: Spearman \u03c1 = <b>%5</b>, "
                           "Kendall \u03c4-b = <b>%6</b>. Right: the difference after dividing each map by its "
                           "largest |value| (red: %1 larger, blue: %2 larger).")
                           .arg(QString::fromStdString(c->a->provenance.method), QString::fromStdString(c->b->provenance.method),
                                QString::fromStdString(c->a->provenance.layers))
                           .arg(c->cells)
                           .arg(format_correlation(c->spearman), format_correlation(c->kendall)));
    };
  });
}

}  // namespace tl::app
