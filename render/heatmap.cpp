#include "render/heatmap.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tl::render {

void ValueRange::include(double v) {
  if (!std::isfinite(v)) return;
  if (empty) {
    lo = hi = v;
    empty = false;
  } else {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
}

ValueRange ValueRange::united(const ValueRange& other) const {
  if (empty) return other;
  if (other.empty) return *this;
  return {std::min(lo, other.lo), std::max(hi, other.hi), false};
}

// ---------------------------------------------------------------- ColorScale

ColorScale::ColorScale(ColormapKind kind, ValueRange range, bool log_scale) : kind_(kind), log_(log_scale) {
  double lo = range.empty ? 0.0 : range.lo;
  double hi = range.empty ? 1.0 : range.hi;
  if (kind == ColormapKind::Diverging) {
    double m = std::max(std::abs(lo), std::abs(hi));
    if (m == 0.0) m = 1.0;
    lo = -m;
    hi = m;
    symlog_c_ = m * HeatmapStyle::kLogFloor;
  } else {
    if (log_ && hi > 0.0) {
      lo = std::max(lo, hi * HeatmapStyle::kLogFloor);
    } else {
      log_ = false;  // nothing positive to take the log of
    }
    if (hi <= lo) {  // constant map: centre the single value in a unit-wide range
      const double half = lo == 0.0 ? 0.5 : std::abs(lo) * 0.5;
      lo -= half;
      hi += half;
      if (log_ && lo <= 0.0) log_ = false;
    }
  }
  lo_ = lo;
  hi_ = hi;
}

double ColorScale::forward(double v) const {
  if (!log_) return v;
  if (diverging()) return std::copysign(std::log10(1.0 + std::abs(v) / symlog_c_), v);
  return std::log10(std::max(v, lo_));
}

double ColorScale::position(double v) const {
  if (std::isnan(v)) return 0.0;
  const double a = forward(lo_), b = forward(hi_);
  const double t = (forward(std::clamp(v, lo_, hi_)) - a) / (b - a);
  return std::clamp(t, 0.0, 1.0);
}

double ColorScale::value_at(double position) const {
  const double a = forward(lo_), b = forward(hi_);
  const double f = a + std::clamp(position, 0.0, 1.0) * (b - a);
  if (!log_) return f;
  if (diverging()) return std::copysign((std::pow(10.0, std::abs(f)) - 1.0) * symlog_c_, f);
  return std::pow(10.0, f);
}

namespace {

double nice_step(double raw) {
  const double e = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / e;
  const double nice = f <= 1.0 ? 1.0 : f <= 2.0 ? 2.0 : f <= 5.0 ? 5.0 : 10.0;
  return nice * e;
}

std::vector<double> thin_out(std::vector<double> ticks, int max_ticks) {
  while (static_cast<int>(ticks.size()) > max_ticks) {
    std::vector<double> half;
    for (std::size_t i = 0; i < ticks.size(); i += 2) half.push_back(ticks[i]);
    ticks.swap(half);
  }
  return ticks;
}

}  // namespace

std::vector<double> ColorScale::ticks(int max_ticks) const {
  max_ticks = std::max(max_ticks, 2);
  std::vector<double> out;
  if (!log_) {
    const double step = nice_step((hi_ - lo_) / (max_ticks - 1));
    const double eps = step * 1e-9;
    for (double t = std::ceil(lo_ / step - 1e-9) * step; t <= hi_ + eps; t += step) {
      out.push_back(std::abs(t) < eps ? 0.0 : t);
    }
    return out;
  }
  if (diverging()) {
    // 0 and +-10^k from the top of the range down to the linear threshold.
    std::vector<double> mags;
    for (double p = std::pow(10.0, std::floor(std::log10(hi_))); p > symlog_c_ && mags.size() < 3; p /= 10.0) {
      mags.push_back(p);
    }
    for (auto it = mags.rbegin(); it != mags.rend(); ++it) out.insert(out.begin(), -*it);
    out.push_back(0.0);
    for (double p : mags) out.push_back(p);
    std::sort(out.begin(), out.end());
    return out;
  }
  for (double p = std::pow(10.0, std::ceil(std::log10(lo_) - 1e-9)); p <= hi_ * (1 + 1e-9); p *= 10.0) {
    out.push_back(p);
  }
  if (out.size() < 2) out = {lo_, hi_};
  // Keep the largest decades when thinning (thin from the top).
  std::reverse(out.begin(), out.end());
  out = thin_out(out, max_ticks);
  std::reverse(out.begin(), out.end());
  return out;
}

// ---------------------------------------------------------------- preparation

ColormapKind resolve_colormap(ColormapChoice choice, bool map_is_signed) {
  switch (choice) {
    case ColormapChoice::Viridis: return ColormapKind::Viridis;
    case ColormapChoice::Magma: return ColormapKind::Magma;
    case ColormapChoice::Diverging: return ColormapKind::Diverging;
    case ColormapChoice::Auto: break;
  }
  return map_is_signed ? ColormapKind::Diverging : ColormapKind::Viridis;
}

namespace {

struct DisplayCells {
  Eigen::MatrixXd values;
  std::vector<bool> masked_rows, masked_cols;
  ValueRange range;
};

DisplayCells display_cells(const Map& map, const HeatmapStyle& style, const SpecialTokens& special) {
  DisplayCells d;
  d.values = map.values;
  const int n = map.rows(), m = map.cols();
  d.masked_rows.assign(static_cast<std::size_t>(n), false);
  d.masked_cols.assign(static_cast<std::size_t>(m), false);
  if (style.hide_special) {
    for (int i = 0; i < n; ++i) d.masked_rows[static_cast<std::size_t>(i)] = special.row(i);
    for (int j = 0; j < m; ++j) d.masked_cols[static_cast<std::size_t>(j)] = special.col(j);
  }
  for (int i = 0; i < n; ++i) {
    if (d.masked_rows[static_cast<std::size_t>(i)]) continue;
    if (style.row_normalise) {
      double peak = 0.0;
      for (int j = 0; j < m; ++j) {
        const double v = d.values(i, j);
        if (!d.masked_cols[static_cast<std::size_t>(j)] && std::isfinite(v)) peak = std::max(peak, std::abs(v));
      }
      if (peak > 0.0) d.values.row(i) /= peak;
    }
    for (int j = 0; j < m; ++j) {
      if (!d.masked_cols[static_cast<std::size_t>(j)]) d.range.include(d.values(i, j));
    }
  }
  return d;
}

}  // namespace

ValueRange display_range(const Map& map, const HeatmapStyle& style, const SpecialTokens& special) {
  return display_cells(map, style, special).range;
}

PreparedHeatmap prepare_heatmap(const Map& map, const HeatmapStyle& style, const SpecialTokens& special) {
  DisplayCells d = display_cells(map, style, special);
  PreparedHeatmap p;
  p.values = std::move(d.values);
  p.masked_rows = std::move(d.masked_rows);
  p.masked_cols = std::move(d.masked_cols);
  p.data_range = d.range;
  const ValueRange range = style.fixed_range && !style.fixed_range->empty ? *style.fixed_range : d.range;
  p.scale = ColorScale(resolve_colormap(style.colormap, map.is_signed), range, style.log_scale);
  return p;
}

QImage rasterize_cells(const PreparedHeatmap& prepared) {
  const int n = static_cast<int>(prepared.values.rows());
  const int m = static_cast<int>(prepared.values.cols());
  QImage image(std::max(m, 1), std::max(n, 1), QImage::Format_RGB32);
  image.fill(kMaskedColour);
  for (int i = 0; i < n; ++i) {
    auto* line = reinterpret_cast<QRgb*>(image.scanLine(i));
    for (int j = 0; j < m; ++j) {
      line[j] = prepared.masked(i, j) ? kMaskedColour : prepared.scale.colour(prepared.values(i, j));
    }
  }
  return image;
}

int rank_in_row(const Eigen::MatrixXd& values, int i, int j) {
  const double v = values(i, j);
  int greater = 0;
  for (int k = 0; k < values.cols(); ++k) {
    if (values(i, k) > v) ++greater;
  }
  return greater + 1;
}

QString format_value(double v) {
  if (std::isnan(v)) return QStringLiteral("NaN");
  if (v == 0.0) return QStringLiteral("0");
  const double a = std::abs(v);
  if (a >= 1e4 || a < 1e-3) return QString::number(v, 'e', 2);
  return QString::number(v, 'g', 3);
}

}  // namespace tl::render
