#pragma once
// AnalysisViews: the tab widget in the main window's centre that hosts the main heatmap and the
// analysis views beside it. Names (for --view and tests): heatmap, layers, compare, jacobian,
// logit-lens, activations, evaluation (the perturbation test; runs only on request). Opening a layer-wise tile switches back to the heatmap.
#include <QStringList>
#include <QTabWidget>

#include "app/gui/app_context.h"

namespace tl::app {

class ActivationsView;
class AnalysisView;
class ComparisonView;
class EvaluationView;
class HeatmapView;
class JacobianView;
class LayerwiseView;
class LogitLensView;

class AnalysisViews : public QTabWidget {
  Q_OBJECT
 public:
  AnalysisViews(AppContext* context, HeatmapView* heatmap, QWidget* parent = nullptr);

  static QStringList names();
  // Switches to the named view; false when there is none by that name.
  bool setCurrentView(const QString& name);
  QString currentViewName() const;
  // The job tags of every view (to cancel them).
  QStringList jobTags() const;

  LayerwiseView* layers() const { return layers_; }
  ComparisonView* comparison() const { return comparison_; }
  JacobianView* jacobian() const { return jacobian_; }
  LogitLensView* logitLens() const { return logit_lens_; }
  ActivationsView* activations() const { return activations_; }
  EvaluationView* evaluation() const { return evaluation_; }

 signals:
  // The named view shows content for the current context ("heatmap": the context's
  // analysisFinished).
  void viewReady(const QString& name);

 private:
  void addView(AnalysisView* view, const QString& title, const QString& tip);
  LayerwiseView* layers_;
  ComparisonView* comparison_;
  JacobianView* jacobian_;
  LogitLensView* logit_lens_;
  ActivationsView* activations_;
  EvaluationView* evaluation_;
};

}  // namespace tl::app
