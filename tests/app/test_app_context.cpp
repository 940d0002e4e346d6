// The application context on the embedded model: tokenization, the forward pass on the worker,
// predictions, the head-mean attention map; the job queue's latest-wins rule; the item models
// (checked with QAbstractItemModelTester).
#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QtTest>
#include <atomic>

#include "app/gui/app_context.h"
#include "app/gui/item_models.h"
#include "render/heatmap.h"
#include "tests/app/app_test_support.h"

using namespace tl::app;
using tl::app::test::embedded;
using tl::app::test::wait_for_analysis;
using tl::app::test::kSample;

class TestAppContext : public QObject {
  Q_OBJECT
 private slots:
  void runsTheEmbeddedModel() {
    AppContext context;
    context.setSession(embedded());
    QSignalSpy errors(&context, &AppContext::errorOccurred);
    context.setText(kSample);
    QVERIFY(context.encoding().size() > 5);
    QVERIFY(context.encoding().special[0]);  // BOS, added by the tokenizer
    QVERIFY(wait_for_analysis(context));
    QCOMPARE(errors.count(), 0);
    const auto a = context.analysis();
    QVERIFY(a && a->trace);
    const int n = static_cast<int>(context.encoding().size());
    QCOMPARE(a->trace->num_tokens(), n);
    QCOMPARE(a->prediction_row, n - 1);
    QCOMPARE(a->predictions.size(), std::size_t(10));
    double total = 0.0;
    for (std::size_t k = 0; k < a->predictions.size(); ++k) {
      total += a->predictions[k].probability;
      if (k > 0) QVERIFY(a->predictions[k].probability <= a->predictions[k - 1].probability);
    }
    QVERIFY(total > 0.0 && total <= 1.0 + 1e-12);
    // The default map: TensorLens In, end to end, N x N over the sentence's tokens.
    auto map = context.map();
    QVERIFY(map);
    QCOMPARE(QString::fromStdString(map->provenance.method), QString("tensorlens-in"));
    QCOMPARE(map->rows(), n);
    QCOMPARE(map->cols(), n);
    QCOMPARE(map->row_labels.size(), std::size_t(n));
    QCOMPARE(QString::fromStdString(map->row_labels.back()), QString("."));
    QVERIFY(context.specialTokens().col(0));  // BOS flagged on the token axes
    // Head-mean attention of block 1: causal (upper triangle zero), rows sum to 1 within 1e-5
    // (fp32 softmax).
    context.setMethod("attention-mean");
    QCOMPARE(context.mapChoice().scope, tl::Scope::Block);  // the only scope it offers
    QVERIFY(wait_for_analysis(context));
    map = context.map();
    QCOMPARE(QString::fromStdString(map->provenance.layers), QString("block 1"));
    for (int i = 0; i < n; ++i) {
      QVERIFY(std::abs(map->values.row(i).sum() - 1.0) < 1e-5);
      for (int j = i + 1; j < n; ++j) QCOMPARE(map->values(i, j), 0.0);
    }
    QCOMPARE(errors.count(), 0);
  }
  void everyRegistryMethodGivesAMapOrAnError() {
    AppContext context;
    context.setSession(embedded());
    context.setText(QStringLiteral("Lily saw a cat."));
    QVERIFY(wait_for_analysis(context));
    QSignalSpy errors(&context, &AppContext::errorOccurred);
    for (const tl::MethodInfo& info : tl::method_registry()) {
      context.setMethod(QString::fromLatin1(info.name.data(), info.name.size()));
      QVERIFY(wait_for_analysis(context));
      QVERIFY2(context.map() || errors.count() > 0, info.name.data());
      if (context.map()) QCOMPARE(QString::fromStdString(context.map()->provenance.method), QString::fromLatin1(info.name.data(), info.name.size()));
    }
    QCOMPARE(errors.count(), 0);  // a decoder with a last token: every method applies
  }
  // The GUI is a thin client of the engine session: its map is bit for bit the engine's for the
  // same choice (tests/cli/test_cli.cpp shows the same for the CLI, so both give identical maps).
  void mapIsBitIdenticalToTheEngineSession() {
    AppContext context;
    context.setComputeDevice(QStringLiteral("cpu"));
    context.setSession(embedded());
    context.setMethod(QStringLiteral("tensorlens-in"));
    context.setScope(tl::Scope::Through);
    context.setBlock(3);
    context.setText(kSample);
    QVERIFY(wait_for_analysis(context));
    QVERIFY(context.map());
    auto session = tl::engine::Session::open_embedded(std::make_shared<tl::engine::Device>("cpu"));
    QVERIFY(session.ok());
    auto analysis = (*session)->analyse(kSample.toStdString());
    QVERIFY(analysis.ok());
    auto map = (*session)->compute_map(*analysis, {.method = "tensorlens-in", .scope = tl::Scope::Through, .block = 3});
    QVERIFY(map.ok());
    QVERIFY(map->values == context.map()->values);
  }
  // Cells are coloured on the session's device: by Vulkan where the compute device is one
  // (lavapipe chosen by index here), else by the CPU; both give the same picture within one
  // colormap entry per cell.
  void cellsByVulkanOrCpuAgree() {
    AppContext context;
    context.setComputeDevice(QStringLiteral("0"));
    context.setSession(embedded());
    context.setText(kSample);
    QVERIFY(wait_for_analysis(context));
    const auto first = context.cells();
    QVERIFY(first && first->map == context.map());
    QCOMPARE(first->image.size(), QSize(context.map()->cols(), context.map()->rows()));
    context.setPreferVulkan(false);
    QVERIFY(wait_for_analysis(context));
    const auto cpu = context.cells();
    QCOMPARE(cpu->renderer, QString("CPU"));
    QCOMPARE(cpu->image, tl::render::rasterize_cells(cpu->prepared));
    if (!first->renderer.startsWith("Vulkan")) QSKIP("no Vulkan device: only the CPU path ran");
    const auto& table = cpu->prepared.scale.colormap();
    for (int i = 0; i < cpu->image.height(); ++i) {
      for (int j = 0; j < cpu->image.width(); ++j) {
        const QRgb g = first->image.pixel(j, i), c = cpu->image.pixel(j, i);
        if (g == c) continue;
        int k = 0;
        while (k < 256 && table.entry(k) != c) ++k;
        QVERIFY2(k < 256 && ((k > 0 && table.entry(k - 1) == g) || (k < 255 && table.entry(k + 1) == g)),
                 qPrintable(QString("cell %1,%2").arg(i).arg(j)));
      }
    }
  }
  void predictionsMatchASoftmaxOfTheLastRow() {
    AppContext context;
    context.setSession(embedded());
    context.setText(kSample);
    QVERIFY(wait_for_analysis(context));
    const auto a = context.analysis();
    const Eigen::VectorXd z = a->trace->logits.row(a->prediction_row).transpose();
    Eigen::Index best = 0;
    z.maxCoeff(&best);
    QCOMPARE(a->predictions[0].id, static_cast<int>(best));
    const double p0 = 1.0 / (z.array() - z(best)).exp().sum();
    QVERIFY(std::abs(a->predictions[0].probability - p0) < 1e-12);
  }
  void blockChoiceAndSharedScale() {
    AppContext context;
    context.setSession(embedded());
    context.setText(kSample);
    QVERIFY(wait_for_analysis(context));
    QCOMPARE(context.numBlocks(), 5);
    context.setMethod("rollout");
    context.setScope(tl::Scope::Through);
    context.setBlock(3);
    QVERIFY(wait_for_analysis(context));
    QCOMPARE(QString::fromStdString(context.map()->provenance.layers), QString("blocks 1..3"));
    context.setBlock(99);  // clamped
    QVERIFY(wait_for_analysis(context));
    QCOMPARE(context.block(), 5);

    tl::render::HeatmapStyle style;
    style.hide_special = true;
    context.setStyle(style);
    context.setSharedScale(true);
    // The style change alone finishes first (cells only); the shared range comes with the map job.
    QTRY_VERIFY_WITH_TIMEOUT(context.effectiveStyle().fixed_range.has_value(), 60000);
    const auto shared = context.effectiveStyle().fixed_range;
    // The shared range covers every block's own range.
    for (int b = 1; b <= 5; ++b) {
      MapChoice c = context.mapChoice();
      c.block = b;
      const auto m = context.session()->compute_map(*context.analysis(), c);
      QVERIFY(m.ok());
      const auto r = tl::render::display_range(m.value(), style, context.specialTokens());
      QVERIFY(r.lo >= shared->lo && r.hi <= shared->hi);
    }
  }
  void latestTextWins() {
    AppContext context;
    context.setSession(embedded());
    QSignalSpy finished(&context, &AppContext::analysisFinished);
    for (int k = 1; k <= 20; ++k) context.setText(kSample.left(10 + k));
    context.setText(QStringLiteral("Lily"));
    QTRY_VERIFY_WITH_TIMEOUT(context.analysis() && QString::fromStdString(context.analysis()->text) == QStringLiteral("Lily") && context.map(), 60000);
    QCOMPARE(context.map()->rows(), static_cast<int>(context.encoding().size()));
    QVERIFY(finished.count() < 21);  // stale texts were dropped, not all analysed and shown
  }
  void badFolderIsAnErrorNotACrash() {
    AppContext context;
    QSignalSpy errors(&context, &AppContext::errorOccurred);
    context.openModelFolder(QStringLiteral(TL_TEST_TMP_DIR "/no/such/model"));
    QVERIFY(errors.wait(30000));
    QVERIFY(!context.hasModel());
  }
  void emptyTextIsHandled() {
    AppContext context;
    context.setSession(embedded());
    context.setText(QString());
    QVERIFY(wait_for_analysis(context));
    // Only what the tokenizer adds (BOS here) is left: the map, if any, matches it.
    const int n = static_cast<int>(context.encoding().size());
    if (n == 0) QVERIFY(!context.map());
    else QCOMPARE(context.map()->rows(), n);
  }

  // ---- job queue
  void jobQueueReplacesQueuedJobsWithTheSameTag() {
    JobQueue queue;
    QObject receiver;
    std::atomic<bool> release{false};
    std::vector<int> delivered;
    queue.post("block", &receiver, [&](tl::Progress&) -> JobQueue::Continuation {
      while (!release.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      return [&] { delivered.push_back(0); };
    });
    for (int k = 1; k <= 5; ++k) {
      queue.post("work", &receiver, [&, k](tl::Progress&) -> JobQueue::Continuation {
        return [&, k] { delivered.push_back(k); };
      });
    }
    release = true;
    QTRY_COMPARE_WITH_TIMEOUT(delivered.size(), std::size_t(2), 10000);
    QCOMPARE(delivered[0], 0);
    QCOMPARE(delivered[1], 5);  // only the latest "work" job ran
  }
  void jobQueueCancelsARunningJobWithTheSameTag() {
    JobQueue queue;
    QObject receiver;
    std::atomic<bool> started{false};
    std::vector<int> delivered;
    queue.post("t", &receiver, [&](tl::Progress& progress) -> JobQueue::Continuation {
      started = true;
      while (!progress.cancelled()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      throw tl::Cancelled{};
    });
    QTRY_VERIFY_WITH_TIMEOUT(started.load(), 10000);
    queue.post("t", &receiver, [&](tl::Progress&) -> JobQueue::Continuation { return [&] { delivered.push_back(2); }; });
    QTRY_COMPARE_WITH_TIMEOUT(delivered.size(), std::size_t(1), 10000);
    QCOMPARE(delivered[0], 2);
  }
  void jobQueueDropsResultsForDeletedReceivers() {
    JobQueue queue;
    bool ran = false;
    auto* receiver = new QObject;
    queue.post("t", receiver, [&](tl::Progress&) -> JobQueue::Continuation { return [&] { ran = true; }; });
    queue.waitForIdle();
    delete receiver;
    QTest::qWait(50);
    QVERIFY(!ran);
  }
  void jobQueueReportsFailures() {
    JobQueue queue;
    QObject receiver;
    QSignalSpy failed(&queue, &JobQueue::failed);
    queue.post("t", &receiver, [](tl::Progress&) -> JobQueue::Continuation { throw std::runtime_error("boom"); });
    // Emitted on the worker thread, possibly before a wait() could start: poll the count.
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 10000);
    QCOMPARE(failed.at(0).at(1).toString(), QString("boom"));
  }

  // ---- item models
  void predictionsModel() {
    AppContext context;
    PredictionsModel model(&context);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(model.rowCount(), 0);
    context.setSession(embedded());
    context.setText(kSample);
    QVERIFY(wait_for_analysis(context));
    QCOMPARE(model.rowCount(), 10);
    QCOMPARE(model.columnCount(), 3);
    QCOMPARE(model.data(model.index(0, PredictionsModel::Rank)).toInt(), 1);
    const double p0 = model.data(model.index(0, 0), PredictionsModel::ProbabilityRole).toDouble();
    QCOMPARE(p0, context.analysis()->predictions[0].probability);
    QVERIFY(model.data(model.index(0, PredictionsModel::Probability)).toString().endsWith('%'));
    context.setText(QStringLiteral("Lily"));
    QVERIFY(wait_for_analysis(context));
    QCOMPARE(model.rowCount(), 10);
  }
  void tokenListModel() {
    AppContext context;
    TokenListModel model(&context);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    context.setSession(embedded());
    context.setText(QStringLiteral("Lily ran."));
    const int n = static_cast<int>(context.encoding().size());
    QCOMPARE(model.rowCount(), n);
    QVERIFY(model.data(model.index(0, 0), TokenListModel::SpecialRole).toBool());
    QCOMPARE(model.data(model.index(1, TokenListModel::Id)).toInt(), context.encoding().ids[1]);
    // Spaces inside tokens are shown as middle dots so token boundaries stay visible.
    bool saw_dot = false;
    for (int r = 0; r < n; ++r) saw_dot |= model.data(model.index(r, TokenListModel::Text)).toString().contains(QChar(0x00b7));
    QVERIFY(saw_dot);
    QVERIFY(wait_for_analysis(context));
  }
};

QTEST_GUILESS_MAIN(TestAppContext)
#include "test_app_context.moc"
