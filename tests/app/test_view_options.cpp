// The readability options in every matrix view, not only the main heatmap: a
// shared colour scale (the same range in the main heatmap, the layer-wise tiles and the comparison
// maps of one method family), words as one row/column, special tokens and the attention sink left
// out of the range. Then the two-model window: the shared scale across both slots, a click that
// selects the pair covering the same text in the other slot, method and relative block kept in
// step from either slot. Embedded Llama model (BOS at position 0, causal), offscreen.
#include <QCheckBox>
#include <QComboBox>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QtTest>

#include "app/gui/analysis_views.h"
#include "app/gui/compare_models.h"
#include "app/gui/comparison_view.h"
#include "app/gui/elided_label.h"
#include "app/gui/heatmap_view.h"
#include "app/gui/layerwise_view.h"
#include "app/gui/main_window.h"
#include "app/gui/panels.h"
#include "tests/app/app_test_support.h"

using namespace tl::app;
using tl::app::test::kSample;

namespace {
bool same_range(const tl::render::ColorScale& a, const tl::render::ColorScale& b) {
  return std::abs(a.lo() - b.lo()) <= 1e-12 * std::max(1.0, std::abs(a.lo())) &&
         std::abs(a.hi() - b.hi()) <= 1e-12 * std::max(1.0, std::abs(a.hi()));
}
QString describe(const tl::render::ColorScale& s) { return QStringLiteral("[%1, %2]").arg(s.lo()).arg(s.hi()); }
}  // namespace

class TestViewOptions : public QObject {
  Q_OBJECT
 private:
  AppContext* context_ = nullptr;
  MainWindow* window_ = nullptr;

  int n() const { return static_cast<int>(context_->encoding().size()); }
  LayerwiseView* layers() const { return window_->views()->layers(); }
  ComparisonView* comparison() const { return window_->views()->comparison(); }

  // Every job of the window is done (the main map, the views, their recolouring) for a while:
  // a shared range that moves posts recolour jobs after the views' own.
  bool settle(int timeout_ms = 120000) {
    QElapsedTimer timer;
    timer.start();
    int idle = 0;
    while (timer.elapsed() < timeout_ms) {
      QTest::qWait(50);
      idle = context_->jobs().busy() || !context_->cells() ? 0 : idle + 1;
      if (idle >= 6) return true;
    }
    return false;
  }
  bool openView(const QString& name) {
    if (!window_->views()->setCurrentView(name)) return false;
    return settle() && window_->views()->currentViewName() == name;
  }
  void setStyle(void (*change)(tl::render::HeatmapStyle&)) {
    tl::render::HeatmapStyle s = context_->style();
    change(s);
    context_->setStyle(s);
  }

 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    context_ = new AppContext(this);
    window_ = new MainWindow(context_, /*restore_settings=*/false);
    window_->resize(1400, 900);
    window_->show();
    QVERIFY(QTest::qWaitForWindowExposed(window_));
    context_->setText(kSample);
    QSignalSpy spy(context_, &AppContext::analysisFinished);
    context_->loadEmbeddedModel();
    QVERIFY(spy.wait(60000));
    QVERIFY(settle());
    QCOMPARE(context_->mapChoice().method, std::string("tensorlens-in"));
    QVERIFY(context_->style().hide_special);
  }
  void cleanupTestCase() { delete window_; }

  // Three views with different maps of one method (blocks 1..1 in the main heatmap and the
  // comparison's map A, blocks 1..l for every l in the tiles) colour on one range when the shared
  // scale is on, each on its own when off.
  void sharedScaleAcrossViews() {
    context_->setScope(tl::Scope::Through);
    context_->setBlock(1);
    QVERIFY(openView("heatmap"));
    QVERIFY(openView("layers"));
    QVERIFY(openView("compare"));
    QCOMPARE(comparison()->methodA()->currentText(), QString("tensorlens-in"));
    const auto heatmap_own = window_->heatmap()->prepared().scale;
    const auto tiles_own = layers()->shown()->scale;
    const auto a_own = comparison()->mapA()->prepared().scale;
    // Different data: the tiles span every depth, the heatmap block 1 only.
    QVERIFY2(!same_range(heatmap_own, tiles_own), qPrintable(describe(heatmap_own) + describe(tiles_own)));
    // The comparison follows the main choice: map A is the heatmap's map (blocks 1..1).
    QCOMPARE(comparison()->mapA()->map()->provenance.layers, context_->map()->provenance.layers);
    QVERIFY(!layers()->shown()->shared);

    context_->setSharedScale(true);
    QVERIFY(openView("layers"));
    QVERIFY(openView("compare"));
    QVERIFY(openView("heatmap"));
    const auto family = tl::app::scale_family(*context_->map());
    const auto shared = context_->scales().range(family);
    QVERIFY(shared.has_value());
    const auto heatmap = window_->heatmap()->prepared().scale;
    const auto tiles = layers()->shown()->scale;
    const auto a = comparison()->mapA()->prepared().scale;
    QVERIFY2(same_range(heatmap, tiles), qPrintable(describe(heatmap) + describe(tiles)));
    QVERIFY2(same_range(heatmap, a), qPrintable(describe(heatmap) + describe(a)));
    QVERIFY(layers()->shown()->shared);
    // The shared range is the union: it holds every view's own range.
    for (const auto* own : {&heatmap_own, &tiles_own, &a_own})
      QVERIFY2(heatmap.lo() <= own->lo() + 1e-12 && heatmap.hi() >= own->hi() - 1e-12, qPrintable(describe(*own)));
    // Map B (rollout) is another family: its own range, not tensorlens-in's.
    QVERIFY(!same_range(comparison()->mapB()->prepared().scale, heatmap));
    QVERIFY(context_->cells()->style.fixed_range.has_value());  // the colorbar says "shared"

    context_->setSharedScale(false);
    QVERIFY(openView("layers"));
    QVERIFY2(same_range(layers()->shown()->scale, tiles_own), qPrintable(describe(layers()->shown()->scale)));
    QVERIFY(!layers()->shown()->shared);
    QVERIFY(openView("heatmap"));
    QVERIFY(!context_->cells()->style.fixed_range.has_value());
    context_->setScope(tl::Scope::EndToEnd);
    QVERIFY(settle());
  }

  // Words as one row/column: fewer rows in the tiles and in all three comparison maps.
  void wordsAsOneInLayerwiseAndComparison() {
    QVERIFY(openView("layers"));
    QCOMPARE(layers()->tiles()->tile(0).map->rows(), n());
    setStyle([](tl::render::HeatmapStyle& s) { s.group_words = true; });
    QVERIFY(openView("layers"));
    const int words = layers()->tiles()->tile(0).map->rows();
    QVERIFY2(words < n(), qPrintable(QString::number(words)));  // "girl" and "Lily" are several tokens
    for (int k = 0; k < layers()->tiles()->count(); ++k) QCOMPARE(layers()->tiles()->tile(k).map->rows(), words);
    QVERIFY(openView("compare"));
    for (HeatmapView* v : {comparison()->mapA(), comparison()->mapB(), comparison()->difference()}) {
      QCOMPARE(v->map()->rows(), words);
      QCOMPARE(v->map()->cols(), words);
    }
    QCOMPARE(comparison()->comparison()->a->rows(), n());  // the correlations stay per token
    // A click on a word selects its last token as the row (the one that has read the whole word).
    HeatmapView* a = comparison()->mapA();
    const int row = words - 2, col = 1;
    QTest::mouseClick(a, Qt::LeftButton, {}, a->cellRect(row, col).center().toPoint());
    QVERIFY(context_->selectedRow() >= row);
    QCOMPARE(comparison()->difference()->selectedRow(), row);
    QCOMPARE(comparison()->difference()->selectedCol(), col);
    context_->setSelectedPair(-1, -1);
    setStyle([](tl::render::HeatmapStyle& s) { s.group_words = false; });
    QVERIFY(openView("compare"));
    QCOMPARE(comparison()->mapA()->map()->rows(), n());
  }

  // Special tokens and the sink (position 0 of a decoder) off the colour scale: the range shrinks.
  void hiddenSinkChangesTheRange() {
    QVERIFY(openView("layers"));
    QVERIFY(openView("compare"));
    const auto tiles_hidden = layers()->shown()->range;
    const auto a_hidden = comparison()->mapA()->prepared().data_range;
    QVERIFY(comparison()->mapA()->prepared().masked_cols[0]);  // the BOS / sink column
    setStyle([](tl::render::HeatmapStyle& s) { s.hide_special = false; });
    QVERIFY(openView("layers"));
    QVERIFY(openView("compare"));
    const auto tiles_all = layers()->shown()->range;
    const auto a_all = comparison()->mapA()->prepared().data_range;
    QVERIFY(!comparison()->mapA()->prepared().masked_cols[0]);
    for (const auto& [hidden, all] : {std::pair{tiles_hidden, tiles_all}, std::pair{a_hidden, a_all}}) {
      QVERIFY2(all.hi > hidden.hi, qPrintable(QString("%1 vs %2").arg(all.hi).arg(hidden.hi)));  // the sink column is loud
      QVERIFY(all.lo <= hidden.lo);
    }
    setStyle([](tl::render::HeatmapStyle& s) { s.hide_special = true; });
    QVERIFY(openView("heatmap"));
  }

  // Row normalisation and log scale reach the tiles and the comparison maps.
  void rowNormalisationAndLogInTheViews() {
    setStyle([](tl::render::HeatmapStyle& s) {
      s.row_normalise = true;
      s.log_scale = true;
    });
    QVERIFY(openView("layers"));
    QVERIFY(layers()->shown()->scale.log_scale());
    QVERIFY(std::abs(layers()->shown()->range.hi - 1.0) < 1e-12);  // every row's peak is 1
    QVERIFY(openView("compare"));
    QVERIFY(comparison()->mapA()->prepared().scale.log_scale());
    QVERIFY(std::abs(comparison()->mapA()->prepared().data_range.hi - 1.0) < 1e-12);
    setStyle([](tl::render::HeatmapStyle& s) {
      s.row_normalise = false;
      s.log_scale = false;
    });
    QVERIFY(openView("heatmap"));
  }

  // The method's one-line description beside the pickers ends in "…" inside the window instead of
  // being cut at its edge; the tooltip has all of it.
  void methodDescriptionElides() {
    ElidedLabel* d = window_->mapControls()->description();
    QVERIFY(d->fullText().startsWith("TensorLens In"));
    QCOMPARE(d->toolTip(), d->fullText());
    for (const QSize size : {QSize(1400, 900), QSize(1100, 700)}) {
      window_->resize(size);
      QTRY_VERIFY(window_->width() <= std::max(size.width(), window_->minimumSizeHint().width()));
      QTest::qWait(50);
      const QPoint right = d->mapTo(window_, QPoint(d->width(), 0));
      QVERIFY2(right.x() <= window_->width(), qPrintable(QString("%1 > %2").arg(right.x()).arg(window_->width())));
      const QString shown = d->shownText();
      QVERIFY(d->fontMetrics().horizontalAdvance(shown) <= d->width());
      QVERIFY2(shown != d->fullText() && shown.endsWith(QChar(0x2026)), qPrintable(shown));  // too long for either width
    }
    window_->resize(1400, 900);
  }

  // Two models: one shared scale for both slots, clicks linked by byte spans, choices in step.
  void twoModelsShareScaleAndSelection() {
    auto session = tl::engine::Session::open_embedded();
    QVERIFY(session.ok());
    CompareModelsWindow w(session.value(), kSample);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QTRY_VERIFY_WITH_TIMEOUT(w.ready(), 120000);
    AppContext* a = w.slotA()->context();
    AppContext* b = w.slotB()->context();
    QCOMPARE(&a->scales(), &b->scales());

    // Method and relative block from either side (both the embedded model: the same block).
    w.setScope(tl::Scope::Block);
    w.setBlock(2);
    QCOMPARE(b->block(), 2);
    w.setBlockOfB(4);
    QCOMPARE(a->block(), 4);
    QCOMPARE(w.blockBox()->value(), 4);
    b->setMethod(QStringLiteral("attention-mean"));
    QCOMPARE(a->mapChoice().method, std::string("attention-mean"));
    QCOMPARE(w.methodBox()->currentText(), QString("attention-mean"));
    a->setMethod(QStringLiteral("tensorlens-in"));
    QCOMPARE(b->mapChoice().method, std::string("tensorlens-in"));

    // Shared scale: both slots colour block 4 on the union over both models' blocks.
    w.sharedScaleBox()->setChecked(true);
    QTRY_VERIFY_WITH_TIMEOUT(w.ready() && a->cells() && a->cells()->style.fixed_range && b->cells() &&
                                 b->cells()->style.fixed_range,
                             120000);
    QTRY_VERIFY_WITH_TIMEOUT(same_range(w.slotA()->heatmap()->prepared().scale, w.slotB()->heatmap()->prepared().scale), 60000);
    const auto shared = a->sharedRange();
    QVERIFY(shared);
    QCOMPARE(w.slotA()->heatmap()->prepared().scale.hi(), shared->hi);

    // Words as one row/column in both; a click on a word row selects, in the other model, the
    // last token of the same text as the row and the first as the column.
    w.groupWordsBox()->setChecked(true);
    QTRY_VERIFY_WITH_TIMEOUT(w.ready() && a->cells() && a->cells()->words && b->cells() && b->cells()->words, 120000);
    HeatmapView* ha = w.slotA()->heatmap();
    const auto cells_a = a->cells();
    int row = -1;  // a word of several tokens
    for (int r = 0; r < ha->map()->rows() && row < 0; ++r)
      if (cells_a->rowTokens(r).second > cells_a->rowTokens(r).first) row = r;
    QVERIFY(row > 0);
    const int col = row - 1;
    QTest::mouseClick(ha, Qt::LeftButton, {}, ha->cellRect(row, col).center().toPoint());
    QCOMPARE(a->selectedRow(), cells_a->rowTokens(row).second);
    QCOMPARE(a->selectedCol(), cells_a->colTokens(col).first);
    QCOMPARE(b->selectedRow(), a->selectedRow());  // the same tokenizer: the same tokens
    QCOMPARE(b->selectedCol(), a->selectedCol());
    QCOMPARE(w.slotB()->heatmap()->selectedRow(), row);
    QCOMPARE(w.slotB()->heatmap()->selectedCol(), col);
    // And back from B; Escape-like clear (-1) clears both.
    HeatmapView* hb = w.slotB()->heatmap();
    QTest::mouseClick(hb, Qt::LeftButton, {}, hb->cellRect(row, 0).center().toPoint());
    QCOMPARE(a->selectedRow(), b->selectedRow());
    QCOMPARE(a->selectedCol(), 0);
    QCOMPARE(ha->selectedCol(), 0);
    w.linkSelection(w.slotA(), -1, -1);
    QCOMPARE(b->selectedRow(), -1);
  }
};

QTEST_MAIN(TestViewOptions)
#include "test_view_options.moc"
