#pragma once
// Line plots drawn with QPainter: one or more panels (axes with ticks, a title, labelled axes),
// each with named series, and one legend shared by the panels (a series is identified by its
// name across panels, so a method keeps its colour everywhere). Used for the evaluation curves
// (perturbation test, token identifiability) by tensorlens-cli and the app; the same painter
// draws on images, SVG and PDF devices.
//
// Text needs a QGuiApplication (fonts); the CLI creates one with the "offscreen" platform.
#include <QColor>
#include <QImage>
#include <QPainter>
#include <QRectF>
#include <QSize>
#include <QString>
#include <filesystem>
#include <vector>

#include "core/util/result.h"

namespace tl::render {

struct LineSeries {
  QString name;
  std::vector<double> x, y;  // equal sizes
  QColor color;              // invalid: the palette colour of the series' index in the legend
  bool dashed = false;
  bool markers = true;       // a dot at every point
};

struct LinePanel {
  QString title;
  QString x_label, y_label;
  std::vector<LineSeries> series;
  // Axis ranges; equal bounds (the default) mean "fit the data" (with a small margin).
  double x_min = 0, x_max = 0, y_min = 0, y_max = 0;
  std::vector<QString> x_tick_labels;  // non-empty: categorical ticks at x = 0, 1, 2, ... with these labels
};

struct LinePlot {
  QString title;
  QString subtitle;
  std::vector<LinePanel> panels;
  int columns = 2;  // panels per row
  double font_px = 14.0;
  QString font_family = QStringLiteral("DejaVu Sans");
};

// A categorical palette of 20 distinguishable colours (Tableau 20 order: strong colours first).
QColor palette_color(int index);

// Paints the whole plot into `area` (white background).
void paint_line_plot(QPainter& painter, const QRectF& area, const LinePlot& plot);
QImage render_line_plot(const LinePlot& plot, QSize size);
// PNG, written atomically.
Status save_line_plot_png(const std::filesystem::path& path, const LinePlot& plot, QSize size);

}  // namespace tl::render
