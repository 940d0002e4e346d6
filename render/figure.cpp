#include "render/figure.h"

#include <QFontMetricsF>
#include <QImage>
#include <QStringList>
#include <algorithm>
#include <cmath>

namespace tl::render {
namespace {

constexpr double kCos45 = 0.70710678118654752;
constexpr double kMinLabelPx = 7.0;  // below this, labels are skipped (stride) rather than shrunk

QFont make_font(const FigureOptions& opt, double px, bool bold = false) {
  QFont f(opt.font_family);
  f.setPixelSize(std::max(1, static_cast<int>(std::lround(px))));
  f.setBold(bold);
  return f;
}

double widest(const QFontMetricsF& fm, const std::vector<std::string>& labels) {
  double w = 0.0;
  for (const auto& s : labels) w = std::max(w, fm.horizontalAdvance(visible_label(s)));
  return w;
}

struct Measured {
  FigureLayout layout;
  double row_label_w = 0.0;  // space for row labels (elision width)
  double col_label_len = 0.0;
  double gap = 0.0;
  double tick_px = 0.0;
  QRectF subtitle;
};

Measured measure(const QRectF& area, const FigureInput& in, const FigureOptions& opt,
                 const ColorScale& scale) {
  const Map& map = *in.map;
  const int rows = std::max(map.rows(), 1), cols = std::max(map.cols(), 1);
  Measured out;
  const double margin = std::max(8.0, 0.025 * std::min(area.width(), area.height()));
  const double gap = opt.font_px * 0.5;
  out.gap = gap;
  out.tick_px = opt.font_px * 0.9;

  const QFontMetricsF title_fm(make_font(opt, opt.font_px * 1.35, true));
  const QFontMetricsF sub_fm(make_font(opt, opt.font_px * 0.95));
  const double title_h = title_fm.height() * 1.25;
  const double sub_h = sub_fm.height() * 1.4;
  out.layout.title = QRectF(area.left() + margin, area.top() + margin, area.width() - 2 * margin, title_h);
  out.subtitle = QRectF(out.layout.title.left(), out.layout.title.bottom(), out.layout.title.width(), sub_h);

  const QFontMetricsF tick_fm(make_font(opt, out.tick_px));
  double tick_w = 0.0;
  for (double t : scale.ticks()) tick_w = std::max(tick_w, tick_fm.horizontalAdvance(format_value(t)));
  const double bar_w = std::max(10.0, opt.font_px * 1.2);
  const double colorbar_total = gap * 3 + bar_w + 6 + tick_w;
  const double max_label = opt.max_label_fraction * area.width();

  double label_px = opt.font_px;
  double cell = 0.0, left = 0.0, col_h = 0.0;
  for (int pass = 0; pass < 2; ++pass) {
    const QFontMetricsF fm(make_font(opt, label_px));
    out.row_label_w = std::min(widest(fm, map.row_labels), max_label);
    out.col_label_len = std::min(widest(fm, map.col_labels), max_label);
    // A 45-degree label hangs down-left from its column: it needs height and room on the left.
    col_h = (out.col_label_len + fm.height()) * kCos45 + gap;
    left = std::max(out.row_label_w + gap, out.col_label_len * kCos45);
    const double avail_w = area.width() - 2 * margin - left - colorbar_total;
    const double avail_h = area.bottom() - margin - out.subtitle.bottom() - col_h;
    cell = std::max(0.5, std::min(avail_w / cols, avail_h / rows));
    // Font size that fits a cell on both axes (column labels are cell * cos 45 apart).
    const double fitting = cell * kCos45;
    if (fitting >= label_px) break;
    label_px = std::max(fitting, kMinLabelPx);
  }
  out.layout.label_px = label_px;
  out.layout.label_stride = std::max(1, static_cast<int>(std::ceil(label_px / cell - 1e-6)));
  // Neighbouring 45-degree labels are cell * cos(45) apart, measured across the text.
  out.layout.col_label_stride = std::max(1, static_cast<int>(std::ceil(label_px / (cell * kCos45) - 1e-6)));
  out.layout.cell_w = out.layout.cell_h = cell;

  const double grid_w = cell * cols, grid_h = cell * rows;
  const double content_w = left + grid_w + colorbar_total;
  const double x0 = area.left() + margin + std::max(0.0, (area.width() - 2 * margin - content_w) / 2);
  out.layout.cells = QRectF(x0 + left, out.subtitle.bottom(), grid_w, grid_h);
  const double bar_h = std::max(grid_h, std::min(opt.font_px * 12, area.bottom() - margin - out.layout.cells.top()));
  out.layout.colorbar = QRectF(out.layout.cells.right() + gap * 2, out.layout.cells.top(), bar_w, bar_h);
  return out;
}

void draw_cells(QPainter& p, const FigureLayout& lay, const PreparedHeatmap& prep, const FigureOptions& opt) {
  const int rows = static_cast<int>(prep.values.rows()), cols = static_cast<int>(prep.values.cols());
  if (static_cast<long>(rows) * cols <= opt.max_vector_cells) {
    p.setRenderHint(QPainter::Antialiasing, false);
    for (int i = 0; i < rows; ++i) {
      for (int j = 0; j < cols; ++j) {
        const QRgb c = prep.masked(i, j) ? kMaskedColour : prep.scale.colour(prep.values(i, j));
        p.fillRect(QRectF(lay.cells.left() + j * lay.cell_w, lay.cells.top() + i * lay.cell_h, lay.cell_w,
                          lay.cell_h),
                   QColor(c));
      }
    }
  } else {
    p.setRenderHint(QPainter::SmoothPixmapTransform, false);
    p.drawImage(lay.cells, rasterize_cells(prep));
  }
}

void draw_labels(QPainter& p, const Measured& m, const Map& map, const FigureOptions& opt) {
  const FigureLayout& lay = m.layout;
  const QFont font = make_font(opt, lay.label_px);
  const QFontMetricsF fm(font);
  p.setFont(font);
  p.setPen(opt.foreground);
  p.setRenderHint(QPainter::TextAntialiasing, true);
  const int stride = lay.label_stride;
  for (int i = 0; i < map.rows(); i += stride) {
    if (i >= static_cast<int>(map.row_labels.size())) break;
    const QString text = fm.elidedText(visible_label(map.row_labels[static_cast<std::size_t>(i)]),
                                       Qt::ElideRight, m.row_label_w);
    const QRectF r(lay.cells.left() - m.gap - m.row_label_w, lay.cells.top() + i * lay.cell_h,
                   m.row_label_w, lay.cell_h);
    p.drawText(r.adjusted(0, -fm.height(), 0, fm.height()), Qt::AlignRight | Qt::AlignVCenter, text);
  }
  for (int j = 0; j < map.cols(); j += lay.col_label_stride) {
    if (j >= static_cast<int>(map.col_labels.size())) break;
    const QString text = fm.elidedText(visible_label(map.col_labels[static_cast<std::size_t>(j)]),
                                       Qt::ElideRight, m.col_label_len);
    p.save();
    p.translate(lay.cells.left() + (j + 0.5) * lay.cell_w, lay.cells.bottom() + m.gap * 0.5);
    p.rotate(-45.0);
    p.drawText(QRectF(-m.col_label_len - fm.height() * 0.3, -fm.height() / 2, m.col_label_len, fm.height()),
               Qt::AlignRight | Qt::AlignVCenter, text);
    p.restore();
  }
}

void draw_colorbar(QPainter& p, const Measured& m, const ColorScale& scale, const FigureOptions& opt) {
  const QRectF bar = m.layout.colorbar;
  QImage gradient(1, Colormap::kSize, QImage::Format_RGB32);
  for (int i = 0; i < Colormap::kSize; ++i) gradient.setPixel(0, Colormap::kSize - 1 - i, scale.colormap().entry(i));
  p.setRenderHint(QPainter::SmoothPixmapTransform, false);
  p.drawImage(bar, gradient);
  p.setPen(QPen(opt.foreground, 1.0));
  p.setBrush(Qt::NoBrush);
  p.drawRect(bar);

  const QFont font = make_font(opt, m.tick_px);
  const QFontMetricsF fm(font);
  p.setFont(font);
  const int max_ticks = std::clamp(static_cast<int>(bar.height() / (fm.height() * 1.6)), 2, 8);
  for (double v : scale.ticks(max_ticks)) {
    const double y = bar.bottom() - scale.position(v) * bar.height();
    p.drawLine(QPointF(bar.right(), y), QPointF(bar.right() + 5, y));
    p.drawText(QRectF(bar.right() + 7, y - fm.height(), 1000, 2 * fm.height()), Qt::AlignLeft | Qt::AlignVCenter,
               format_value(v));
  }
}

}  // namespace

QString visible_label(const std::string& utf8) {
  QString s = QString::fromUtf8(utf8.data(), static_cast<qsizetype>(utf8.size()));
  s.replace(QLatin1Char('\n'), QStringLiteral("\u21b5"));
  s.replace(QLatin1Char('\t'), QStringLiteral("\u21e5"));
  s.replace(QLatin1Char('\r'), QStringLiteral("\\r"));
  return s;
}

QString default_title(const Map& map) {
  return map.provenance.method.empty() ? QStringLiteral("Map") : QString::fromStdString(map.provenance.method);
}

QString default_subtitle(const Map& map, const HeatmapStyle& style) {
  QStringList parts;
  if (!map.provenance.model.empty()) parts << QString::fromStdString(map.provenance.model);
  if (!map.provenance.layers.empty()) parts << QString::fromStdString(map.provenance.layers);
  if (style.row_normalise) parts << QStringLiteral("rows normalised");
  if (style.log_scale) parts << QStringLiteral("log scale");
  if (style.fixed_range) parts << QStringLiteral("shared scale");
  if (style.group_words) parts << QStringLiteral("words summed");
  if (style.hide_special) parts << QStringLiteral("grey: special tokens and sink, outside the scale");
  return parts.join(QStringLiteral("  \u00b7  "));
}

FigureLayout layout_figure(const QRectF& area, const FigureInput& in, const FigureOptions& opt) {
  const PreparedHeatmap prep = prepare_heatmap(*in.map, in.style, in.special);
  return measure(area, in, opt, prep.scale).layout;
}

FigureLayout paint_figure(QPainter& p, const QRectF& area, const FigureInput& in, const FigureOptions& opt) {
  Q_ASSERT_X(in.map != nullptr, "paint_figure", "FigureInput::map is required");
  const PreparedHeatmap prep = prepare_heatmap(*in.map, in.style, in.special);
  const Measured m = measure(area, in, opt, prep.scale);
  p.save();
  p.fillRect(area, opt.background);

  p.setPen(opt.foreground);
  p.setFont(make_font(opt, opt.font_px * 1.35, true));
  const QString title = in.title.isEmpty() ? default_title(*in.map) : in.title;
  p.drawText(m.layout.title, Qt::AlignLeft | Qt::AlignVCenter,
             QFontMetricsF(p.font()).elidedText(title, Qt::ElideRight, m.layout.title.width()));
  p.setFont(make_font(opt, opt.font_px * 0.95));
  const QString subtitle = in.subtitle.isEmpty() ? default_subtitle(*in.map, in.style) : in.subtitle;
  p.drawText(m.subtitle, Qt::AlignLeft | Qt::AlignTop,
             QFontMetricsF(p.font()).elidedText(subtitle, Qt::ElideRight, m.subtitle.width()));

  if (in.map->rows() > 0 && in.map->cols() > 0) {
    draw_cells(p, m.layout, prep, opt);
    p.setPen(QPen(opt.foreground, 1.0));
    p.setBrush(Qt::NoBrush);
    p.drawRect(m.layout.cells);
    draw_labels(p, m, *in.map, opt);
  }
  draw_colorbar(p, m, prep.scale, opt);
  p.restore();
  return m.layout;
}

}  // namespace tl::render
