#include "render/colormap.h"

#include <algorithm>
#include <cmath>

namespace tl::render {
namespace {

using Poly = std::array<std::array<double, 3>, 7>;  // c0..c6 for r, g, b

// Polynomial fits of matplotlib's tables (Matt Zucker, "viridis etc. polynomial approximations",
// CC0): colour(t) = sum_k c_k t^k.
constexpr Poly kViridis = {{{0.2777273272234177, 0.005407344544966578, 0.3340998053353061},
                            {0.1050930431085774, 1.404613529898575, 1.384590162594685},
                            {-0.3308618287255563, 0.214847559468213, 0.09509516302823659},
                            {-4.634230498983486, -5.799100973351585, -19.33244095627987},
                            {6.228269936347081, 14.17993336680509, 56.69055260068105},
                            {4.776384997670288, -13.74514537774601, -65.35303263337234},
                            {-5.435455855934631, 4.645852612178535, 26.3124352495832}}};
constexpr Poly kMagma = {{{-0.002136485053939582, -0.000749655052795221, -0.005386127855323933},
                          {0.2516605407371642, 0.6775232436837668, 2.494026599312351},
                          {8.353717279216625, -3.577719514958484, 0.3144679030132573},
                          {-27.66873308576866, 14.26473078096533, -13.64921318813922},
                          {52.17613981234068, -27.94360607168351, 12.94416944238394},
                          {-50.76852536473588, 29.04658282127291, 4.23415299384598},
                          {18.65570506591883, -11.48977351997711, -5.601961508734096}}};

// ColorBrewer RdBu (11 classes), reversed: index 0 is the most negative (dark blue).
constexpr std::array<QRgb, 11> kRdBuReversed = {0x053061, 0x2166ac, 0x4393c3, 0x92c5de,
                                                0xd1e5f0, 0xf7f7f7, 0xfddbc7, 0xf4a582,
                                                0xd6604d, 0xb2182b, 0x67001f};

int to_byte(double v) { return std::clamp(static_cast<int>(std::lround(v * 255.0)), 0, 255); }

QRgb eval_poly(const Poly& p, double t) {
  double c[3];
  for (int ch = 0; ch < 3; ++ch) {
    double acc = 0.0;
    for (int k = 6; k >= 0; --k) acc = acc * t + p[static_cast<std::size_t>(k)][static_cast<std::size_t>(ch)];
    c[ch] = acc;
  }
  return qRgb(to_byte(c[0]), to_byte(c[1]), to_byte(c[2]));
}

QRgb eval_anchors(double t) {
  const double x = t * static_cast<double>(kRdBuReversed.size() - 1);
  const int i = std::min(static_cast<int>(x), static_cast<int>(kRdBuReversed.size()) - 2);
  const double f = x - i;
  const QRgb a = kRdBuReversed[static_cast<std::size_t>(i)];
  const QRgb b = kRdBuReversed[static_cast<std::size_t>(i + 1)];
  auto mix = [f](int u, int v) { return std::clamp(static_cast<int>(std::lround(u + (v - u) * f)), 0, 255); };
  return qRgb(mix(qRed(a), qRed(b)), mix(qGreen(a), qGreen(b)), mix(qBlue(a), qBlue(b)));
}

}  // namespace

Colormap::Colormap(ColormapKind kind) : kind_(kind) {
  for (int i = 0; i < kSize; ++i) {
    const double t = i / static_cast<double>(kSize - 1);
    switch (kind) {
      case ColormapKind::Viridis: lut_[static_cast<std::size_t>(i)] = eval_poly(kViridis, t); break;
      case ColormapKind::Magma: lut_[static_cast<std::size_t>(i)] = eval_poly(kMagma, t); break;
      case ColormapKind::Diverging: lut_[static_cast<std::size_t>(i)] = eval_anchors(t); break;
    }
  }
  if (kind == ColormapKind::Diverging) {
    // 256 entries have no exact middle: make both central entries the neutral anchor so that
    // zero (t = 0.5, which rounds to either) is drawn neutral.
    lut_[127] = lut_[128] = kRdBuReversed[5] | 0xff000000u;
  }
  for (auto& c : lut_) c |= 0xff000000u;
}

const Colormap& Colormap::get(ColormapKind kind) {
  static const Colormap viridis(ColormapKind::Viridis);
  static const Colormap magma(ColormapKind::Magma);
  static const Colormap diverging(ColormapKind::Diverging);
  switch (kind) {
    case ColormapKind::Viridis: return viridis;
    case ColormapKind::Magma: return magma;
    case ColormapKind::Diverging: return diverging;
  }
  return viridis;
}

QString Colormap::name() const {
  switch (kind_) {
    case ColormapKind::Viridis: return QStringLiteral("viridis");
    case ColormapKind::Magma: return QStringLiteral("magma");
    case ColormapKind::Diverging: return QStringLiteral("diverging");
  }
  return {};
}

QRgb Colormap::at(double t) const {
  if (!(t >= 0.0)) t = 0.0;  // also catches NaN
  if (t > 1.0) t = 1.0;
  const int i = static_cast<int>(std::lround(t * (kSize - 1)));
  return lut_[static_cast<std::size_t>(i)];
}

bool parse_colormap(const QString& name, ColormapKind* out) {
  const QString n = name.trimmed().toLower();
  if (n == QLatin1String("viridis")) *out = ColormapKind::Viridis;
  else if (n == QLatin1String("magma")) *out = ColormapKind::Magma;
  else if (n == QLatin1String("diverging") || n == QLatin1String("rdbu")) *out = ColormapKind::Diverging;
  else return false;
  return true;
}

}  // namespace tl::render
