// Line plots: a series is drawn in its colour where its points are, the legend shows every series
// once, panels tile the area, and the evaluation plots have the expected panels and series.
#include <QtTest>

#include "render/eval_plots.h"
#include "render/line_plot.h"

using namespace tl::render;

namespace {

int count_colour(const QImage& img, const QRect& r, QColor c, int tol = 40) {
  int n = 0;
  for (int y = std::max(0, r.top()); y <= std::min(img.height() - 1, r.bottom()); ++y)
    for (int x = std::max(0, r.left()); x <= std::min(img.width() - 1, r.right()); ++x) {
      const QColor p = img.pixelColor(x, y);
      if (std::abs(p.red() - c.red()) + std::abs(p.green() - c.green()) + std::abs(p.blue() - c.blue()) < tol) ++n;
    }
  return n;
}

}  // namespace

class TestLinePlot : public QObject {
  Q_OBJECT
 private slots:
  void seriesColourAppearsWhereTheLineIs() {
    LinePlot plot;
    LinePanel panel;
    panel.y_min = 0;
    panel.y_max = 1;
    // A horizontal red line at y = 0.9 (near the top of the box), a blue one at 0.1.
    panel.series.push_back({QStringLiteral("high"), {0, 1}, {0.9, 0.9}, QColor(Qt::red), false, false});
    panel.series.push_back({QStringLiteral("low"), {0, 1}, {0.1, 0.1}, QColor(Qt::blue), false, false});
    plot.panels.push_back(panel);
    plot.columns = 1;
    const QImage img = render_line_plot(plot, QSize(600, 400));
    QCOMPARE(img.size(), QSize(600, 400));
    const int w = img.width() - 150;  // left of the legend
    const QRect top(0, 0, w, img.height() / 2), bottom(0, img.height() / 2, w, img.height() / 2);
    QVERIFY(count_colour(img, top, Qt::red) > 100);
    QCOMPARE(count_colour(img, bottom, Qt::red), 0);
    QVERIFY(count_colour(img, bottom, Qt::blue) > 100);
    // Legend swatches on the right.
    QVERIFY(count_colour(img, QRect(w, 0, 150, img.height()), Qt::red) > 10);
  }

  void paletteIsDistinctForTwentySeries() {
    QSet<QRgb> seen;
    for (int k = 0; k < 20; ++k) seen.insert(palette_color(k).rgb());
    QCOMPARE(seen.size(), 20);
  }

  void perturbationPlotHasFourPanelsAndEveryMethod() {
    tl::eval::PerturbationReport r;
    r.fractions = tl::eval::default_fractions();
    r.sentences.resize(2);
    for (const char* name : {"rollout", "random"}) {
      tl::eval::MethodResult m;
      m.method = name;
      m.positive.mean.probability = m.negative.mean.probability = std::vector<double>(10, 0.5);
      m.positive.mean.agreement = m.negative.mean.agreement = std::vector<double>(10, 1.0);
      r.methods.push_back(m);
    }
    tl::eval::MethodResult failed;
    failed.method = "flow";
    failed.error = "boom";
    r.methods.push_back(failed);
    const LinePlot plot = perturbation_plot(r);
    QCOMPARE(int(plot.panels.size()), 4);
    for (const LinePanel& p : plot.panels) QCOMPARE(int(p.series.size()), 2);  // the failed method has no curve
    QVERIFY(plot.panels[0].series[1].dashed);                                 // random: dashed reference
    QVERIFY(!render_line_plot(plot, QSize(900, 600)).isNull());
  }
};

QTEST_MAIN(TestLinePlot)
#include "test_line_plot.moc"
