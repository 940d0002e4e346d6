// The analysis views beside the main heatmap, on the embedded model (offscreen platform): each
// builds from the current analysis and shows sane content — the layer-wise small multiples (one
// per block, or per block and head, on one scale; clicking opens one large), the comparison of two
// methods (difference and rank correlations), the Jacobian view (the TensorLens block agrees with
// the tensorlens map's Frobenius norm), the logit lens, the activations, and the fidelity line.
#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QSignalSpy>
#include <QTextBrowser>
#include <QtTest>
#include <cmath>

#include "app/gui/activations_view.h"
#include "app/gui/analysis_views.h"
#include "app/gui/app_context.h"
#include "app/gui/comparison_view.h"
#include "app/gui/fidelity_label.h"
#include "app/gui/heatmap_view.h"
#include "app/gui/jacobian_view.h"
#include "app/gui/layerwise_view.h"
#include "app/gui/logit_lens_view.h"
#include "app/gui/main_window.h"
#include "app/gui/singular_value_plot.h"
#include "app/gui/view_models.h"

using namespace tl::app;

namespace {
const QString kSample = QStringLiteral("Once upon a time, there was a little girl named Lily.");
}

class TestViews : public QObject {
  Q_OBJECT
 private:
  AppContext* context_ = nullptr;
  MainWindow* window_ = nullptr;

  int n() const { return static_cast<int>(context_->encoding().size()); }
  const tl::ModelSpec& spec() const { return context_->session()->spec(); }

  // Switches to the view and waits until it shows the current analysis.
  bool openView(const QString& name) {
    QSignalSpy spy(window_->views(), &AnalysisViews::viewReady);
    if (!window_->views()->setCurrentView(name)) return false;
    return waitFor(spy, name);
  }
  // Waits until the main map is `method` over `layers` and nothing is running. Several setters in
  // a row post several map jobs: waiting for one analysisFinished could see an intermediate map.
  bool waitForMap(const std::string& method, const QString& layers_prefix = {}) {
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < 60000) {
      // The heatmap's map arrives with its cells, after the context's; the queue's own busy flag
      // is exact (the context's follows it through queued signals).
      const auto map = context_->map();
      const auto shown = window_->heatmap()->map();
      auto is_wanted = [&](const std::shared_ptr<const tl::Map>& m) {
        return m && m->provenance.method == method && QString::fromStdString(m->provenance.layers).startsWith(layers_prefix);
      };
      if (!context_->jobs().busy() && is_wanted(map) && shown == map) return true;
      QTest::qWait(50);
    }
    return false;
  }
  static bool waitFor(QSignalSpy& spy, const QString& name, int timeout_ms = 120000) {
    QElapsedTimer timer;
    timer.start();
    for (int seen = 0; timer.elapsed() < timeout_ms;) {
      for (; seen < spy.count(); ++seen) {
        if (spy.at(seen).at(0).toString() == name) return true;
      }
      spy.wait(200);
    }
    return false;
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
  }
  void cleanupTestCase() { delete window_; }

  void fidelityLineIsInTheStatusBar() {
    FidelityLabel* f = window_->fidelity();
    if (std::isnan(f->maxRelativeError())) {
      QSignalSpy spy(f, &FidelityLabel::updated);
      QVERIFY(spy.wait(30000));
    }
    // A float32 forward pass rebuilt by the operator: rounding only.
    QVERIFY2(f->maxRelativeError() < 1e-4, qPrintable(f->text()));
    QVERIFY(f->maxRelativeError() >= 0);
    QVERIFY(f->text().contains("fidelity"));
  }

  void layerwiseShowsEveryBlockOnOneScale() {
    QVERIFY(openView("layers"));
    LayerwiseView* view = window_->views()->layers();
    const LayerTiles* t = view->shown();
    QVERIFY(t);
    // tensorlens-in end to end: blocks 1..l for every l, then end to end (Llama has a final norm).
    QCOMPARE(t->method, std::string("tensorlens-in"));
    QCOMPARE(t->scope, tl::Scope::Through);
    QCOMPARE(view->tiles()->count(), spec().num_layers + 1);
    QCOMPARE(view->tiles()->tile(0).label, QString("block 1"));
    QCOMPARE(view->tiles()->tile(2).label, QString("blocks 1..3"));
    QCOMPARE(view->tiles()->tile(spec().num_layers).label, QString("end to end"));
    for (int k = 0; k < view->tiles()->count(); ++k) {
      const auto& tile = view->tiles()->tile(k);
      QCOMPARE(tile.image.size(), QSize(n(), n()));
      QVERIFY(view->tiles()->tileRect(k).width() >= SmallMultiples::kMinTile);
      // One scale: every tile's cells are coloured by the shared scale (Vulkan may land one
      // colormap entry away from the CPU on an entry boundary, render/vulkan_heatmap.h).
      const QRgb got = tile.image.pixel(1, n() - 1), want = t->scale.colour(tile.map->values(n() - 1, 1));
      QVERIFY2(std::abs(qRed(got) - qRed(want)) <= 6 && std::abs(qGreen(got) - qGreen(want)) <= 6 &&
                   std::abs(qBlue(got) - qBlue(want)) <= 6,
               qPrintable(QString("tile %1: %2 vs %3").arg(k).arg(got, 0, 16).arg(want, 0, 16)));
    }
    // The end-to-end tile is highlighted (the context's choice); clicking block 3 opens it large.
    QCOMPARE(view->tiles()->highlighted(), spec().num_layers);
    QTest::mouseClick(view->tiles(), Qt::LeftButton, {}, view->tiles()->tileRect(2).center().toPoint());
    QCOMPARE(window_->views()->currentViewName(), QString("heatmap"));
    QVERIFY(waitForMap("tensorlens-in", "blocks 1..3"));
    QCOMPARE(context_->mapChoice().scope, tl::Scope::Through);
    QCOMPARE(context_->mapChoice().block, 3);
    QCOMPARE(QString::fromStdString(window_->heatmap()->map()->provenance.layers), QString("blocks 1..3"));
  }

  void layerwisePerHead() {
    context_->setMethod(QStringLiteral("attention"));
    QVERIFY(waitForMap("attention"));
    QVERIFY(openView("layers"));
    LayerwiseView* view = window_->views()->layers();
    QCOMPARE(view->shown()->scope, tl::Scope::Block);
    QCOMPARE(view->tiles()->count(), spec().num_layers * spec().num_heads);
    QCOMPARE(view->shown()->columns, spec().num_heads);
    QCOMPARE(view->tiles()->tile(spec().num_heads + 2).label, QString("block 2 \u00b7 head 2"));
    // Attention rows sum to one in every tile.
    const auto& m = *view->tiles()->tile(7).map;
    QVERIFY(std::abs(m.values.row(n() - 1).sum() - 1.0) < 1e-6);
    view->openTile(spec().num_heads * 3 + 1);  // block 4, head 1
    QVERIFY(waitForMap("attention", "head 1 of block 4"));
    QCOMPARE(QString::fromStdString(window_->heatmap()->map()->provenance.layers), QString("head 1 of block 4"));
    // Methods that only explain the output have no layer-wise maps: the view says so.
    context_->setMethod(QStringLiteral("saliency"));
    QVERIFY(waitForMap("saliency"));
    QVERIFY(openView("layers"));
    QCOMPARE(view->tiles()->count(), 0);
    context_->setMethod(QStringLiteral("tensorlens-in"));
    context_->setScope(tl::Scope::EndToEnd);
    QVERIFY(waitForMap("tensorlens-in", "end to end"));
  }

  void comparisonOfTwoMethods() {
    QVERIFY(openView("compare"));
    ComparisonView* view = window_->views()->comparison();
    QCOMPARE(view->methodA()->currentText(), QString("tensorlens-in"));
    QCOMPARE(view->methodB()->currentText(), QString("rollout"));
    auto c = view->comparison();
    QVERIFY(c);
    QCOMPARE(c->scope, tl::Scope::EndToEnd);
    QCOMPARE(c->a->rows(), n());
    QCOMPARE(c->difference->rows(), n());
    QVERIFY(c->difference->is_signed);
    QVERIFY(c->difference->values.cwiseAbs().maxCoeff() <= 2.0 + 1e-12);
    QVERIFY(c->difference->values.cwiseAbs().maxCoeff() > 0.0);
    // Causal model, BOS hidden: row i counts columns 1..i.
    QCOMPARE(c->row_cells[0], 0);
    for (int i = 1; i < n(); ++i) QCOMPARE(c->row_cells[static_cast<std::size_t>(i)], i);
    QCOMPARE(c->cells, n() * (n() - 1) / 2);
    QVERIFY(c->spearman >= -1.0 && c->spearman <= 1.0);
    QVERIFY(c->kendall >= -1.0 && c->kendall <= 1.0);
    QVERIFY(std::isnan(c->row_spearman[1]));  // a single cell: undefined
    QVERIFY(view->summary()->text().contains("Spearman"));
    QVERIFY(view->mapA()->map() && view->mapB()->map() && view->difference()->map());
    QAbstractItemModelTester tester(view->correlations(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(view->correlations()->rowCount(), n());

    // A method against itself agrees perfectly (and the difference is zero).
    QSignalSpy spy(window_->views(), &AnalysisViews::viewReady);
    view->methodB()->setCurrentText(QStringLiteral("tensorlens-in"));
    QVERIFY(waitFor(spy, "compare"));
    c = view->comparison();
    QCOMPARE(c->spearman, 1.0);
    QCOMPARE(c->kendall, 1.0);
    QCOMPARE(c->difference->values.cwiseAbs().maxCoeff(), 0.0);
    spy.clear();
    view->methodB()->setCurrentText(QStringLiteral("rollout"));
    QVERIFY(waitFor(spy, "compare"));
  }

  void jacobianOfTheSelectedPair() {
    context_->setSelectedPair(n() - 1, 3);
    QVERIFY(openView("jacobian"));
    JacobianView* view = window_->views()->jacobian();
    auto b = view->blocks();
    QVERIFY(b);
    QCOMPARE(b->i, n() - 1);
    QCOMPARE(b->j, 3);
    const int d = spec().hidden_size;
    QCOMPARE(b->lens_block->rows(), d);
    QCOMPARE(b->true_block->cols(), d);
    // ||T[i,:,j,:]||_F is the tensorlens map's entry (i, j), end to end.
    auto map = context_->session()->compute_map(*context_->analysis(), MapChoice{.method = "tensorlens", .scope = tl::Scope::EndToEnd});
    QVERIFY(map.ok());
    const double want = map->values(n() - 1, 3);
    QVERIFY2(std::abs(b->lens_block->values.norm() - want) < 1e-4 * want,
             qPrintable(QString("%1 vs %2").arg(b->lens_block->values.norm()).arg(want)));
    // The true Jacobian differs (softmax, norms and activations are not frozen), but not wildly.
    QVERIFY(b->relative_gap > 1e-6);
    QVERIFY(b->relative_gap < 10.0);
    for (const auto* s : {&b->lens_spectrum, &b->true_spectrum}) {
      QCOMPARE(s->singular_values.size(), Eigen::Index(d));
      for (int k = 1; k < d; ++k) QVERIFY(s->singular_values[k] <= s->singular_values[k - 1] + 1e-12);
      QCOMPARE(s->directions.size(), std::size_t(3));
      QCOMPARE(s->directions.front().push.size(), std::size_t(6));
    }
    QCOMPARE(view->plot()->series().size(), std::size_t(2));
    QVERIFY(view->plot()->logHi() > view->plot()->logLo());
    QVERIFY(view->directions()->toPlainText().contains("push"));
    QVERIFY(view->lensBlock()->map() && view->trueBlock()->map());
    // Causal: an input after the output gives zero blocks.
    QSignalSpy spy(window_->views(), &AnalysisViews::viewReady);
    context_->setSelectedPair(2, 5);
    QVERIFY(waitFor(spy, "jacobian"));
    QCOMPARE(view->blocks()->lens_block->values.norm(), 0.0);
    QCOMPARE(view->blocks()->true_block->values.norm(), 0.0);
    spy.clear();
    context_->setSelectedPair(-1, -1);
    QVERIFY(waitFor(spy, "jacobian"));
    QCOMPARE(view->blocks()->i, n() - 1);  // default: the prediction row and its previous token
    QCOMPARE(view->blocks()->j, n() - 2);
    // A selection on a map whose axes are not tokens (logit lens: stages x positions) names no pair.
    context_->setMethod(QStringLiteral("logit-lens"));
    QVERIFY(waitForMap("logit-lens"));
    spy.clear();
    context_->setSelectedPair(2, 3);
    QVERIFY(waitFor(spy, "jacobian"));
    QCOMPARE(view->blocks()->i, n() - 1);
    context_->setSelectedPair(-1, -1);
    context_->setMethod(QStringLiteral("tensorlens-in"));
    QVERIFY(waitForMap("tensorlens-in", "end to end"));
  }

  void logitLensTable() {
    QVERIFY(openView("logit-lens"));
    LogitLensModel* model = window_->views()->logitLens()->model();
    QAbstractItemModelTester tester(model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(model->rowCount(), n());
    QCOMPARE(model->columnCount(), spec().num_layers + 1);
    // The last stage is the model's output: its top token is the final prediction (rank 1).
    const int last = spec().num_layers;
    for (int i = 0; i < n(); ++i) {
      const QModelIndex cell = model->index(i, last);
      QCOMPARE(model->data(cell, LogitLensModel::RankRole).toInt(), 0);
      QCOMPARE(model->data(cell, LogitLensModel::TopTokenRole).toInt(), model->lens()->predicted[static_cast<std::size_t>(i)]);
      QVERIFY(model->data(cell, LogitLensModel::ProbabilityRole).toDouble() > 0.0);
    }
    QCOMPARE(model->headerData(0, Qt::Horizontal).toString(), QString("embeddings"));
    QCOMPARE(model->headerData(last, Qt::Horizontal).toString(), QString("block %1").arg(last));
    QVERIFY(model->data(model->index(2, 1), Qt::ToolTipRole).toString().contains("final prediction"));
    QVERIFY(model->data(model->index(2, 1), Qt::DisplayRole).toString().contains("#"));
  }

  void activationsHeatmapAndNeurons() {
    QVERIFY(openView("activations"));
    ActivationsView* view = window_->views()->activations();
    auto map = view->heatmap()->map();
    QVERIFY(map);
    QCOMPARE(map->rows(), n());
    QCOMPARE(map->cols(), spec().num_layers + 1);
    const auto& trace = *context_->analysis()->trace;
    QVERIFY(std::abs(map->values(3, 2) - trace.blocks[1].output.row(3).norm()) < 1e-9);
    QVERIFY(std::abs(map->values(3, 0) - trace.embeddings.row(3).norm()) < 1e-9);
    const auto top = top_neurons(trace, 2, 3, 10);
    QCOMPARE(top.size(), std::size_t(10));
    for (std::size_t k = 1; k < top.size(); ++k) QVERIFY(std::abs(top[k].value) <= std::abs(top[k - 1].value));
    QCOMPARE(top[0].value, trace.blocks[1].ffn_hidden(3, top[0].id));
    QCOMPARE(std::abs(top[0].value), trace.blocks[1].ffn_hidden.row(3).cwiseAbs().maxCoeff());
    view->showNeurons(3, 2);
    QVERIFY(view->neurons()->text().contains(QString("#%1").arg(top[0].id)));
    view->showNeurons(3, 0);
    QVERIFY(view->neurons()->text().contains("no FFN"));
  }

  void viewMenuSwitchesViews() {
    QAction* logit = nullptr;
    for (QAction* a : window_->findChildren<QAction*>()) {
      if (a->text() == QStringLiteral("Logit lens")) logit = a;
    }
    QVERIFY(logit);
    QCOMPARE(logit->shortcut(), QKeySequence(QStringLiteral("Ctrl+5")));
    logit->trigger();
    QCOMPARE(window_->views()->currentViewName(), QString("logit-lens"));
  }

  void hiddenViewsStayIdle() {
    // Views compute only when shown: typing with the heatmap in front leaves them stale.
    QVERIFY(window_->views()->setCurrentView("heatmap"));
    QSignalSpy done(context_, &AppContext::analysisFinished);
    context_->setText(QStringLiteral("Lily saw a cat."));
    QVERIFY(done.wait(60000));
    QVERIFY(window_->views()->comparison()->stale());
    QVERIFY(openView("compare"));
    QCOMPARE(window_->views()->comparison()->comparison()->a->rows(), n());
  }
};

QTEST_MAIN(TestViews)
#include "test_views.moc"
