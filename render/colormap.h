#pragma once
// Colormaps as 256-entry lookup tables of opaque sRGB colours.
//
// - Viridis and Magma: perceptually uniform sequential maps (matplotlib's, by van der Walt and
//   Smith, CC0), evaluated from 6th-degree polynomial fits (Matt Zucker, CC0). The fits deviate
//   from the published tables by at most about 0.015 per channel (4/255), which is below what a
//   viewer can see in a heatmap cell.
// - Diverging: ColorBrewer RdBu reversed (blue for negative, red for positive), interpolated
//   linearly in sRGB between its 11 anchors. The centre (t = 0.5) is the neutral light grey
//   #f7f7f7, so a diverging scale centred at zero shows zero as no colour at all.
#include <QColor>
#include <QString>
#include <array>

namespace tl::render {

enum class ColormapKind { Viridis, Magma, Diverging };

class Colormap {
 public:
  static constexpr int kSize = 256;
  static const Colormap& get(ColormapKind kind);

  ColormapKind kind() const { return kind_; }
  QString name() const;
  bool diverging() const { return kind_ == ColormapKind::Diverging; }
  // t in [0, 1] (clamped); NaN gives the first entry. Nearest of the 256 entries.
  QRgb at(double t) const;
  // Entry i in [0, 255].
  QRgb entry(int i) const { return lut_[static_cast<std::size_t>(i)]; }
  const std::array<QRgb, kSize>& table() const { return lut_; }

 private:
  explicit Colormap(ColormapKind kind);
  ColormapKind kind_;
  std::array<QRgb, kSize> lut_{};
};

// Parses "viridis", "magma", "diverging" (case-insensitive); false when unknown.
bool parse_colormap(const QString& name, ColormapKind* out);

}  // namespace tl::render
