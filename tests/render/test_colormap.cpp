// Colormap tables: published anchor colours, perceptual ordering, a neutral diverging centre.
#include <QtTest>

#include "render/colormap.h"

using tl::render::Colormap;
using tl::render::ColormapKind;

namespace {

// Largest per-channel difference in 0..255 units.
int channel_distance(QRgb a, QRgb b) {
  return std::max({std::abs(qRed(a) - qRed(b)), std::abs(qGreen(a) - qGreen(b)), std::abs(qBlue(a) - qBlue(b))});
}

double luminance(QRgb c) {  // relative luminance (sRGB -> linear, Rec. 709 weights)
  auto lin = [](int v) {
    const double s = v / 255.0;
    return s <= 0.04045 ? s / 12.92 : std::pow((s + 0.055) / 1.055, 2.4);
  };
  return 0.2126 * lin(qRed(c)) + 0.7152 * lin(qGreen(c)) + 0.0722 * lin(qBlue(c));
}

}  // namespace

class TestColormap : public QObject {
  Q_OBJECT
 private slots:
  // Anchors from matplotlib's published tables (#440154, #21918c, #fde725 for viridis;
  // #000004, #b73779, #fcfdbf for magma). Tolerance 5/255 per channel: the polynomial fits
  // deviate from the tables by up to ~0.015.
  void viridisAnchors() {
    const auto& c = Colormap::get(ColormapKind::Viridis);
    QVERIFY(channel_distance(c.at(0.0), qRgb(0x44, 0x01, 0x54)) <= 5);
    QVERIFY(channel_distance(c.at(0.5), qRgb(0x21, 0x91, 0x8c)) <= 5);
    QVERIFY(channel_distance(c.at(1.0), qRgb(0xfd, 0xe7, 0x25)) <= 5);
  }
  void magmaAnchors() {
    const auto& c = Colormap::get(ColormapKind::Magma);
    QVERIFY(channel_distance(c.at(0.0), qRgb(0x00, 0x00, 0x04)) <= 5);
    QVERIFY(channel_distance(c.at(0.5), qRgb(0xb7, 0x37, 0x79)) <= 5);
    QVERIFY(channel_distance(c.at(1.0), qRgb(0xfc, 0xfd, 0xbf)) <= 5);
  }
  // Sequential maps get lighter along the whole range (sampled every 16 entries).
  void sequentialLuminanceIncreases() {
    for (auto kind : {ColormapKind::Viridis, ColormapKind::Magma}) {
      const auto& c = Colormap::get(kind);
      for (int i = 16; i < Colormap::kSize; i += 16) {
        QVERIFY2(luminance(c.entry(i)) > luminance(c.entry(i - 16)), qPrintable(c.name() + " at " + QString::number(i)));
      }
    }
  }
  void divergingCentreIsNeutral() {
    const auto& c = Colormap::get(ColormapKind::Diverging);
    const QRgb mid = c.at(0.5);
    QCOMPARE(qRed(mid), qGreen(mid));
    QCOMPARE(qGreen(mid), qBlue(mid));
    QVERIFY(qRed(mid) > 240);
    QVERIFY(qBlue(c.at(0.0)) > qRed(c.at(0.0)));  // negative end is blue
    QVERIFY(qRed(c.at(1.0)) > qBlue(c.at(1.0)));  // positive end is red
    // Symmetric darkening away from the centre (ColorBrewer RdBu is built that way), within 0.05.
    for (double d : {0.1, 0.25, 0.4, 0.5}) {
      QVERIFY(std::abs(luminance(c.at(0.5 - d)) - luminance(c.at(0.5 + d))) < 0.05);
      QVERIFY(luminance(c.at(0.5 + d)) < luminance(mid));
    }
  }
  void clampsAndNaN() {
    const auto& c = Colormap::get(ColormapKind::Viridis);
    QCOMPARE(c.at(-3.0), c.entry(0));
    QCOMPARE(c.at(7.0), c.entry(255));
    QCOMPARE(c.at(std::nan("")), c.entry(0));
    QCOMPARE(qAlpha(c.entry(17)), 255);
  }
  void parsing() {
    ColormapKind k{};
    QVERIFY(tl::render::parse_colormap("Magma", &k));
    QCOMPARE(k, ColormapKind::Magma);
    QVERIFY(tl::render::parse_colormap("diverging", &k));
    QCOMPARE(k, ColormapKind::Diverging);
    QVERIFY(!tl::render::parse_colormap("jet", &k));
  }
};

QTEST_GUILESS_MAIN(TestColormap)
#include "test_colormap.moc"
