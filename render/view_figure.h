#pragma once
// An app view as one figure, rebuilt from render/ primitives rather than grabbed from widgets, so
// its PNG, SVG and PDF exports look like the CLI's figures and stay vector with labels as text.
// A ViewFigure is a heading and a grid of panels: heatmap panels (each drawn by paint_figure with
// its own title, token labels and colorbar; optionally a short text in every cell, such as the
// logit lens's top tokens) and at most one line-plot panel under them (the Jacobian view's singular
// values).
//
// Limits: panels share the page evenly; with many panels (per-head small multiples) labels shrink
// and thin out as in any small figure, the provenance JSON still lists every token.
#include <QString>
#include <memory>
#include <optional>
#include <vector>

#include "render/figure.h"
#include "render/line_plot.h"

namespace tl::render {

struct HeatmapPanel {
  std::shared_ptr<const Map> map;  // required
  HeatmapStyle style;
  SpecialTokens special;
  QString title;     // empty: the Map's method
  QString subtitle;  // empty: model, layers and the style options in words
  // Row-major text drawn inside each cell when the cells are large enough (empty: none).
  std::vector<QString> cell_text;

  FigureInput input() const;
};

struct ViewFigure {
  QString title;     // heading over the panels (empty: none)
  QString subtitle;
  std::vector<HeatmapPanel> panels;
  std::optional<LinePanel> plot;  // a full-width row under the heatmaps
  int columns = 0;                // 0: as square a grid as the page allows

  int cells() const { return static_cast<int>(panels.size()) + (plot ? 1 : 0); }
};

// A single heatmap panel without heading or plot is painted exactly like paint_figure.
void paint_view_figure(QPainter& painter, const QRectF& area, const ViewFigure& figure, const FigureOptions& opt = {});

}  // namespace tl::render
