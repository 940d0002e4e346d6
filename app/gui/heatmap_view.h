#pragma once
// HeatmapView: an interactive heatmap of a Map. Cells arrive coloured (RenderedCells: one pixel
// per cell, from render/'s Vulkan path or its CPU rasteriser, scaled here without smoothing), so
// the view shows the same colours as every export.
// Token labels on both axes (45-degree column labels, elided), a colorbar with values, zoom (wheel,
// +/-, 0 resets) and pan (drag), a hover tooltip (i, j, both tokens, value, rank in row), click to
// select a pair and arrow keys to move the selection.
//
// Limits: labels are drawn only where a cell is tall enough for text (every k-th otherwise);
// zooming in on a 512-token map brings them all back.
#include <QImage>
#include <QWidget>
#include <memory>

#include "app/gui/displayed_map.h"

namespace tl::app {

class HeatmapView : public QWidget {
  Q_OBJECT
 public:
  explicit HeatmapView(QWidget* parent = nullptr);

  // Keeps zoom and pan when the new Map has the same shape (switching blocks), else resets them.
  void setCells(std::shared_ptr<const RenderedCells> cells);
  std::shared_ptr<const Map> map() const { return map_; }
  const render::PreparedHeatmap& prepared() const { return cells_->prepared; }
  // What the view draws (map as shown, style, special tokens), for export; null while none.
  std::shared_ptr<const RenderedCells> cells() const { return cells_; }

  void setSelection(int i, int j);  // (-1, -1) clears
  // Rows and columns marked as linked to something outside the view (two-model mode: the tokens
  // of the other model's hovered text span); empty vectors clear.
  void setHighlight(std::vector<int> rows, std::vector<int> cols);
  const std::vector<int>& highlightedRows() const { return highlight_rows_; }
  const std::vector<int>& highlightedCols() const { return highlight_cols_; }
  int selectedRow() const { return sel_i_; }
  int selectedCol() const { return sel_j_; }

  double zoom() const { return zoom_; }
  void setZoom(double zoom, QPointF anchor);  // anchor: widget point that stays put
  void resetView();

  // Geometry, exposed for tests: the cell (row, column) under a widget point, and a cell's rect.
  bool cellAt(QPointF pos, int* i, int* j) const;
  QRectF cellRect(int i, int j) const;
  QString tooltipText(int i, int j) const;

  QSize sizeHint() const override { return {720, 620}; }
  QSize minimumSizeHint() const override { return {240, 200}; }

 signals:
  void cellSelected(int i, int j);
  void cellHovered(int i, int j);  // (-1, -1) when the pointer leaves the cells

 protected:
  void paintEvent(QPaintEvent* event) override;
  void resizeEvent(QResizeEvent* event) override;
  void wheelEvent(QWheelEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void mouseReleaseEvent(QMouseEvent* event) override;
  void mouseDoubleClickEvent(QMouseEvent* event) override;
  void keyPressEvent(QKeyEvent* event) override;
  void leaveEvent(QEvent* event) override;

 private:
  struct Margins {
    double left = 0, top = 0, right = 0, bottom = 0;
    double row_label_w = 0, col_label_len = 0;
  };
  void measure();
  QRectF plotRect() const;
  double baseCell() const;
  double cell() const { return baseCell() * zoom_; }
  QPointF gridOrigin() const;
  void clampPan();
  void ensureVisible(int i, int j);
  void moveSelection(int di, int dj);
  void setHover(int i, int j);
  void paintLabels(QPainter& p) const;
  void paintColorbar(QPainter& p) const;
  void paintMarks(QPainter& p) const;

  std::shared_ptr<const Map> map_;
  std::shared_ptr<const RenderedCells> cells_;
  Margins margins_;
  double zoom_ = 1.0;
  QPointF pan_;  // offset of the grid from its fitted position, in pixels
  int sel_i_ = -1, sel_j_ = -1;
  int hover_i_ = -1, hover_j_ = -1;
  std::vector<int> highlight_rows_, highlight_cols_;
  QPoint press_pos_;
  QPointF press_pan_;
  bool pressed_ = false, dragging_ = false;
};

}  // namespace tl::app
