#include "app/gui/analysis_views.h"

#include "app/gui/activations_view.h"
#include "app/gui/comparison_view.h"
#include "app/gui/evaluation_view.h"
#include "app/gui/heatmap_view.h"
#include "app/gui/jacobian_view.h"
#include "app/gui/layerwise_view.h"
#include "app/gui/logit_lens_view.h"

namespace tl::app {

AnalysisViews::AnalysisViews(AppContext* context, HeatmapView* heatmap, QWidget* parent) : QTabWidget(parent) {
  setObjectName(QStringLiteral("AnalysisViews"));
  setDocumentMode(true);
  addTab(heatmap, tr("&Heatmap"));
  setTabToolTip(0, tr("The chosen method, scope and block as one large interactive heatmap"));
  layers_ = new LayerwiseView(context, this);
  comparison_ = new ComparisonView(context, this);
  jacobian_ = new JacobianView(context, this);
  logit_lens_ = new LogitLensView(context, this);
  activations_ = new ActivationsView(context, this);
  addView(layers_, tr("&Layers"), tr("Every block (and head) of the chosen method as small multiples on one colour scale"));
  addView(comparison_, tr("&Compare"), tr("Two methods side by side, their difference and rank correlations"));
  addView(jacobian_, tr("&Jacobian"), tr("The D x D TensorLens block and the true Jacobian block of the selected pair"));
  addView(logit_lens_, tr("Logit l&ens"), tr("Every block's output decoded to tokens"));
  addView(activations_, tr("&Activations"), tr("Hidden-state norms per token and layer, the most active FFN neurons on hover"));
  evaluation_ = new EvaluationView(context, this);
  const int eval_index = addTab(evaluation_, tr("E&valuation"));
  setTabToolTip(eval_index, tr("The perturbation test: which method's relevance explains the predictions best"));
  connect(evaluation_, &EvaluationView::finished, this, [this] { emit viewReady(QStringLiteral("evaluation")); });
  connect(layers_, &LayerwiseView::openInHeatmap, this, [this] { setCurrentIndex(0); });
  connect(context, &AppContext::analysisFinished, this, [this] { emit viewReady(QStringLiteral("heatmap")); });
}

void AnalysisViews::addView(AnalysisView* view, const QString& title, const QString& tip) {
  const int index = addTab(view, title);
  setTabToolTip(index, tip);
  connect(view, &AnalysisView::ready, this, [this, view] { emit viewReady(view->name()); });
}

QStringList AnalysisViews::names() {
  return {QStringLiteral("heatmap"), QStringLiteral("layers"), QStringLiteral("compare"), QStringLiteral("jacobian"),
          QStringLiteral("logit-lens"), QStringLiteral("activations"), QStringLiteral("evaluation")};
}

bool AnalysisViews::setCurrentView(const QString& name) {
  const int index = static_cast<int>(names().indexOf(name));
  if (index < 0) return false;
  setCurrentIndex(index);
  return true;
}

QString AnalysisViews::currentViewName() const { return names().value(currentIndex()); }

QStringList AnalysisViews::jobTags() const {
  QStringList tags;
  for (const AnalysisView* v : {static_cast<AnalysisView*>(layers_), static_cast<AnalysisView*>(comparison_),
                                static_cast<AnalysisView*>(jacobian_), static_cast<AnalysisView*>(logit_lens_),
                                static_cast<AnalysisView*>(activations_)}) {
    tags << v->jobTag();
  }
  return tags << QStringLiteral("fidelity") << EvaluationView::jobTag();
}

}  // namespace tl::app
