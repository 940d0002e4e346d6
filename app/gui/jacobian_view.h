#pragma once
// The Jacobian view (docs/VIEWS.md, docs/TENSORLENS.md §3): for the selected pair (output token i,
// input token j), the D x D TensorLens block T[i, :, j, :] and the true Jacobian block
// dh_i / dx_j side by side on one diverging scale, the singular values of both, and their top
// singular directions decoded through the unembedding (which output tokens each block pushes
// toward). The gap between the two blocks is how much of the model's sensitivity is the
// nonlinearity itself (softmax, norm scales, activations), which TensorLens freezes.
//
// The pair is the context's selection (click a cell of the heatmap); without one, the prediction
// row and its previous token. Scope and block follow the main map's choice.
#include "app/gui/analysis_view.h"
#include "core/lens/block_spectrum.h"

class QTextBrowser;

namespace tl::app {

class HeatmapView;
class SingularValuePlot;

struct JacobianBlocks {
  int i = 0, j = 0;
  Scope scope = Scope::EndToEnd;
  int block = 0;
  std::shared_ptr<const Map> lens_block, true_block;  // D x D, rows output features d
  lens::BlockSpectrum lens_spectrum, true_spectrum;
  double relative_gap = 0;  // ||T - J||_F / ||J||_F
};

// The pair the view shows for a selection (-1: none) and a sentence of n tokens.
std::pair<int, int> jacobian_pair(int selected_i, int selected_j, int prediction_row, int n);
Result<JacobianBlocks> compute_jacobian_blocks(const SessionPtr& session, const Analysis& analysis, int i, int j,
                                               const MapChoice& choice, Progress* progress = nullptr);

class JacobianView : public AnalysisView {
  Q_OBJECT
 public:
  explicit JacobianView(AppContext* context, QWidget* parent = nullptr);
  HeatmapView* lensBlock() const { return lens_view_; }
  HeatmapView* trueBlock() const { return true_view_; }
  SingularValuePlot* plot() const { return plot_; }
  QTextBrowser* directions() const { return directions_; }
  std::shared_ptr<const JacobianBlocks> blocks() const { return shown_; }

 protected:
  void recompute() override;

 private:
  QString directionsHtml(const JacobianBlocks& b) const;
  QLabel* heading_;
  HeatmapView* lens_view_;
  HeatmapView* true_view_;
  SingularValuePlot* plot_;
  QTextBrowser* directions_;
  std::shared_ptr<const JacobianBlocks> shown_;
};

}  // namespace tl::app
