// Colour scales, readability options and the CPU rasteriser.
#include <QtTest>

#include "render/heatmap.h"

using namespace tl::render;

namespace {

// Built with += : GCC 12 warns (-Wrestrict, a false positive) on "literal" + std::string&&.
std::string label(const char* prefix, int k) {
  std::string s(prefix);
  s += std::to_string(k);
  return s;
}

tl::Map make_map(const Eigen::MatrixXd& v, bool is_signed = false) {
  tl::Map m;
  m.values = v;
  m.is_signed = is_signed;
  for (int i = 0; i < v.rows(); ++i) m.row_labels.push_back(label("r", i));
  for (int j = 0; j < v.cols(); ++j) m.col_labels.push_back(label("c", j));
  return m;
}

}  // namespace

class TestHeatmap : public QObject {
  Q_OBJECT
 private slots:
  void sequentialEndsUseTableEnds() {
    ColorScale s(ColormapKind::Viridis, {2.0, 4.0, false}, false);
    QCOMPARE(s.colour(2.0), Colormap::get(ColormapKind::Viridis).entry(0));
    QCOMPARE(s.colour(4.0), Colormap::get(ColormapKind::Viridis).entry(255));
    QCOMPARE(s.position(3.0), 0.5);
    QCOMPARE(s.position(-10.0), 0.0);  // clamped
    QCOMPARE(s.value_at(0.25), 2.5);
  }
  void divergingIsSymmetricAndZeroIsNeutral() {
    ColorScale s(ColormapKind::Diverging, {-0.5, 2.0, false}, false);
    QCOMPARE(s.lo(), -2.0);
    QCOMPARE(s.hi(), 2.0);
    QCOMPARE(s.position(0.0), 0.5);
    const QRgb zero = s.colour(0.0);
    QVERIFY(qRed(zero) == qGreen(zero) && qGreen(zero) == qBlue(zero));
    QCOMPARE(s.position(1.0), 0.75);
  }
  void logScales() {
    ColorScale seq(ColormapKind::Magma, {1e-4, 1.0, false}, true);
    QVERIFY(std::abs(seq.position(1e-2) - 0.5) < 1e-12);
    QVERIFY(std::abs(seq.value_at(0.5) - 1e-2) < 1e-12);
    // Floor at hi * 1e-4: zeros sit at the bottom instead of breaking the scale.
    ColorScale floor(ColormapKind::Viridis, {0.0, 10.0, false}, true);
    QCOMPARE(floor.lo(), 1e-3);
    QCOMPARE(floor.position(0.0), 0.0);
    // Symmetric log keeps zero in the middle and is antisymmetric.
    ColorScale sym(ColormapKind::Diverging, {-3.0, 3.0, false}, true);
    QCOMPARE(sym.position(0.0), 0.5);
    QVERIFY(std::abs(sym.position(0.3) + sym.position(-0.3) - 1.0) < 1e-12);
    QVERIFY(sym.position(0.3) > 0.5 + 0.5 * 0.3 / 3.0);  // log expands small magnitudes
    QVERIFY(std::abs(sym.value_at(sym.position(0.3)) - 0.3) < 1e-9);
  }
  void ticks() {
    ColorScale lin(ColormapKind::Viridis, {0.0, 1.0, false}, false);
    const std::vector<double> expected{0.0, 0.2, 0.4, 0.6, 0.8, 1.0};
    const auto t = lin.ticks(6);
    QCOMPARE(t.size(), expected.size());
    for (std::size_t k = 0; k < t.size(); ++k) QVERIFY(std::abs(t[k] - expected[k]) < 1e-12);
    ColorScale lg(ColormapKind::Viridis, {1e-3, 10.0, false}, true);
    const auto tl = lg.ticks(8);
    QCOMPARE(tl.size(), std::size_t(5));  // 1e-3 .. 10
    QVERIFY(std::abs(tl.front() - 1e-3) < 1e-15);
    ColorScale div(ColormapKind::Diverging, {-1.0, 1.0, false}, false);
    const auto td = div.ticks(5);
    QVERIFY(std::find(td.begin(), td.end(), 0.0) != td.end());
  }
  void autoColormapFollowsSign() {
    QCOMPARE(resolve_colormap(ColormapChoice::Auto, true), ColormapKind::Diverging);
    QCOMPARE(resolve_colormap(ColormapChoice::Auto, false), ColormapKind::Viridis);
    QCOMPARE(resolve_colormap(ColormapChoice::Magma, true), ColormapKind::Magma);
  }
  void rowNormalisation() {
    Eigen::MatrixXd v(2, 3);
    v << 1, 2, 4, -6, 3, 0;
    HeatmapStyle style;
    style.row_normalise = true;
    const auto p = prepare_heatmap(make_map(v, true), style);
    QCOMPARE(p.values(0, 2), 1.0);
    QCOMPARE(p.values(0, 0), 0.25);
    QCOMPARE(p.values(1, 0), -1.0);
    QCOMPARE(p.values(1, 1), 0.5);
  }
  void hiddenSpecialTokensLeaveTheScale() {
    Eigen::MatrixXd v(3, 3);
    v << 100, 0, 0,  //
        50, 1, 0,    //
        40, 2, 3;
    SpecialTokens special;
    special.rows = {true, false, false};
    special.cols = {true, false, false};
    HeatmapStyle style;
    style.hide_special = true;
    const auto p = prepare_heatmap(make_map(v), style, special);
    QCOMPARE(p.data_range.lo, 0.0);
    QCOMPARE(p.data_range.hi, 3.0);
    const QImage img = rasterize_cells(p);
    QCOMPARE(img.size(), QSize(3, 3));
    QCOMPARE(img.pixel(0, 2), kMaskedColour);  // column 0 is special
    QCOMPARE(img.pixel(1, 0), kMaskedColour);  // row 0 is special
    QCOMPARE(img.pixel(2, 2), Colormap::get(ColormapKind::Viridis).entry(255));
    QCOMPARE(img.pixel(2, 1), Colormap::get(ColormapKind::Viridis).entry(0));
    // Without hiding, the sink dominates: 3 is then near the bottom of the scale.
    const auto q = prepare_heatmap(make_map(v), HeatmapStyle{}, special);
    QCOMPARE(q.data_range.hi, 100.0);
    QVERIFY(q.scale.position(3.0) < 0.05);
  }
  void sharedRangeWins() {
    Eigen::MatrixXd v(1, 2);
    v << 0.0, 0.5;
    HeatmapStyle style;
    style.fixed_range = ValueRange{0.0, 1.0, false};
    const auto p = prepare_heatmap(make_map(v), style);
    QCOMPARE(p.scale.position(0.5), 0.5);
    QCOMPARE(display_range(make_map(v), HeatmapStyle{}).hi, 0.5);
    const ValueRange u = ValueRange{0, 1, false}.united(ValueRange{-2, 0.5, false});
    QCOMPARE(u.lo, -2.0);
    QCOMPARE(u.hi, 1.0);
  }
  // A known Map renders the expected colours at known pixels: pixel (x = j, y = i) is cell (i, j).
  void rasterisedCellsAreAtTheirPlace() {
    Eigen::MatrixXd v(2, 3);
    v << 0, 1, 2, 3, 4, 8;
    const auto p = prepare_heatmap(make_map(v), HeatmapStyle{});
    const QImage img = rasterize_cells(p);
    const auto& cm = Colormap::get(ColormapKind::Viridis);
    QCOMPARE(img.pixel(0, 0), cm.entry(0));
    QCOMPARE(img.pixel(2, 1), cm.entry(255));
    QCOMPARE(img.pixel(1, 1), cm.at(0.5));
    QCOMPARE(img.pixel(0, 1), cm.at(3.0 / 8.0));
  }
  void constantMapDoesNotDivideByZero() {
    Eigen::MatrixXd v = Eigen::MatrixXd::Constant(2, 2, 0.7);
    const auto p = prepare_heatmap(make_map(v), HeatmapStyle{});
    QCOMPARE(p.scale.position(0.7), 0.5);
  }
  void nonFiniteValuesAreIgnoredByTheRange() {
    Eigen::MatrixXd v(1, 3);
    v << 1.0, std::numeric_limits<double>::infinity(), std::nan("");
    const auto r = display_range(make_map(v), HeatmapStyle{});
    QCOMPARE(r.lo, 1.0);
    QCOMPARE(r.hi, 1.0);
  }
  void rankInRow() {
    Eigen::MatrixXd v(1, 4);
    v << 0.1, 0.5, 0.5, 0.2;
    QCOMPARE(rank_in_row(v, 0, 1), 1);
    QCOMPARE(rank_in_row(v, 0, 2), 1);
    QCOMPARE(rank_in_row(v, 0, 3), 3);
    QCOMPARE(rank_in_row(v, 0, 0), 4);
  }
  void formatting() {
    QCOMPARE(format_value(0.0), QString("0"));
    QCOMPARE(format_value(0.25), QString("0.25"));
    QCOMPARE(format_value(1234.5), QString("1.23e+03"));
    QCOMPARE(format_value(2e-5), QString("2.00e-05"));
  }
};

QTEST_GUILESS_MAIN(TestHeatmap)
#include "test_heatmap.moc"
