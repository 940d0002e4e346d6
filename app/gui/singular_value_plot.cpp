#include "app/gui/singular_value_plot.h"

#include <QFontMetricsF>
#include <QPainter>
#include <QPainterPath>
#include <algorithm>
#include <cmath>

namespace tl::app {
namespace {
constexpr double kFloor = 1e-6;  // relative to the largest value: zeros would be -inf on a log axis
}

SingularValuePlot::SingularValuePlot(QWidget* parent) : QWidget(parent) {}

void SingularValuePlot::setSeries(std::vector<Series> series) {
  series_ = std::move(series);
  double peak = 0;
  for (const Series& s : series_)
    for (double v : s.values) peak = std::max(peak, v);
  if (peak <= 0) {
    lo_ = -1;
    hi_ = 0;
  } else {
    double smallest = peak;
    for (const Series& s : series_)
      for (double v : s.values) smallest = std::min(smallest, std::max(v, peak * kFloor));
    hi_ = std::ceil(std::log10(peak));
    lo_ = std::min(hi_ - 1, std::floor(std::log10(smallest)));
  }
  update();
}

void SingularValuePlot::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.setRenderHint(QPainter::Antialiasing, true);
  p.fillRect(rect(), palette().base());
  const QColor ink = palette().text().color();
  QFont f = font();
  f.setPixelSize(11);
  p.setFont(f);
  const QFontMetricsF fm(f);
  const QRectF plot(fm.horizontalAdvance(QStringLiteral("1e-10")) + 14, fm.height() + 10,
                    std::max(40.0, width() - fm.horizontalAdvance(QStringLiteral("1e-10")) - 28),
                    std::max(40.0, height() - 2.5 * fm.height() - 22));
  p.setPen(ink);
  p.drawText(QRectF(plot.left(), 2, plot.width(), fm.height() + 4), Qt::AlignLeft | Qt::AlignVCenter,
             tr("singular values (log scale)"));
  int count = 0;
  for (const Series& s : series_) count = std::max<int>(count, static_cast<int>(s.values.size()));
  if (count == 0) {
    p.drawText(plot, Qt::AlignCenter, tr("no block yet"));
    return;
  }
  auto x_of = [&](int k) { return plot.left() + (count == 1 ? 0.5 : double(k) / (count - 1)) * plot.width(); };
  auto y_of = [&](double log_v) { return plot.bottom() - (log_v - lo_) / (hi_ - lo_) * plot.height(); };
  double peak = 0;
  for (const Series& s : series_)
    for (double v : s.values) peak = std::max(peak, v);

  // Axes, decade ticks with light grid lines, index ticks.
  p.setPen(QPen(palette().mid().color(), 1));
  p.drawRect(plot);
  const int step = std::max(1, static_cast<int>(std::ceil((hi_ - lo_) / 6)));
  for (int e = static_cast<int>(lo_); e <= static_cast<int>(hi_); e += step) {
    const double y = y_of(e);
    p.setPen(QPen(palette().midlight().color(), 1, Qt::DotLine));
    p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y));
    p.setPen(ink);
    p.drawText(QRectF(0, y - fm.height() / 2, plot.left() - 6, fm.height()), Qt::AlignRight | Qt::AlignVCenter,
               QStringLiteral("1e%1").arg(e));
  }
  const int index_step = std::max(1, count / 8);
  for (int k = 0; k < count; k += index_step) {
    p.drawText(QRectF(x_of(k) - 20, plot.bottom() + 2, 40, fm.height()), Qt::AlignCenter, QString::number(k + 1));
  }
  p.drawText(QRectF(plot.left(), plot.bottom() + fm.height() + 2, plot.width(), fm.height() + 4), Qt::AlignCenter,
             tr("index"));

  // Series, then the legend in the top right corner.
  double legend_y = plot.top() + 6;
  for (const Series& s : series_) {
    QPainterPath path;
    for (int k = 0; k < static_cast<int>(s.values.size()); ++k) {
      const QPointF pt(x_of(k), y_of(std::log10(std::max(s.values[static_cast<std::size_t>(k)], peak * kFloor))));
      if (k == 0) path.moveTo(pt);
      else path.lineTo(pt);
    }
    p.setPen(QPen(s.colour, 2));
    p.setBrush(Qt::NoBrush);
    p.drawPath(path);
    p.setBrush(s.colour);
    for (int k = 0; k < static_cast<int>(s.values.size()); ++k) {
      p.drawEllipse(QPointF(x_of(k), y_of(std::log10(std::max(s.values[static_cast<std::size_t>(k)], peak * kFloor)))), 2.2, 2.2);
    }
    const double text_w = fm.horizontalAdvance(s.name);
    const QRectF swatch(plot.right() - text_w - 30, legend_y + fm.height() / 2 - 1.5, 18, 3);
    p.fillRect(swatch, s.colour);
    p.setPen(ink);
    p.drawText(QRectF(swatch.right() + 6, legend_y, text_w + 4, fm.height()), Qt::AlignLeft | Qt::AlignVCenter, s.name);
    legend_y += fm.height() + 4;
  }
}

}  // namespace tl::app
