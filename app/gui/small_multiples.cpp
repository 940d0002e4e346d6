#include "app/gui/small_multiples.h"

#include <QFontMetricsF>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>
#include <algorithm>
#include <cmath>

#include "render/figure.h"

namespace tl::app {
namespace {

constexpr double kLabelPx = 12.0;
constexpr double kGap = 10.0;       // between tiles
constexpr double kBarWidth = 16.0;  // colorbar
constexpr double kBarMargin = 90.0; // colorbar, its ticks and title

QFont pixel_font(const QFont& base, double px, bool bold = false) {
  QFont f(base);
  f.setPixelSize(std::max(1, static_cast<int>(std::lround(px))));
  f.setBold(bold);
  return f;
}

}  // namespace

SmallMultiples::SmallMultiples(QWidget* parent) : QWidget(parent) {
  setMouseTracking(true);
  setAttribute(Qt::WA_OpaquePaintEvent);
  setMinimumSize(320, 240);
}

void SmallMultiples::setTiles(std::vector<Tile> tiles, render::ColorScale scale, int columns, QString colorbar_title,
                              QString colorbar_note) {
  tiles_ = std::move(tiles);
  scale_ = scale;
  fixed_columns_ = columns;
  colorbar_title_ = std::move(colorbar_title);
  colorbar_note_ = std::move(colorbar_note);
  hovered_ = -1;
  if (highlighted_ >= count()) highlighted_ = -1;
  update();
}

void SmallMultiples::clear() {
  tiles_.clear();
  highlighted_ = hovered_ = -1;
  update();
}

void SmallMultiples::setHighlighted(int k) {
  highlighted_ = (k >= 0 && k < count()) ? k : -1;
  update();
}

SmallMultiples::Layout SmallMultiples::layout() const {
  Layout l;
  l.label_h = QFontMetricsF(pixel_font(font(), kLabelPx)).height() + 4;
  l.grid = QRectF(kGap, kGap, std::max(10.0, width() - 2 * kGap - kBarMargin), std::max(10.0, height() - 2 * kGap));
  const int n = std::max(1, count());
  auto side_for = [&](int columns) {
    const int rows = (n + columns - 1) / columns;
    const double w = (l.grid.width() - (columns - 1) * kGap) / columns;
    const double h = (l.grid.height() - rows * l.label_h - (rows - 1) * kGap) / rows;
    return std::min(w, h);
  };
  if (fixed_columns_ > 0) {
    l.columns = std::min(fixed_columns_, n);
  } else {
    // The column count that gives the largest square tiles.
    double best = -1;
    for (int c = 1; c <= n; ++c) {
      const double s = side_for(c);
      if (s > best + 1e-9) {
        best = s;
        l.columns = c;
      }
    }
  }
  l.rows = (n + l.columns - 1) / l.columns;
  l.side = std::max(kMinTile, side_for(l.columns));
  return l;
}

QRectF SmallMultiples::tileRect(int k) const {
  if (k < 0 || k >= count()) return {};
  const Layout l = layout();
  const int r = k / l.columns, c = k % l.columns;
  const double x = l.grid.left() + c * (l.side + kGap);
  const double y = l.grid.top() + r * (l.side + l.label_h + kGap) + l.label_h;
  // Non-square maps keep their aspect inside the square.
  const Map& m = *tiles_[static_cast<std::size_t>(k)].map;
  const double cell = l.side / std::max(1, std::max(m.rows(), m.cols()));
  return QRectF(x, y, cell * m.cols(), cell * m.rows());
}

int SmallMultiples::tileAt(QPointF pos) const {
  for (int k = 0; k < count(); ++k) {
    if (tileRect(k).contains(pos)) return k;
  }
  return -1;
}

QString SmallMultiples::tooltipText(int k, QPointF pos) const {
  if (k < 0 || k >= count()) return {};
  const Tile& t = tiles_[static_cast<std::size_t>(k)];
  const QRectF r = tileRect(k);
  const int j = std::clamp(static_cast<int>((pos.x() - r.left()) / r.width() * t.map->cols()), 0, t.map->cols() - 1);
  const int i = std::clamp(static_cast<int>((pos.y() - r.top()) / r.height() * t.map->rows()), 0, t.map->rows() - 1);
  auto label = [](const std::vector<std::string>& labels, int x) {
    return x < static_cast<int>(labels.size()) ? render::visible_label(labels[static_cast<std::size_t>(x)]).toHtmlEscaped()
                                              : QString::number(x);
  };
  return tr("<b>%1</b><br>row %2 \u201c%3\u201d &larr; column %4 \u201c%5\u201d<br>value %6<br><i>click to open it large</i>")
      .arg(t.label.toHtmlEscaped())
      .arg(i)
      .arg(label(t.map->row_labels, i))
      .arg(j)
      .arg(label(t.map->col_labels, j))
      .arg(render::format_value(t.map->values(i, j)));
}

void SmallMultiples::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.fillRect(rect(), palette().base());
  p.setPen(palette().text().color());
  if (tiles_.empty()) return;
  const Layout l = layout();
  const QFont label_font = pixel_font(font(), kLabelPx);
  const QFontMetricsF fm(label_font);
  p.setRenderHint(QPainter::SmoothPixmapTransform, false);
  for (int k = 0; k < count(); ++k) {
    const Tile& t = tiles_[static_cast<std::size_t>(k)];
    const QRectF r = tileRect(k);
    p.setFont(pixel_font(font(), kLabelPx, k == highlighted_));
    const QRectF label_rect(r.left(), r.top() - l.label_h, l.side, l.label_h - 2);
    const QString text = fm.horizontalAdvance(t.label) > l.side && !t.short_label.isEmpty() ? t.short_label : t.label;
    p.drawText(label_rect, Qt::AlignLeft | Qt::AlignBottom, fm.elidedText(text, Qt::ElideRight, l.side));
    p.drawImage(r, t.image);
    if (k == highlighted_ || k == hovered_) {
      p.setBrush(Qt::NoBrush);
      p.setPen(QPen(k == highlighted_ ? palette().highlight().color() : palette().mid().color(), k == highlighted_ ? 3.0 : 1.5));
      p.drawRect(r.adjusted(-2, -2, 2, 2));
      p.setPen(palette().text().color());
    }
  }
  paintColorbar(p, l.grid);
}

void SmallMultiples::paintColorbar(QPainter& p, const QRectF& grid) const {
  const double top = grid.top() + QFontMetricsF(pixel_font(font(), kLabelPx)).height() + 6;
  const QRectF bar(width() - kBarMargin + 8, top, kBarWidth, std::min(grid.height() - (top - grid.top()), 320.0));
  p.setFont(pixel_font(font(), kLabelPx));
  p.drawText(QRectF(bar.left() - 8, grid.top(), kBarMargin - 4, top - grid.top()), Qt::AlignLeft | Qt::AlignVCenter,
             colorbar_title_);
  QImage gradient(1, render::Colormap::kSize, QImage::Format_RGB32);
  for (int y = 0; y < render::Colormap::kSize; ++y) {
    gradient.setPixel(0, y, scale_.colormap().entry(render::Colormap::kSize - 1 - y));
  }
  p.setRenderHint(QPainter::SmoothPixmapTransform, true);
  p.drawImage(bar, gradient);
  p.setBrush(Qt::NoBrush);
  p.drawRect(bar);
  for (double t : scale_.ticks()) {
    const double y = bar.bottom() - scale_.position(t) * bar.height();
    p.drawLine(QPointF(bar.right(), y), QPointF(bar.right() + 4, y));
    p.drawText(QRectF(bar.right() + 6, y - 8, kBarMargin - kBarWidth - 14, 16), Qt::AlignLeft | Qt::AlignVCenter,
               render::format_value(t));
  }
  if (!colorbar_note_.isEmpty())
    p.drawText(QRectF(bar.left() - 8, bar.bottom() + 3, kBarMargin - 4, 18), Qt::AlignLeft | Qt::AlignTop, colorbar_note_);
}

void SmallMultiples::mouseMoveEvent(QMouseEvent* event) {
  const int k = tileAt(event->position());
  if (k != hovered_) {
    hovered_ = k;
    update();
  }
  if (k >= 0) {
    QToolTip::showText(event->globalPosition().toPoint(), tooltipText(k, event->position()), this);
  } else {
    QToolTip::hideText();
  }
}

void SmallMultiples::mousePressEvent(QMouseEvent* event) {
  if (event->button() != Qt::LeftButton) return;
  const int k = tileAt(event->position());
  if (k >= 0) emit tileActivated(k);
}

void SmallMultiples::leaveEvent(QEvent*) {
  hovered_ = -1;
  update();
}

}  // namespace tl::app
