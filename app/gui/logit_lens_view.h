#pragma once
// The logit-lens view (docs/VIEWS.md, Logit lens): the residual stream after every block decoded through the
// final norm and the unembedding (registry method `logit-lens`), as a table of positions x stages:
// each cell names the top token at that stage and the rank and probability of the position's
// final prediction, coloured by that probability (viridis); the tooltip lists the top k.
#include "app/gui/analysis_view.h"

class QTableView;

namespace tl::app {

class LogitLensModel;

class LogitLensView : public AnalysisView {
  Q_OBJECT
 public:
  explicit LogitLensView(AppContext* context, QWidget* parent = nullptr);
  LogitLensModel* model() const { return model_; }
  QTableView* table() const { return table_; }

 protected:
  void recompute() override;

 private:
  QLabel* heading_;
  LogitLensModel* model_;
  QTableView* table_;
};

}  // namespace tl::app
