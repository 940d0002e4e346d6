// The Evaluation panel on the embedded model (offscreen platform): it lists the bundled sentence
// set, runs the perturbation test as a job and shows one table row per method with AUCs that
// agree with the report, the curves image, exports JSON + Markdown + PNG without overwriting, and
// a cancelled run ends cleanly and leaves the panel usable; identifiability gives one row per
// stage (the embeddings identify themselves), relations one row per relation and stage.
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

#include "app/gui/app_context.h"
#include "app/gui/evaluation_view.h"

using namespace tl::app;

class TestEvaluationView : public QObject {
  Q_OBJECT
 private:
  AppContext* context_ = nullptr;
  EvaluationView* view_ = nullptr;

 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    context_ = new AppContext(this);
    QSignalSpy spy(context_, &AppContext::analysisFinished);
    context_->setText(QStringLiteral("Once upon a time"));
    context_->loadEmbeddedModel();
    QVERIFY(spy.wait(60000));
    view_ = new EvaluationView(context_);
    view_->resize(1200, 800);
    view_->show();
  }
  void cleanupTestCase() { delete view_; }

  void bundledSetIsThere() {
    const QStringList lines = EvaluationView::bundledSentences();
    QCOMPARE(lines.size(), 200);
    QVERIFY(lines.front().startsWith("Once upon a time"));
  }

  void runsAndShowsEveryMethod() {
    view_->setSentences(EvaluationView::bundledSentences().mid(0, 4));
    view_->setMethods({"rollout", "tensorlens-in", "random"});
    QSignalSpy done(view_, &EvaluationView::finished);
    view_->run();
    QVERIFY(done.wait(120000));
    QCOMPARE(done.at(0).at(0).toBool(), true);
    auto report = view_->report();
    QVERIFY(report);
    QCOMPARE(report->sentences.size(), size_t(4));
    QCOMPARE(report->methods.size(), size_t(3));
    auto* table = view_->findChild<QTableWidget*>();
    QVERIFY(table);
    QCOMPARE(table->rowCount(), 3);
    for (int row = 0; row < 3; ++row) {
      const auto& m = report->methods[size_t(row)];
      QVERIFY2(m.error.empty(), m.error.c_str());
      QCOMPARE(table->item(row, 0)->text(), QString::fromStdString(m.method));
      // The cell starts with the mean AUC, within the removal range [0, 0.9].
      const double auc = table->item(row, 1)->text().section(' ', 0, 0).toDouble();
      QVERIFY(std::abs(auc - m.positive.auc_probability.mean) < 1e-3);
      QVERIFY(auc >= 0 && auc <= 0.9);
      QVERIFY(m.positive.auc_probability.low <= m.positive.auc_probability.mean + 1e-12);
      QVERIFY(m.positive.auc_probability.mean <= m.positive.auc_probability.high + 1e-12);
    }
  }

  void exportsWithoutOverwriting() {
    QTemporaryDir dir;
    const QString json = dir.filePath("report.json");
    QVERIFY(view_->exportReport(json).ok());
    for (const char* ext : {"report.json", "report.md", "report.png"}) QVERIFY(QFile::exists(dir.filePath(ext)));
    QFile f(json);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QVERIFY(QJsonDocument::fromJson(f.readAll()).isObject());
    QImage png(dir.filePath("report.png"));
    QVERIFY(!png.isNull());
    QVERIFY(png.width() > 800);
    const tl::Status again = view_->exportReport(json);
    QVERIFY(!again.ok());
    QVERIFY(QString::fromStdString(again.error().message).contains("overwrite"));
  }

  void identifiabilityHasEveryStage() {
    view_->setTest(EvaluationView::Test::Identifiability);
    view_->setSentences(EvaluationView::bundledSentences().mid(0, 5));
    QSignalSpy done(view_, &EvaluationView::finished);
    view_->run();
    QVERIFY(done.wait(60000));
    QCOMPARE(done.at(0).at(0).toBool(), true);
    const int L = context_->session()->spec().num_layers;
    QCOMPARE(view_->resultRows(), L + 1);
    QCOMPARE(view_->resultCell(0, 1).toDouble(), 1.0);  // embeddings are their own nearest embedding
    for (int r = 0; r <= L; ++r) {
      const double share = view_->resultCell(r, 1).toDouble();
      QVERIFY(share >= 0 && share <= 1);
    }
  }

  void relationsGiveFaithfulnessPerStage() {
    view_->setTest(EvaluationView::Test::Relations);
    QVERIFY(EvaluationView::bundledRelations().contains("relation:"));
    auto* box = view_->findChild<QPlainTextEdit*>();
    QVERIFY(box);
    box->setPlainText("relation: subject pronoun\ntemplate: {} was happy.\nLily -> She\nSue -> She\nTim -> He\nBen -> He\n");
    QSignalSpy done(view_, &EvaluationView::finished);
    view_->run();
    QVERIFY(done.wait(120000));
    QCOMPARE(done.at(0).at(0).toBool(), true);
    const int L = context_->session()->spec().num_layers;
    QCOMPARE(view_->resultRows(), L);  // one relation, subject stages 0..L-1
    for (int r = 0; r < L; ++r) {
      QCOMPARE(view_->resultCell(r, 0), QString("subject pronoun"));
      for (int c = 2; c <= 4; ++c) {
        const double v = view_->resultCell(r, c).toDouble();
        QVERIFY(v >= 0 && v <= 1);
      }
    }
    // Switching back restores the sentences.
    view_->setTest(EvaluationView::Test::Perturbation);
    QVERIFY(!box->toPlainText().contains("relation:"));
  }

  void cancelLeavesThePanelUsable() {
    view_->setSentences(EvaluationView::bundledSentences());
    view_->setMethods({"integrated-gradients", "occlusion"});
    QSignalSpy done(view_, &EvaluationView::finished);
    view_->run();
    QTest::qWait(200);
    view_->cancel();
    QVERIFY(done.count() >= 1);
    QCOMPARE(done.at(0).at(0).toBool(), false);
    context_->jobs().waitForIdle();
    QTest::qWait(100);
    // Still usable: a small run completes.
    done.clear();
    view_->setSentences(EvaluationView::bundledSentences().mid(0, 2));
    view_->setMethods({"attention-mean"});
    view_->run();
    QVERIFY(done.wait(60000));
    QCOMPARE(done.last().at(0).toBool(), true);
    QCOMPARE(view_->report()->methods.size(), size_t(1));
  }
};

QTEST_MAIN(TestEvaluationView)
#include "test_evaluation_view.moc"
