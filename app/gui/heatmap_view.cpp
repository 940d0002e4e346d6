#include "app/gui/heatmap_view.h"

#include <QFontMetricsF>
#include <QKeyEvent>
#include <QPainter>
#include <QToolTip>
#include <QWheelEvent>
#include <algorithm>
#include <cmath>

#include "render/figure.h"

namespace tl::app {
namespace {

constexpr double kCos45 = 0.70710678118654752;
constexpr double kLabelPx = 12.0;      // label size when cells are large enough
constexpr double kMinLabelPx = 7.0;    // smaller cells get every k-th label instead
constexpr double kMaxLabelWidth = 150.0;
constexpr double kMaxZoom = 64.0;

QFont pixel_font(const QFont& base, double px) {
  QFont f(base);
  f.setPixelSize(std::max(1, static_cast<int>(std::lround(px))));
  return f;
}

}  // namespace

HeatmapView::HeatmapView(QWidget* parent) : QWidget(parent) {
  setMouseTracking(true);
  setFocusPolicy(Qt::StrongFocus);
  setAttribute(Qt::WA_OpaquePaintEvent);
  setToolTip(QString());  // tooltips are shown by hand, per cell
}

void HeatmapView::setCells(std::shared_ptr<const RenderedCells> cells) {
  std::shared_ptr<const Map> map = cells ? cells->map : nullptr;
  const bool same_shape = map && map_ && map->rows() == map_->rows() && map->cols() == map_->cols();
  map_ = std::move(map);
  cells_ = std::move(cells);
  if (!same_shape) {
    zoom_ = 1.0;
    pan_ = {};
    sel_i_ = sel_j_ = hover_i_ = hover_j_ = -1;
    highlight_rows_.clear();
    highlight_cols_.clear();
  }
  measure();
  update();
}

void HeatmapView::setSelection(int i, int j) {
  if (!map_ || i < 0 || j < 0 || i >= map_->rows() || j >= map_->cols()) i = j = -1;
  if (i == sel_i_ && j == sel_j_) return;
  sel_i_ = i;
  sel_j_ = j;
  if (i >= 0) ensureVisible(i, j);
  update();
}

void HeatmapView::setHighlight(std::vector<int> rows, std::vector<int> cols) {
  if (rows == highlight_rows_ && cols == highlight_cols_) return;
  highlight_rows_ = std::move(rows);
  highlight_cols_ = std::move(cols);
  update();
}

// ---------------------------------------------------------------- geometry

void HeatmapView::measure() {
  Margins m;
  const QFontMetricsF fm(pixel_font(font(), kLabelPx));
  if (map_) {
    for (const auto& s : map_->row_labels) m.row_label_w = std::max(m.row_label_w, fm.horizontalAdvance(render::visible_label(s)));
    for (const auto& s : map_->col_labels) m.col_label_len = std::max(m.col_label_len, fm.horizontalAdvance(render::visible_label(s)));
  }
  m.row_label_w = std::min(m.row_label_w, kMaxLabelWidth);
  m.col_label_len = std::min(m.col_label_len, kMaxLabelWidth);
  m.left = std::max(m.row_label_w + 10, m.col_label_len * kCos45) + 4;
  m.bottom = (m.col_label_len + fm.height()) * kCos45 + 10;
  m.top = fm.height() * 2.4 + 6;
  double tick_w = 0;
  if (cells_) {
    for (double t : cells_->prepared.scale.ticks()) tick_w = std::max(tick_w, fm.horizontalAdvance(render::format_value(t)));
  }
  m.right = 14 + 16 + 8 + tick_w + 8;
  margins_ = m;
}

QRectF HeatmapView::plotRect() const {
  return QRectF(margins_.left, margins_.top, std::max(10.0, width() - margins_.left - margins_.right),
                std::max(10.0, height() - margins_.top - margins_.bottom));
}

double HeatmapView::baseCell() const {
  if (!map_ || map_->rows() == 0 || map_->cols() == 0) return 1.0;
  const QRectF r = plotRect();
  return std::max(0.25, std::min(r.width() / map_->cols(), r.height() / map_->rows()));
}

QPointF HeatmapView::gridOrigin() const { return plotRect().topLeft() + pan_; }

void HeatmapView::clampPan() {
  if (!map_) return;
  const QRectF r = plotRect();
  const double gw = cell() * map_->cols(), gh = cell() * map_->rows();
  pan_.setX(gw <= r.width() ? 0.0 : std::clamp(pan_.x(), r.width() - gw, 0.0));
  pan_.setY(gh <= r.height() ? 0.0 : std::clamp(pan_.y(), r.height() - gh, 0.0));
}

bool HeatmapView::cellAt(QPointF pos, int* i, int* j) const {
  if (!map_ || !plotRect().contains(pos)) return false;
  const QPointF o = gridOrigin();
  const double c = cell();
  const int jj = static_cast<int>(std::floor((pos.x() - o.x()) / c));
  const int ii = static_cast<int>(std::floor((pos.y() - o.y()) / c));
  if (ii < 0 || jj < 0 || ii >= map_->rows() || jj >= map_->cols()) return false;
  *i = ii;
  *j = jj;
  return true;
}

QRectF HeatmapView::cellRect(int i, int j) const {
  const QPointF o = gridOrigin();
  const double c = cell();
  return QRectF(o.x() + j * c, o.y() + i * c, c, c);
}

void HeatmapView::setZoom(double zoom, QPointF anchor) {
  zoom = std::clamp(zoom, 1.0, kMaxZoom);
  // Keep the grid point under the anchor where it is.
  const QPointF o = gridOrigin();
  const QPointF grid_point = (anchor - o) / cell();
  zoom_ = zoom;
  pan_ = anchor - plotRect().topLeft() - grid_point * cell();
  clampPan();
  update();
}

void HeatmapView::resetView() {
  zoom_ = 1.0;
  pan_ = {};
  update();
}

void HeatmapView::ensureVisible(int i, int j) {
  const QRectF r = plotRect();
  const QRectF c = cellRect(i, j);
  if (c.left() < r.left()) pan_.rx() += r.left() - c.left();
  if (c.right() > r.right()) pan_.rx() -= c.right() - r.right();
  if (c.top() < r.top()) pan_.ry() += r.top() - c.top();
  if (c.bottom() > r.bottom()) pan_.ry() -= c.bottom() - r.bottom();
  clampPan();
}

QString HeatmapView::tooltipText(int i, int j) const {
  if (!map_ || i < 0 || j < 0 || i >= map_->rows() || j >= map_->cols()) return {};
  auto label = [](const std::vector<std::string>& labels, int k) {
    return k < static_cast<int>(labels.size()) ? render::visible_label(labels[static_cast<std::size_t>(k)]).toHtmlEscaped()
                                              : QString();
  };
  const double v = map_->values(i, j);
  QString text = tr("<b>row %1</b> \u201c%2\u201d &larr; <b>column %3</b> \u201c%4\u201d<br>value %5")
                     .arg(i)
                     .arg(label(map_->row_labels, i))
                     .arg(j)
                     .arg(label(map_->col_labels, j))
                     .arg(render::format_value(v));
  if (cells_->style.row_normalise) text += tr(" (shown %1 of the row maximum)").arg(render::format_value(cells_->prepared.values(i, j)));
  text += tr("<br>rank %1 of %2 in row %3").arg(render::rank_in_row(map_->values, i, j)).arg(map_->cols()).arg(i);
  if (cells_->prepared.masked(i, j)) text += tr("<br><i>special token: outside the colour scale</i>");
  return text;
}

// ---------------------------------------------------------------- painting

void HeatmapView::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.fillRect(rect(), palette().base());
  p.setPen(palette().text().color());
  const QFontMetricsF fm(pixel_font(font(), kLabelPx));
  if (!map_) {
    p.setFont(pixel_font(font(), kLabelPx * 1.2));
    p.drawText(rect(), Qt::AlignCenter, tr("No map yet: type a sentence."));
    return;
  }
  // Title and the style in words.
  QFont title_font = pixel_font(font(), kLabelPx * 1.15);
  title_font.setBold(true);
  p.setFont(title_font);
  const QRectF title_rect(8, 4, width() - 16, fm.height() * 1.3);
  p.drawText(title_rect, Qt::AlignLeft | Qt::AlignVCenter,
             QFontMetricsF(title_font).elidedText(render::default_title(*map_) + QStringLiteral("  \u00b7  ") +
                                                      QString::fromStdString(map_->provenance.layers),
                                                  Qt::ElideRight, title_rect.width()));
  p.setFont(pixel_font(font(), kLabelPx * 0.95));
  QString sub = render::default_subtitle(Map{}, cells_->style);
  if (sub.isEmpty()) sub = tr("scroll to zoom, drag to pan, click a cell to select it");
  p.drawText(QRectF(8, title_rect.bottom(), width() - 16, fm.height() * 1.1), Qt::AlignLeft | Qt::AlignVCenter, sub);

  const QRectF plot = plotRect();
  p.save();
  p.setClipRect(plot);
  p.setRenderHint(QPainter::SmoothPixmapTransform, false);
  const QPointF o = gridOrigin();
  p.drawImage(QRectF(o.x(), o.y(), cell() * map_->cols(), cell() * map_->rows()), cells_->image);
  paintMarks(p);
  p.restore();
  paintLabels(p);
  paintColorbar(p);
  if (hasFocus()) {
    p.setPen(QPen(palette().highlight().color(), 1.0, Qt::DotLine));
    p.setBrush(Qt::NoBrush);
    p.drawRect(QRectF(rect()).adjusted(0.5, 0.5, -0.5, -0.5));
  }
}

void HeatmapView::paintMarks(QPainter& p) const {
  p.setBrush(Qt::NoBrush);
  if (!highlight_rows_.empty() || !highlight_cols_.empty()) {
    // Linked rows/columns: a bright outline around each band, visible on every colormap.
    const QColor link(0, 230, 118);
    p.setPen(QPen(link, 2.0));
    for (int i : highlight_rows_) {
      if (i >= 0 && i < map_->rows()) p.drawRect(cellRect(i, 0).united(cellRect(i, map_->cols() - 1)));
    }
    for (int j : highlight_cols_) {
      if (j >= 0 && j < map_->cols()) p.drawRect(cellRect(0, j).united(cellRect(map_->rows() - 1, j)));
    }
  }
  if (sel_i_ >= 0) {
    // Selected row and column as thin bands, the pair as a bold frame.
    const QRectF row = cellRect(sel_i_, 0).united(cellRect(sel_i_, map_->cols() - 1));
    const QRectF col = cellRect(0, sel_j_).united(cellRect(map_->rows() - 1, sel_j_));
    p.setPen(QPen(QColor(255, 255, 255, 160), 1.0));
    p.drawRect(row);
    p.drawRect(col);
    const QRectF c = cellRect(sel_i_, sel_j_);
    p.setPen(QPen(Qt::black, 3.0));
    p.drawRect(c);
    p.setPen(QPen(Qt::white, 1.5));
    p.drawRect(c);
  }
  if (hover_i_ >= 0 && (hover_i_ != sel_i_ || hover_j_ != sel_j_)) {
    p.setPen(QPen(Qt::white, 1.0, Qt::DashLine));
    p.drawRect(cellRect(hover_i_, hover_j_));
  }
}

void HeatmapView::paintLabels(QPainter& p) const {
  const double c = cell();
  const double px = std::clamp(c * kCos45, kMinLabelPx, kLabelPx);
  const QFont f = pixel_font(font(), px);
  const QFontMetricsF fm(f);
  p.setFont(f);
  const QRectF plot = plotRect();
  const QPointF o = gridOrigin();
  const int row_stride = std::max(1, static_cast<int>(std::ceil(px / c - 1e-6)));
  const int col_stride = std::max(1, static_cast<int>(std::ceil(px / (c * kCos45) - 1e-6)));
  const QColor normal = palette().text().color();
  const QColor selected = palette().highlight().color();

  const int i0 = std::max(0, static_cast<int>(std::floor((plot.top() - o.y()) / c)));
  const int i1 = std::min(map_->rows() - 1, static_cast<int>(std::floor((plot.bottom() - o.y()) / c)));
  for (int i = i0 - i0 % row_stride; i <= i1; i += row_stride) {
    if (i < i0 || i >= static_cast<int>(map_->row_labels.size())) continue;
    const QString text = fm.elidedText(render::visible_label(map_->row_labels[static_cast<std::size_t>(i)]),
                                       Qt::ElideRight, margins_.row_label_w);
    const double y = o.y() + (i + 0.5) * c;
    p.setPen(i == sel_i_ ? selected : normal);
    p.drawText(QRectF(plot.left() - 6 - margins_.row_label_w, y - fm.height() / 2, margins_.row_label_w, fm.height()),
               Qt::AlignRight | Qt::AlignVCenter, text);
  }
  const int j0 = std::max(0, static_cast<int>(std::floor((plot.left() - o.x()) / c)));
  const int j1 = std::min(map_->cols() - 1, static_cast<int>(std::floor((plot.right() - o.x()) / c)));
  for (int j = j0 - j0 % col_stride; j <= j1; j += col_stride) {
    if (j < j0 || j >= static_cast<int>(map_->col_labels.size())) continue;
    const QString text = fm.elidedText(render::visible_label(map_->col_labels[static_cast<std::size_t>(j)]),
                                       Qt::ElideRight, margins_.col_label_len);
    p.save();
    p.setPen(j == sel_j_ ? selected : normal);
    p.translate(o.x() + (j + 0.5) * c, plot.bottom() + 4);
    p.rotate(-45.0);
    p.drawText(QRectF(-margins_.col_label_len - fm.height() * 0.3, -fm.height() / 2, margins_.col_label_len, fm.height()),
               Qt::AlignRight | Qt::AlignVCenter, text);
    p.restore();
  }
}

void HeatmapView::paintColorbar(QPainter& p) const {
  const QRectF plot = plotRect();
  const double grid_h = std::min(plot.height(), cell() * map_->rows());
  // Beside the grid when it is narrower than the plot area, so values are read close to the cells.
  const double grid_right = std::min(plot.right(), gridOrigin().x() + cell() * map_->cols());
  const QRectF bar(grid_right + 14, plot.top(), 16, std::max(grid_h, std::min(plot.height(), 160.0)));
  const auto& cm = cells_->prepared.scale.colormap();
  QImage gradient(1, render::Colormap::kSize, QImage::Format_RGB32);
  for (int k = 0; k < render::Colormap::kSize; ++k) gradient.setPixel(0, render::Colormap::kSize - 1 - k, cm.entry(k));
  p.setRenderHint(QPainter::SmoothPixmapTransform, false);
  p.drawImage(bar, gradient);
  p.setPen(palette().text().color());
  p.setBrush(Qt::NoBrush);
  p.drawRect(bar);
  const QFont f = pixel_font(font(), kLabelPx * 0.9);
  const QFontMetricsF fm(f);
  p.setFont(f);
  const int max_ticks = std::clamp(static_cast<int>(bar.height() / (fm.height() * 1.8)), 2, 8);
  for (double v : cells_->prepared.scale.ticks(max_ticks)) {
    const double y = bar.bottom() - cells_->prepared.scale.position(v) * bar.height();
    p.drawLine(QPointF(bar.right(), y), QPointF(bar.right() + 4, y));
    p.drawText(QRectF(bar.right() + 6, y - fm.height() / 2, margins_.right, fm.height()), Qt::AlignLeft | Qt::AlignVCenter,
               render::format_value(v));
  }
  if (cells_->style.fixed_range) {
    // The range is not this map's own: say so where the values are read.
    p.drawText(QRectF(bar.left(), bar.bottom() + 3, width() - bar.left() - 2, fm.height()), Qt::AlignLeft | Qt::AlignTop,
               tr("shared"));
  }
  if (hover_i_ >= 0 && !cells_->prepared.masked(hover_i_, hover_j_)) {
    // Where the hovered value sits on the scale.
    const double y = bar.bottom() - cells_->prepared.scale.position(cells_->prepared.values(hover_i_, hover_j_)) * bar.height();
    p.setPen(QPen(palette().text().color(), 2.0));
    p.drawLine(QPointF(bar.left() - 5, y), QPointF(bar.right(), y));
  }
}

// ---------------------------------------------------------------- interaction

void HeatmapView::resizeEvent(QResizeEvent*) { clampPan(); }

void HeatmapView::wheelEvent(QWheelEvent* event) {
  if (!map_) return;
  const double steps = event->angleDelta().y() / 120.0;
  setZoom(zoom_ * std::pow(1.2, steps), event->position());
  event->accept();
}

void HeatmapView::mousePressEvent(QMouseEvent* event) {
  if (event->button() != Qt::LeftButton) return;
  pressed_ = true;
  dragging_ = false;
  press_pos_ = event->position().toPoint();
  press_pan_ = pan_;
}

void HeatmapView::mouseMoveEvent(QMouseEvent* event) {
  const QPointF pos = event->position();
  if (pressed_ && (dragging_ || (pos.toPoint() - press_pos_).manhattanLength() > 4)) {
    dragging_ = true;
    pan_ = press_pan_ + (pos - QPointF(press_pos_));
    clampPan();
    QToolTip::hideText();
    update();
    return;
  }
  int i = -1, j = -1;
  if (cellAt(pos, &i, &j)) {
    setHover(i, j);
    QToolTip::showText(event->globalPosition().toPoint(), tooltipText(i, j), this, cellRect(i, j).toAlignedRect());
  } else {
    setHover(-1, -1);
    QToolTip::hideText();
  }
}

void HeatmapView::mouseReleaseEvent(QMouseEvent* event) {
  if (event->button() != Qt::LeftButton || !pressed_) return;
  pressed_ = false;
  if (dragging_) {
    dragging_ = false;
    return;
  }
  int i = -1, j = -1;
  if (cellAt(event->position(), &i, &j)) {
    setSelection(i, j);
    emit cellSelected(i, j);
  }
}

void HeatmapView::mouseDoubleClickEvent(QMouseEvent* event) {
  if (event->button() == Qt::LeftButton && zoom_ > 1.0) resetView();
}

void HeatmapView::leaveEvent(QEvent*) { setHover(-1, -1); }

void HeatmapView::setHover(int i, int j) {
  if (i == hover_i_ && j == hover_j_) return;
  hover_i_ = i;
  hover_j_ = j;
  emit cellHovered(i, j);
  update();
}

void HeatmapView::moveSelection(int di, int dj) {
  if (!map_ || map_->rows() == 0) return;
  int i = sel_i_ < 0 ? 0 : std::clamp(sel_i_ + di, 0, map_->rows() - 1);
  int j = sel_j_ < 0 ? 0 : std::clamp(sel_j_ + dj, 0, map_->cols() - 1);
  setSelection(i, j);
  emit cellSelected(i, j);
}

void HeatmapView::keyPressEvent(QKeyEvent* event) {
  const QPointF centre = plotRect().center();
  switch (event->key()) {
    case Qt::Key_Left: moveSelection(0, -1); break;
    case Qt::Key_Right: moveSelection(0, 1); break;
    case Qt::Key_Up: moveSelection(-1, 0); break;
    case Qt::Key_Down: moveSelection(1, 0); break;
    case Qt::Key_Home: if (map_) moveSelection(0, -map_->cols()); break;
    case Qt::Key_End: if (map_) moveSelection(0, map_->cols()); break;
    case Qt::Key_Plus:
    case Qt::Key_Equal: setZoom(zoom_ * 1.25, sel_i_ >= 0 ? cellRect(sel_i_, sel_j_).center() : centre); break;
    case Qt::Key_Minus: setZoom(zoom_ / 1.25, sel_i_ >= 0 ? cellRect(sel_i_, sel_j_).center() : centre); break;
    case Qt::Key_0: resetView(); break;
    case Qt::Key_Escape:
      setSelection(-1, -1);
      emit cellSelected(-1, -1);
      break;
    default: QWidget::keyPressEvent(event); return;
  }
  event->accept();
}

}  // namespace tl::app
