#pragma once
// The comparison view (docs/VIEWS.md, Compare): two methods side by side on the current sentence (default
// tensorlens-in vs rollout), their difference after per-map normalisation (diverging, centred at
// zero), and rank correlations per row (table) and overall (heading). Scope and block follow the
// main map's choice when both methods have it (comparison.h). A cell clicked in any of the three
// maps selects that pair everywhere. The maps follow the readability options as the main heatmap
// does (displayed_map: words summed, special tokens and sink off the scale, rows normalised, log);
// with the shared scale on, each map uses its family's shared range (the difference its own family).
#include <array>

#include "app/gui/analysis_view.h"
#include "app/gui/comparison.h"

class QComboBox;
class QTableView;

namespace tl::app {

class HeatmapView;
class RowCorrelationModel;

class ComparisonView : public AnalysisView {
  Q_OBJECT
 public:
  explicit ComparisonView(AppContext* context, QWidget* parent = nullptr);
  QComboBox* methodA() const { return method_a_; }
  QComboBox* methodB() const { return method_b_; }
  HeatmapView* mapA() const { return view_a_; }
  HeatmapView* mapB() const { return view_b_; }
  HeatmapView* difference() const { return view_diff_; }
  RowCorrelationModel* correlations() const { return model_; }
  QLabel* summary() const { return summary_; }
  std::shared_ptr<const Comparison> comparison() const { return shown_; }

 protected:
  void recompute() override;

 private:
  void syncSelection();
  // Colours the three maps on their own ranges, or the shared ones when the option is on.
  void recolour();
  void sharedRangesChanged();
  QComboBox* method_a_;
  QComboBox* method_b_;
  QLabel* summary_;
  HeatmapView* view_a_;
  HeatmapView* view_b_;
  HeatmapView* view_diff_;
  RowCorrelationModel* model_;
  QTableView* table_;
  std::shared_ptr<const Comparison> shown_;
  // A, B and the difference as drawn, the style each is drawn under (without a range), their own
  // ranges and the ranges they are coloured on.
  std::array<DisplayedMap, 3> displayed_;
  std::array<render::HeatmapStyle, 3> styles_;
  std::array<render::ValueRange, 3> own_, drawn_;
  std::array<std::shared_ptr<const RenderedCells>, 3> cells_;
};

}  // namespace tl::app
