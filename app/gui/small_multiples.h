#pragma once
// SmallMultiples: a grid of small heatmaps (one per layer, or per layer and head) that share one
// colour scale, each with its label, and one colorbar for all. Hovering a tile shows the cell
// under the pointer (tokens and value); clicking a tile emits tileActivated.
//
// Limits: tiles carry no token labels (they are too small); the tooltip names the cell instead.
// Tiles shrink to fit the widget (down to kMinTile pixels), so very deep models get small tiles.
#include <QImage>
#include <QWidget>
#include <memory>
#include <vector>

#include "core/lens/map.h"
#include "render/heatmap.h"

namespace tl::app {

class SmallMultiples : public QWidget {
  Q_OBJECT
 public:
  struct Tile {
    std::shared_ptr<const Map> map;
    QImage image;  // one pixel per cell, coloured under the shared scale
    QString label;
    QString short_label;  // drawn instead when `label` does not fit (empty: `label` elided)
  };
  static constexpr double kMinTile = 24.0;

  explicit SmallMultiples(QWidget* parent = nullptr);

  // `columns` > 0 fixes the number of columns (one per head); 0 picks the layout with the largest
  // tiles. `colorbar_note` is written under the colorbar (empty: nothing), e.g. "shared".
  void setTiles(std::vector<Tile> tiles, render::ColorScale scale, int columns, QString colorbar_title,
                QString colorbar_note = {});
  void clear();
  int count() const { return static_cast<int>(tiles_.size()); }
  const Tile& tile(int k) const { return tiles_[static_cast<std::size_t>(k)]; }
  void setHighlighted(int k);  // a frame around one tile (-1: none)
  int highlighted() const { return highlighted_; }

  // Geometry, exposed for tests: where tile k's cells are drawn, and the tile under a point.
  QRectF tileRect(int k) const;
  int tileAt(QPointF pos) const;
  QString tooltipText(int k, QPointF pos) const;

  QSize sizeHint() const override { return {900, 640}; }

 signals:
  void tileActivated(int k);

 protected:
  void paintEvent(QPaintEvent* event) override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void leaveEvent(QEvent* event) override;

 private:
  struct Layout {
    int columns = 1, rows = 1;
    double side = 0;  // tile cell area (square)
    double label_h = 0;
    QRectF grid;      // where the tiles go
  };
  Layout layout() const;
  void paintColorbar(QPainter& p, const QRectF& grid) const;

  std::vector<Tile> tiles_;
  render::ColorScale scale_;
  int fixed_columns_ = 0;
  QString colorbar_title_;
  QString colorbar_note_;
  int highlighted_ = -1;
  int hovered_ = -1;
};

}  // namespace tl::app
