#pragma once
// The layer-wise view (docs/VIEWS.md, Layers): small multiples of the chosen method, one per block (and
// per head for per-head methods such as `attention`), all on one colour scale, each labelled;
// clicking one opens it large in the main heatmap (the context's scope, block and head).
//
// Scope: the context's "block alone" when the method has it, else "blocks 1..l" (cumulative), so
// an end-to-end choice shows how the map builds up layer by layer. Methods that only explain the
// final output (saliency, occlusion, ...) have no layer-wise maps; the view says so.
#include "app/gui/analysis_view.h"
#include "app/gui/small_multiples.h"

namespace tl::app {

// What the view computes: every tile of one method and scope, coloured on a shared scale.
struct LayerTiles {
  std::string method;
  Scope scope = Scope::Block;  // Layer or UpTo
  int columns = 0;             // per-head methods: one column per head
  std::vector<SmallMultiples::Tile> tiles;  // tile maps as drawn (words summed when grouped)
  std::vector<DisplayedMap> shown;          // per tile: the drawn map and its special/sink flags
  std::vector<MapChoice> choices;           // per tile: what opening it large shows
  std::string family;                       // scale_family of the tiles
  render::ValueRange range;                 // union of the tiles' ranges under the style
  render::ColorScale scale;
  render::ValueRange drawn;  // the range the tiles are coloured on
  bool shared = false;       // coloured with the window's shared range of the family (not only the tiles')
};

// The scope the layer-wise view uses for a method and the user's scope (EndToEnd: none).
Scope layerwise_scope(const MethodInfo& info, Scope chosen);
// Computes every tile in one call (the TensorLens engine computes a series in one pass; other
// methods run per block), each as displayed_map() shows it under `style`, and colours them with
// `colour` (empty: the CPU rasteriser) on the union of their ranges. Cancellation throws
// tl::Cancelled.
Result<LayerTiles> compute_layer_tiles(const SessionPtr& session, const Analysis& analysis, const MapChoice& choice,
                                       const render::HeatmapStyle& style, const CellColourer& colour = {},
                                       Progress* progress = nullptr);
// Colours the tiles on the union of their ranges widened to `shared` (the window's shared range of
// their family; nullopt: their own range only).
void colour_layer_tiles(LayerTiles& tiles, const render::HeatmapStyle& style, const CellColourer& colour,
                        const std::optional<render::ValueRange>& shared);

class LayerwiseView : public AnalysisView {
  Q_OBJECT
 public:
  explicit LayerwiseView(AppContext* context, QWidget* parent = nullptr);
  SmallMultiples* tiles() const { return tiles_; }
  const LayerTiles* shown() const { return shown_.get(); }
  // Opens tile k large: sets the context's scope, block and head, then emits openInHeatmap.
  void openTile(int k);

 signals:
  void openInHeatmap();

 protected:
  void recompute() override;

 private:
  void highlightCurrent();
  void showTiles(std::shared_ptr<const LayerTiles> tiles);
  // The shared ranges moved: recolour the shown tiles when their family's range did.
  void sharedRangesChanged();
  QLabel* heading_;
  SmallMultiples* tiles_;
  std::shared_ptr<const LayerTiles> shown_;
  // What the shown tiles were computed from; a click that only moves the block keeps them.
  std::shared_ptr<const Analysis> shown_analysis_;
  std::string shown_method_;
  Scope shown_scope_ = Scope::Block;
  render::HeatmapStyle shown_style_;
};

}  // namespace tl::app
