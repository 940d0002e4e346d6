#pragma once
// The full heatmap figure drawn with QPainter: title and subtitle, the cells, token labels on both
// axes (column labels rotated 45 degrees, long labels elided, every k-th label when cells are too
// small to carry text), and a colorbar with values. The same function paints PNG images, SVG and
// PDF pages (labels stay text there) and previews, so every export looks like the others.
#include <QColor>
#include <QFont>
#include <QPainter>
#include <QRectF>
#include <QString>

#include "core/lens/map.h"
#include "render/heatmap.h"

namespace tl::render {

struct FigureInput {
  const Map* map = nullptr;  // required
  HeatmapStyle style;
  SpecialTokens special;
  QString title;     // empty: the Map's method
  QString subtitle;  // empty: model, layers and the style options in words
};

struct FigureOptions {
  double font_px = 13.0;       // base label size in device pixels (titles are larger)
  QString font_family = QStringLiteral("DejaVu Sans");
  QColor background = Qt::white;
  QColor foreground = Qt::black;
  double max_label_fraction = 0.22;  // a label may take at most this fraction of the figure width
  // Cells are drawn as rectangles (crisp in vector output) up to this many cells, as an image above.
  int max_vector_cells = 128 * 128;
};

// Where things went; exposed for tests and for hit-testing a drawn figure.
struct FigureLayout {
  QRectF title;
  QRectF cells;
  QRectF colorbar;
  double cell_w = 0.0, cell_h = 0.0;
  double label_px = 0.0;      // font size used for token labels
  int label_stride = 1;       // every k-th row label drawn
  int col_label_stride = 1;   // every k-th column label (45-degree labels need more room)
};

QString default_title(const Map& map);
QString default_subtitle(const Map& map, const HeatmapStyle& style);
// Token label as drawn: control characters made visible ("\n" -> "↵").
QString visible_label(const std::string& utf8);

FigureLayout layout_figure(const QRectF& area, const FigureInput& in, const FigureOptions& opt);
FigureLayout paint_figure(QPainter& painter, const QRectF& area, const FigureInput& in,
                          const FigureOptions& opt = {});

}  // namespace tl::render
