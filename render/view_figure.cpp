#include "render/view_figure.h"

#include <QFontMetricsF>
#include <algorithm>
#include <cmath>

namespace tl::render {
namespace {

constexpr double kMinCellTextPx = 6.0;  // below this, cell texts are left out (unreadable)

QFont font_of(const FigureOptions& opt, double px, bool bold = false) {
  QFont f(opt.font_family);
  f.setPixelSize(std::max(1, static_cast<int>(std::lround(px))));
  f.setBold(bold);
  return f;
}

// The grid with the largest square panels for `n` cells in `area` (or `columns` fixed).
std::pair<int, int> grid_for(int n, const QSizeF& area, int columns) {
  if (columns > 0) return {columns, (n + columns - 1) / columns};
  int best_c = 1;
  double best_side = 0;
  for (int c = 1; c <= n; ++c) {
    const int r = (n + c - 1) / c;
    const double side = std::min(area.width() / c, area.height() / r);
    if (side > best_side + 1e-9) {
      best_side = side;
      best_c = c;
    }
  }
  return {best_c, (n + best_c - 1) / best_c};
}

// Dark text on light cells and light text on dark ones (ITU-R BT.601 luma).
QColor text_colour_on(QRgb cell) {
  const double luma = 0.299 * qRed(cell) + 0.587 * qGreen(cell) + 0.114 * qBlue(cell);
  return luma > 140 ? Qt::black : Qt::white;
}

void draw_cell_text(QPainter& p, const FigureLayout& lay, const HeatmapPanel& panel, const FigureOptions& opt) {
  const Map& map = *panel.map;
  if (panel.cell_text.size() != static_cast<std::size_t>(map.rows()) * static_cast<std::size_t>(map.cols())) return;
  const double px = std::min({opt.font_px, lay.cell_h * 0.45, lay.cell_w * 0.3});
  if (px < kMinCellTextPx) return;
  const PreparedHeatmap prep = prepare_heatmap(map, panel.style, panel.special);
  const QFont font = font_of(opt, px);
  const QFontMetricsF fm(font);
  p.save();
  p.setFont(font);
  for (int i = 0; i < map.rows(); ++i) {
    for (int j = 0; j < map.cols(); ++j) {
      const QString& text = panel.cell_text[static_cast<std::size_t>(i) * static_cast<std::size_t>(map.cols()) +
                                            static_cast<std::size_t>(j)];
      if (text.isEmpty()) continue;
      const QRectF cell(lay.cells.left() + j * lay.cell_w, lay.cells.top() + i * lay.cell_h, lay.cell_w, lay.cell_h);
      const QRgb colour = prep.masked(i, j) ? kMaskedColour : prep.scale.colour(prep.values(i, j));
      p.setPen(text_colour_on(colour));
      p.drawText(cell, Qt::AlignCenter, fm.elidedText(text, Qt::ElideRight, cell.width() * 0.94));
    }
  }
  p.restore();
}

}  // namespace

FigureInput HeatmapPanel::input() const {
  FigureInput in;
  in.map = map.get();
  in.style = style;
  in.special = special;
  in.title = title;
  in.subtitle = subtitle;
  return in;
}

void paint_view_figure(QPainter& p, const QRectF& area, const ViewFigure& figure, const FigureOptions& opt) {
  if (figure.cells() == 1 && !figure.panels.empty() && figure.title.isEmpty() && figure.subtitle.isEmpty()) {
    const HeatmapPanel& panel = figure.panels.front();
    const FigureLayout lay = paint_figure(p, area, panel.input(), opt);
    draw_cell_text(p, lay, panel, opt);
    return;
  }
  p.save();
  p.fillRect(area, opt.background);
  const double margin = std::max(8.0, 0.02 * std::min(area.width(), area.height()));
  double top = area.top() + margin;
  p.setPen(opt.foreground);
  if (!figure.title.isEmpty()) {
    p.setFont(font_of(opt, opt.font_px * 1.5, true));
    const QFontMetricsF fm(p.font());
    const QRectF r(area.left() + margin, top, area.width() - 2 * margin, fm.height() * 1.3);
    p.drawText(r, Qt::AlignLeft | Qt::AlignVCenter, fm.elidedText(figure.title, Qt::ElideRight, r.width()));
    top = r.bottom();
  }
  if (!figure.subtitle.isEmpty()) {
    p.setFont(font_of(opt, opt.font_px));
    const QFontMetricsF fm(p.font());
    const QRectF r(area.left() + margin, top, area.width() - 2 * margin, fm.height() * 1.4);
    p.drawText(r, Qt::AlignLeft | Qt::AlignTop, fm.elidedText(figure.subtitle, Qt::ElideRight, r.width()));
    top = r.bottom();
  }
  // The line plot, when there is one, takes a full-width row under the heatmaps (its legend needs
  // the width); the heatmaps share the rest.
  const double plot_h = figure.plot ? (figure.panels.empty() ? area.bottom() - top : 0.4 * (area.bottom() - top)) : 0.0;
  const QRectF grid(area.left(), top, area.width(), area.bottom() - top - plot_h);
  const int n = static_cast<int>(figure.panels.size());
  const auto [columns, rows] = grid_for(std::max(n, 1), grid.size(), figure.columns);
  const QSizeF cell(grid.width() / columns, grid.height() / rows);
  // Smaller panels get smaller text, down to 55% of the figure's (labels thin out below that).
  FigureOptions panel_opt = opt;
  panel_opt.font_px = opt.font_px * std::clamp(1.6 * std::min(cell.width(), cell.height()) /
                                                   std::max(1.0, std::min(area.width(), area.height())),
                                               0.55, 1.0);
  for (int k = 0; k < n; ++k) {
    const QRectF r(grid.left() + (k % columns) * cell.width(), grid.top() + (k / columns) * cell.height(), cell.width(),
                   cell.height());
    const HeatmapPanel& panel = figure.panels[static_cast<std::size_t>(k)];
    const FigureLayout lay = paint_figure(p, r, panel.input(), panel_opt);
    draw_cell_text(p, lay, panel, panel_opt);
  }
  if (figure.plot) {
    LinePlot plot;
    plot.panels = {*figure.plot};
    plot.columns = 1;
    plot.font_px = opt.font_px;
    plot.font_family = opt.font_family;
    const QRectF r(area.left() + margin, grid.bottom(), area.width() - 2 * margin, plot_h - margin);
    paint_line_plot(p, r, plot);
  }
  p.restore();
}

}  // namespace tl::render
