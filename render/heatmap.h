#pragma once
// From a Map to coloured cells: the readability options users ask for (row normalisation, log
// scale, special/sink tokens left out of the colour scale, a range shared across views), the colour
// scale that maps values to colours (and back, for colorbar ticks), and a CPU rasteriser that turns
// the cells into a QImage with one pixel per cell. The figure painter and the app's heatmap widget
// both draw from these, so every picture of a Map uses the same colours.
#include <QImage>
#include <QString>
#include <optional>
#include <vector>

#include "core/lens/map.h"
#include "render/colormap.h"

namespace tl::render {

struct ValueRange {
  double lo = 0.0;
  double hi = 0.0;
  bool empty = true;  // no finite value seen

  void include(double v);
  ValueRange united(const ValueRange& other) const;
};

enum class ColormapChoice { Auto, Viridis, Magma, Diverging };  // Auto: Diverging when the Map is signed

struct HeatmapStyle {
  ColormapChoice colormap = ColormapChoice::Auto;
  // Divide each row by its largest |value| (over the cells that count for the scale), so every row
  // uses the whole colour range. Rows that are all zero stay zero.
  bool row_normalise = false;
  // Sequential maps: log10 over [max(lo, hi * kLogFloor), hi]. Diverging maps: symmetric log
  // (linear within |v| < max|v| * kLogFloor).
  bool log_scale = false;
  // Rows and columns of special tokens (BOS, CLS, SEP, attention sinks) count nowhere: they are
  // left out of the colour range and of row normalisation, and drawn in kMaskedColour.
  bool hide_special = false;
  // A range shared across views (for example the union over all layers); empty = this Map's range.
  std::optional<ValueRange> fixed_range;
  // Words made of several tokens drawn as one row/column (values summed). Applied before drawing
  // by whoever knows the tokens (render/word_groups.h: group_words); prepare_heatmap ignores it.
  bool group_words = false;

  static constexpr double kLogFloor = 1e-4;
};

// Which rows / columns of a Map are special tokens. Shorter vectors mean "not special".
struct SpecialTokens {
  std::vector<bool> rows;
  std::vector<bool> cols;
  bool row(int i) const { return i >= 0 && i < static_cast<int>(rows.size()) && rows[static_cast<std::size_t>(i)]; }
  bool col(int j) const { return j >= 0 && j < static_cast<int>(cols.size()) && cols[static_cast<std::size_t>(j)]; }
};

// Neutral mid grey: no colormap here uses it, so masked cells cannot be mistaken for values.
constexpr QRgb kMaskedColour = 0xff808080u;

// Maps values to [0, 1] along the colormap. Diverging scales are symmetric around zero.
class ColorScale {
 public:
  ColorScale() = default;
  ColorScale(ColormapKind kind, ValueRange range, bool log_scale);

  const Colormap& colormap() const { return Colormap::get(kind_); }
  bool diverging() const { return kind_ == ColormapKind::Diverging; }
  bool log_scale() const { return log_; }
  double symlog_threshold() const { return symlog_c_; }  // diverging log: linear below this
  // The range the colours span (after symmetrisation and the log floor).
  double lo() const { return lo_; }
  double hi() const { return hi_; }

  double position(double v) const;         // [0, 1]; NaN -> 0
  double value_at(double position) const;  // inverse of position() inside the range
  QRgb colour(double v) const { return colormap().at(position(v)); }
  // Values worth a tick on a colorbar: "nice" steps for linear scales, powers of ten for log.
  std::vector<double> ticks(int max_ticks = 6) const;

 private:
  double forward(double v) const;  // linear or log coordinate
  ColormapKind kind_ = ColormapKind::Viridis;
  double lo_ = 0.0, hi_ = 1.0;
  bool log_ = false;
  double symlog_c_ = 1.0;  // diverging log: linear threshold
};

// The cells as they will be drawn.
struct PreparedHeatmap {
  Eigen::MatrixXd values;  // after row normalisation
  std::vector<bool> masked_rows, masked_cols;  // drawn in kMaskedColour
  ColorScale scale;
  ValueRange data_range;   // of the unmasked displayed values
  bool masked(int i, int j) const {
    return masked_rows[static_cast<std::size_t>(i)] || masked_cols[static_cast<std::size_t>(j)];
  }
};

ColormapKind resolve_colormap(ColormapChoice choice, bool map_is_signed);
PreparedHeatmap prepare_heatmap(const Map& map, const HeatmapStyle& style, const SpecialTokens& special = {});
// Range of a Map's cells as the style would display them (for computing a shared range).
ValueRange display_range(const Map& map, const HeatmapStyle& style, const SpecialTokens& special = {});

// One pixel per cell (Format_RGB32): pixel (x = j, y = i) is cell (i, j).
QImage rasterize_cells(const PreparedHeatmap& prepared);

// 1-based rank of cell (i, j) in its row, largest value first (ties share the best rank).
int rank_in_row(const Eigen::MatrixXd& values, int i, int j);

// Compact number for labels and tooltips: 3 significant digits, exponent form when very small/large.
QString format_value(double v);

}  // namespace tl::render
