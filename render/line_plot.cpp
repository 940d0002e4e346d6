#include "render/line_plot.h"

#include <QBuffer>
#include <QFontMetricsF>
#include <QPainterPath>
#include <algorithm>
#include <cmath>
#include <map>

#include "core/io/file_util.h"

namespace tl::render {

namespace {

QFont font_of(const LinePlot& plot, double scale, bool bold = false) {
  QFont f(plot.font_family);
  f.setPixelSize(std::max(1, int(std::lround(plot.font_px * scale))));
  f.setBold(bold);
  return f;
}

// Tick positions at 1, 2 or 5 times a power of ten, about `target` of them over [lo, hi].
std::vector<double> nice_ticks(double lo, double hi, int target = 5) {
  std::vector<double> ticks;
  if (!(hi > lo)) return {lo};
  const double raw = (hi - lo) / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * mag;
    if (step >= raw) break;
  }
  for (double t = std::ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
  return ticks;
}

QString tick_text(double v, double step) {
  const int digits = step >= 1 ? 0 : std::min(6, int(std::ceil(-std::log10(step) - 1e-9)));
  return QString::number(v, 'f', digits);
}

struct Range {
  double lo, hi;
};

Range fit(double lo, double hi, const std::vector<LineSeries>& series, bool is_x) {
  if (hi > lo) return {lo, hi};
  double a = INFINITY, b = -INFINITY;
  for (const LineSeries& s : series)
    for (double v : is_x ? s.x : s.y)
      if (std::isfinite(v)) a = std::min(a, v), b = std::max(b, v);
  if (!std::isfinite(a)) return {0, 1};
  if (b == a) return {a - 0.5, b + 0.5};
  const double pad = is_x ? 0.0 : 0.05 * (b - a);
  return {a - pad, b + pad};
}

void paint_panel(QPainter& p, const QRectF& area, const LinePanel& panel, const LinePlot& plot,
                 const std::map<QString, QColor>& colors) {
  const QFont title_font = font_of(plot, 1.05, true), tick_font = font_of(plot, 0.85), label_font = font_of(plot, 0.95);
  const QFontMetricsF tfm(title_font), kfm(tick_font), lfm(label_font);
  const Range xr = fit(panel.x_min, panel.x_max, panel.series, true);
  const Range yr = fit(panel.y_min, panel.y_max, panel.series, false);
  const std::vector<double> yt = nice_ticks(yr.lo, yr.hi);
  std::vector<double> xt;
  if (!panel.x_tick_labels.empty()) {
    for (size_t k = 0; k < panel.x_tick_labels.size(); ++k) xt.push_back(double(k));
  } else {
    xt = nice_ticks(xr.lo, xr.hi, 6);
  }
  const double ystep = yt.size() > 1 ? yt[1] - yt[0] : 1, xstep = xt.size() > 1 ? xt[1] - xt[0] : 1;
  double ytw = 0;
  for (double v : yt) ytw = std::max(ytw, kfm.horizontalAdvance(tick_text(v, ystep)));
  const double left = area.left() + lfm.height() + 6 + ytw + 6;
  const double top = area.top() + tfm.height() + 6;
  const double bottom = area.bottom() - (kfm.height() + 4 + lfm.height() + 6);
  const double right = area.right() - 10;
  const QRectF box(QPointF(left, top), QPointF(right, bottom));
  if (box.width() < 10 || box.height() < 10) return;
  auto X = [&](double v) { return box.left() + (v - xr.lo) / (xr.hi - xr.lo) * box.width(); };
  auto Y = [&](double v) { return box.bottom() - (v - yr.lo) / (yr.hi - yr.lo) * box.height(); };

  p.setFont(title_font);
  p.setPen(Qt::black);
  p.drawText(QRectF(area.left(), area.top(), area.width(), tfm.height()), Qt::AlignHCenter | Qt::AlignTop, panel.title);
  // Grid and ticks.
  p.setFont(tick_font);
  for (double v : yt) {
    if (v < yr.lo - 1e-12 || v > yr.hi + 1e-12) continue;
    p.setPen(QPen(QColor(225, 225, 225), 1));
    p.drawLine(QPointF(box.left(), Y(v)), QPointF(box.right(), Y(v)));
    p.setPen(Qt::black);
    p.drawText(QRectF(box.left() - ytw - 6, Y(v) - kfm.height() / 2, ytw, kfm.height()), Qt::AlignRight | Qt::AlignVCenter,
               tick_text(v, ystep));
  }
  for (size_t k = 0; k < xt.size(); ++k) {
    const double v = xt[k];
    if (v < xr.lo - 1e-12 || v > xr.hi + 1e-12) continue;
    p.setPen(QPen(QColor(235, 235, 235), 1));
    p.drawLine(QPointF(X(v), box.top()), QPointF(X(v), box.bottom()));
    p.setPen(Qt::black);
    const QString text = panel.x_tick_labels.empty() ? tick_text(v, xstep) : panel.x_tick_labels[k];
    const double w = kfm.horizontalAdvance(text) + 4;
    p.drawText(QRectF(X(v) - w / 2, box.bottom() + 3, w, kfm.height()), Qt::AlignHCenter | Qt::AlignTop, text);
  }
  p.setPen(QPen(Qt::black, 1));
  p.setBrush(Qt::NoBrush);
  p.drawRect(box);
  // Axis labels.
  p.setFont(label_font);
  p.drawText(QRectF(box.left(), area.bottom() - lfm.height() - 2, box.width(), lfm.height()), Qt::AlignHCenter, panel.x_label);
  p.save();
  p.translate(area.left() + 2, box.center().y());
  p.rotate(-90);
  p.drawText(QRectF(-box.height() / 2, 0, box.height(), lfm.height()), Qt::AlignHCenter | Qt::AlignTop, panel.y_label);
  p.restore();
  // Series, clipped to the box.
  p.save();
  p.setClipRect(box.adjusted(-3, -3, 3, 3));
  p.setRenderHint(QPainter::Antialiasing, true);
  for (const LineSeries& s : panel.series) {
    const auto it = colors.find(s.name);
    const QColor c = s.color.isValid() ? s.color : (it != colors.end() ? it->second : QColor(Qt::black));
    QPen pen(c, 2.0);
    if (s.dashed) pen.setStyle(Qt::DashLine);
    p.setPen(pen);
    QPainterPath path;
    const size_t n = std::min(s.x.size(), s.y.size());
    for (size_t k = 0; k < n; ++k) {
      const QPointF pt(X(s.x[k]), Y(s.y[k]));
      if (k == 0) path.moveTo(pt); else path.lineTo(pt);
    }
    p.drawPath(path);
    if (s.markers) {
      p.setPen(Qt::NoPen);
      p.setBrush(c);
      for (size_t k = 0; k < n; ++k) p.drawEllipse(QPointF(X(s.x[k]), Y(s.y[k])), 2.6, 2.6);
      p.setBrush(Qt::NoBrush);
    }
  }
  p.restore();
}

}  // namespace

QColor palette_color(int index) {
  static const QRgb kTableau20[] = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b, 0xe377c2,
                                    0x7f7f7f, 0xbcbd22, 0x17becf, 0xaec7e8, 0xffbb78, 0x98df8a, 0xff9896,
                                    0xc5b0d5, 0xc49c94, 0xf7b6d2, 0xc7c7c7, 0xdbdb8d, 0x9edae5};
  return QColor(kTableau20[std::abs(index) % 20]);
}

void paint_line_plot(QPainter& p, const QRectF& area, const LinePlot& plot) {
  p.fillRect(area, Qt::white);
  // Legend entries: every series name once, in order of first appearance.
  std::vector<std::pair<QString, bool>> legend;
  std::map<QString, QColor> colors;
  for (const LinePanel& panel : plot.panels) {
    for (const LineSeries& s : panel.series) {
      if (colors.count(s.name)) continue;
      colors[s.name] = s.color.isValid() ? s.color : palette_color(int(legend.size()));
      legend.emplace_back(s.name, s.dashed);
    }
  }
  const QFont title_font = font_of(plot, 1.35, true), sub_font = font_of(plot, 0.95), legend_font = font_of(plot, 0.9);
  const QFontMetricsF tfm(title_font), sfm(sub_font), gfm(legend_font);
  double y = area.top() + 8;
  p.setPen(Qt::black);
  if (!plot.title.isEmpty()) {
    p.setFont(title_font);
    p.drawText(QRectF(area.left(), y, area.width(), tfm.height()), Qt::AlignHCenter, plot.title);
    y += tfm.height() + 2;
  }
  if (!plot.subtitle.isEmpty()) {
    p.setFont(sub_font);
    const QRectF r(area.left() + 10, y, area.width() - 20, sfm.height() * 3);
    const QRectF used = p.boundingRect(r, Qt::AlignHCenter | Qt::TextWordWrap, plot.subtitle);
    p.drawText(r, Qt::AlignHCenter | Qt::TextWordWrap, plot.subtitle);
    y += used.height() + 4;
  }
  double legend_w = 0;
  for (const auto& [name, dashed] : legend) legend_w = std::max(legend_w, gfm.horizontalAdvance(name));
  legend_w = legend.empty() ? 0 : legend_w + 44;
  // Legend on the right, one entry per line.
  p.setFont(legend_font);
  double ly = y + 10;
  for (const auto& [name, dashed] : legend) {
    const double lx = area.right() - legend_w;
    QPen pen(colors[name], 2.5);
    if (dashed) pen.setStyle(Qt::DashLine);
    p.setPen(pen);
    p.drawLine(QPointF(lx, ly + gfm.height() / 2), QPointF(lx + 26, ly + gfm.height() / 2));
    p.setPen(Qt::black);
    p.drawText(QRectF(lx + 32, ly, legend_w - 32, gfm.height()), Qt::AlignLeft | Qt::AlignVCenter, name);
    ly += gfm.height() + 3;
  }
  const int cols = std::max(1, plot.columns);
  const int rows = (int(plot.panels.size()) + cols - 1) / cols;
  const QRectF grid(QPointF(area.left() + 6, y + 4), QPointF(area.right() - legend_w - 12, area.bottom() - 6));
  for (size_t k = 0; k < plot.panels.size(); ++k) {
    const int r = int(k) / cols, c = int(k) % cols;
    const double w = grid.width() / cols, h = grid.height() / std::max(rows, 1);
    paint_panel(p, QRectF(grid.left() + c * w + 4, grid.top() + r * h + 4, w - 8, h - 8), plot.panels[k], plot, colors);
  }
}

QImage render_line_plot(const LinePlot& plot, QSize size) {
  QImage image(size, QImage::Format_ARGB32);
  image.fill(Qt::white);
  QPainter p(&image);
  p.setRenderHint(QPainter::TextAntialiasing, true);
  paint_line_plot(p, QRectF(QPointF(0, 0), QSizeF(size)), plot);
  p.end();
  return image;
}

Status save_line_plot_png(const std::filesystem::path& path, const LinePlot& plot, QSize size) {
  const QImage image = render_line_plot(plot, size);
  QByteArray bytes;
  QBuffer buffer(&bytes);
  buffer.open(QIODevice::WriteOnly);
  if (!image.save(&buffer, "PNG")) return make_error(path.string() + ": PNG encoding failed");
  return write_file_atomic(path, std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(bytes.constData()),
                                                                 size_t(bytes.size())));
}

}  // namespace tl::render
