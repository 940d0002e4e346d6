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
    connect(v, &HeatmapView::cellSelected, context_, &AppContext::setSelectedPair);
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
}

void ComparisonView::syncSelection() {
  for (HeatmapView* v : {view_a_, view_b_, view_diff_}) v->setSelection(context_->selectedRow(), context_->selectedCol());
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
        model_->setComparison(nullptr);
        for (HeatmapView* v : {view_a_, view_b_, view_diff_}) v->setCells(nullptr);
        summary_->clear();
        setMessage(e);
      };
    }
    auto c = std::make_shared<const Comparison>(std::move(result.value()));
    // Each map on its own scale (the style without a shared range); the difference diverging and linear.
    render::HeatmapStyle own = style;
    own.fixed_range.reset();
    render::HeatmapStyle diverging;
    diverging.colormap = render::ColormapChoice::Diverging;
    diverging.hide_special = style.hide_special;
    auto ca = colour(c->a, own, special_tokens(analysis->encoding, analysis->labels, *c->a));
    auto cb = colour(c->b, own, special_tokens(analysis->encoding, analysis->labels, *c->b));
    auto cd = colour(c->difference, diverging, c->special);
    return [this, c, ca, cb, cd] {
      shown_ = c;
      setMessage({});
      view_a_->setCells(ca);
      view_b_->setCells(cb);
      view_diff_->setCells(cd);
      syncSelection();
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
