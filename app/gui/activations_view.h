#pragma once
// The activations view (docs/VIEWS.md, Activations): a token x layer heatmap of hidden-state norms (the
// residual stream after the embeddings and after every block, before the final norm, so all
// columns share one scale), and the most active FFN neurons of the hovered (or selected) cell:
// ids and values of the FFN hidden layer (the input of the down projection, act(z) or act(z) * up
// for gated FFNs) of that token in that block.
#include "app/gui/analysis_view.h"

namespace tl::app {

class HeatmapView;

struct ActivationNeuron {
  int id = 0;
  double value = 0;
};

// Rows: tokens; columns: "emb", "1", ..., "L". Values: ||h||_2.
Map hidden_norm_map(const Analysis& analysis);
// The `count` FFN neurons of block `block` (1-based) at token i with the largest |activation|.
std::vector<ActivationNeuron> top_neurons(const Trace& trace, int block, int i, int count);

class ActivationsView : public AnalysisView {
  Q_OBJECT
 public:
  explicit ActivationsView(AppContext* context, QWidget* parent = nullptr);
  HeatmapView* heatmap() const { return view_; }
  QLabel* neurons() const { return neurons_; }
  // Shows the top neurons of cell (token i, column j) in the side panel.
  void showNeurons(int i, int j);

 protected:
  void recompute() override;

 private:
  QLabel* heading_;
  HeatmapView* view_;
  QLabel* neurons_;
  std::shared_ptr<const Analysis> shown_;
  int pinned_i_ = -1, pinned_j_ = -1;  // clicked cell, shown when the pointer leaves
};

}  // namespace tl::app
