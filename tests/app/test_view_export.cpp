// File > Export of every view on the embedded model (offscreen platform): each view (heatmap,
// layer-wise, comparison, Jacobian, logit lens, activations) as PNG at the chosen size, SVG with
// the labels as text, PDF, and its numbers as CSV and NPY that read back as the matrix the view
// shows, each with a provenance JSON naming model, method, tokens and display options; then File >
// Export every layer: one file per block on the worker thread, refused the second time with a
// message naming an existing file.
#include <QComboBox>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "app/gui/activations_view.h"
#include "app/gui/analysis_views.h"
#include "app/gui/app_context.h"
#include "app/gui/comparison_view.h"
#include "app/gui/export_dialog.h"
#include "app/gui/heatmap_view.h"
#include "app/gui/jacobian_view.h"
#include "app/gui/layerwise_view.h"
#include "app/gui/logit_lens_view.h"
#include "app/gui/main_window.h"
#include "app/gui/panels.h"
#include "app/gui/view_models.h"
#include "core/io/npy.h"
#include "render/figure.h"
#include "tests/app/app_test_support.h"
#include "tests/csv_reader.h"

using namespace tl::app;
using tl::app::test::kSample;

namespace {
std::string read_all(const QString& path) {
  std::ifstream f(path.toStdString(), std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// The matrices a view shows, for comparing with what its CSV/NPY say.
struct Shown {
  std::vector<Eigen::MatrixXd> matrices;
  std::vector<std::string> row_labels;
  std::string method;  // the provenance's method
};
}  // namespace

class TestViewExport : public QObject {
  Q_OBJECT
 private:
  AppContext* context_ = nullptr;
  MainWindow* window_ = nullptr;
  QTemporaryDir dir_;

  bool openView(const QString& name) {
    QSignalSpy spy(window_->views(), &AnalysisViews::viewReady);
    if (!window_->views()->setCurrentView(name)) return false;
    if (name == QLatin1String("heatmap")) return context_->cells() != nullptr;
    QElapsedTimer timer;
    timer.start();
    for (int seen = 0; timer.elapsed() < 120000;) {
      for (; seen < spy.count(); ++seen)
        if (spy.at(seen).at(0).toString() == name) return true;
      spy.wait(200);
    }
    return false;
  }

  Shown shown(const QString& name) const {
    AnalysisViews* v = window_->views();
    if (name == QLatin1String("heatmap")) {
      const auto m = window_->heatmap()->map();
      return {{m->values}, m->row_labels, m->provenance.method};
    }
    if (name == QLatin1String("layers")) {
      Shown s;
      for (int k = 0; k < v->layers()->tiles()->count(); ++k) s.matrices.push_back(v->layers()->tiles()->tile(k).map->values);
      s.row_labels = v->layers()->tiles()->tile(0).map->row_labels;
      s.method = v->layers()->shown()->method;
      return s;
    }
    if (name == QLatin1String("compare")) {
      const auto c = v->comparison()->comparison();
      return {{c->a->values, c->b->values, c->difference->values}, c->a->row_labels, c->a->provenance.method};
    }
    if (name == QLatin1String("jacobian")) {
      const auto b = v->jacobian()->blocks();
      return {{b->lens_block->values, b->true_block->values}, b->lens_block->row_labels, b->lens_block->provenance.method};
    }
    if (name == QLatin1String("logit-lens")) {
      const tl::LogitLens* lens = v->logitLens()->model()->lens();
      return {{lens->rank.cast<double>().transpose(), lens->probability.transpose()}, context_->analysis()->labels, "logit-lens"};
    }
    const auto m = v->activations()->heatmap()->map();
    return {{m->values}, m->row_labels, m->provenance.method};
  }

  void checkExports(const QString& name) {
    QVERIFY2(openView(name), qPrintable(name));
    const Shown want = shown(name);
    QVERIFY(!want.matrices.empty());
    tl::render::ExportOptions o;
    o.size = QSize(1000, 700);
    o.dpi = 120;
    for (const char* ext : {"png", "svg", "pdf", "csv", "npy"}) {
      const QString path = dir_.filePath(name + "." + ext);
      const tl::Status s = window_->exportView(path, o);
      QVERIFY2(s.ok(), qPrintable(name + "." + ext + ": " + QString::fromStdString(s.ok() ? "" : s.error().message)));
      const auto prov = nlohmann::json::parse(read_all(path + ".provenance.json"));
      QCOMPARE(QString::fromStdString(prov["view"].get<std::string>()), name);
      QVERIFY2(!prov["model"].get<std::string>().empty(), qPrintable(name));
      QVERIFY(prov["model"].get<std::string>().find("stories260K") != std::string::npos);
      QCOMPARE(prov["method"].get<std::string>(), want.method);
      QCOMPARE(prov["text"].get<std::string>(), kSample.toStdString());
      QCOMPARE(prov["tool_version"].get<std::string>(), std::string(TL_VERSION));
      QCOMPARE(prov["sentence_tokens"].get<std::vector<std::string>>(), context_->analysis()->labels);
      for (const char* option : {"row_normalise", "log_scale", "hide_special", "group_words", "shared_scale"})
        QVERIFY2(prov["display_options"].contains(option), option);
    }
    const QImage png(dir_.filePath(name + ".png"));
    QCOMPARE(png.size(), QSize(1000, 700));
    QVERIFY(png.save(QString::fromLatin1(TL_TEST_TMP_DIR) + "/view-export-" + name + ".png"));  // to look at
    const std::string svg = read_all(dir_.filePath(name + ".svg"));
    QVERIFY(svg.find("<text") != std::string::npos);
    // The first row label is always drawn (labels thin out from row 0 when cells are small).
    const std::string first = tl::render::visible_label(want.row_labels.front()).toHtmlEscaped().toStdString();
    QVERIFY2(svg.find(">" + first + "<") != std::string::npos, first.c_str());
    QVERIFY(read_all(dir_.filePath(name + ".pdf")).rfind("%PDF", 0) == 0);

    // CSV: a header, then every row of every matrix (a name column when several).
    const auto rows = tl::test::read_csv(read_all(dir_.filePath(name + ".csv")));
    const bool several = want.matrices.size() > 1;
    const int value_col = several ? 2 : 1;
    const auto& m0 = want.matrices.front();
    QCOMPARE(rows.size(), std::size_t(1 + want.matrices.size() * static_cast<std::size_t>(m0.rows())));
    std::size_t line = 1;
    for (const auto& m : want.matrices) {
      for (int i = 0; i < m.rows(); ++i, ++line) {
        QCOMPARE(rows[line].size(), static_cast<std::size_t>(value_col + m.cols()));
        for (int j = 0; j < m.cols(); ++j) {
          const double got = std::strtod(rows[line][static_cast<std::size_t>(value_col + j)].c_str(), nullptr);
          QVERIFY2(got == m(i, j) || (std::isnan(got) && std::isnan(m(i, j))),
                   qPrintable(QString("%1 csv (%2,%3): %4 vs %5").arg(name).arg(i).arg(j).arg(got).arg(m(i, j))));
        }
      }
    }
    // NPY: [rows, cols], or [matrices, rows, cols].
    auto npy = tl::read_npy(dir_.filePath(name + ".npy").toStdString());
    QVERIFY(npy.ok());
    std::vector<std::int64_t> shape = {m0.rows(), m0.cols()};
    if (several) shape.insert(shape.begin(), static_cast<std::int64_t>(want.matrices.size()));
    QCOMPARE(npy->shape, shape);
    const auto& last = want.matrices.back();
    const std::int64_t r = last.rows() - 1, c = last.cols() / 2;
    QCOMPARE(several ? npy->at({static_cast<std::int64_t>(want.matrices.size()) - 1, r, c}) : npy->at({r, c}),
             last(r, c));
  }

 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(dir_.isValid());
    context_ = new AppContext(this);
    window_ = new MainWindow(context_, /*restore_settings=*/false);
    window_->resize(1400, 900);
    window_->show();
    QVERIFY(QTest::qWaitForWindowExposed(window_));
    context_->loadEmbeddedModel();
    QTRY_VERIFY_WITH_TIMEOUT(context_->hasModel(), 60000);
    // Typed into the sentence box, as a user would.
    window_->sentencePanel()->editor()->setPlainText(kSample);
    QTRY_VERIFY_WITH_TIMEOUT(!context_->jobs().busy() && context_->cells() && context_->analysis() &&
                                 QString::fromStdString(context_->analysis()->text) == kSample,
                             60000);
  }
  void cleanupTestCase() { delete window_; }

  void heatmap() {
    // A readability option is recorded as chosen.
    tl::render::HeatmapStyle s = context_->style();
    s.row_normalise = true;
    QSignalSpy spy(context_, &AppContext::analysisFinished);
    context_->setStyle(s);
    QVERIFY(spy.wait(60000));
    checkExports(QStringLiteral("heatmap"));
    const auto prov = nlohmann::json::parse(read_all(dir_.filePath("heatmap.svg.provenance.json")));
    QCOMPARE(prov["display_options"]["row_normalise"].get<bool>(), true);
    QCOMPARE(prov["style"]["row_normalise"].get<bool>(), true);
    s.row_normalise = false;
    context_->setStyle(s);
    QVERIFY(spy.wait(60000));
  }
  void layers() { checkExports(QStringLiteral("layers")); }
  void compare() { checkExports(QStringLiteral("compare")); }
  void jacobian() { checkExports(QStringLiteral("jacobian")); }
  void logitLens() { checkExports(QStringLiteral("logit-lens")); }
  void activations() { checkExports(QStringLiteral("activations")); }

  void evaluationSaysWhereItsExportIs() {
    window_->views()->setCurrentView(QStringLiteral("evaluation"));
    const tl::Status s = window_->exportView(dir_.filePath("evaluation.png"), {});
    QVERIFY(!s.ok());
    QVERIFY(s.error().message.find("its own Export") != std::string::npos);
    window_->views()->setCurrentView(QStringLiteral("heatmap"));
  }

  void everyLayerWritesOneFilePerBlockAndNeverOverwrites() {
    // A per-block method: one file per block, L in all.
    context_->setMethod(QStringLiteral("attention"));
    context_->setScope(tl::Scope::Block);
    QTRY_VERIFY_WITH_TIMEOUT(!context_->jobs().busy() && context_->map() && context_->map()->provenance.method == "attention", 60000);
    const int layers = context_->session()->spec().num_layers;
    const QString out = dir_.filePath("every-layer");
    QSignalSpy done(window_, &MainWindow::everyLayerExported);
    tl::render::ExportOptions o;
    o.size = QSize(600, 500);
    QVERIFY(window_->exportEveryLayer(out, tl::render::ExportFormat::Png, o));
    QVERIFY(done.wait(120000));
    QVERIFY2(done.at(0).at(0).toBool(), qPrintable(done.at(0).at(1).toString()));
    const QStringList files = QDir(out).entryList({QStringLiteral("*.png")}, QDir::Files, QDir::Name);
    QCOMPARE(files.size(), layers);
    QCOMPARE(files.front(), QStringLiteral("attention-block01.png"));
    for (const QString& f : files) QCOMPARE(QImage(QDir(out).filePath(f)).size(), QSize(600, 500));
    const auto prov = nlohmann::json::parse(read_all(QDir(out).filePath("attention-layers.provenance.json")));
    QCOMPARE(prov["files"].size(), static_cast<std::size_t>(layers));
    QCOMPARE(prov["method"].get<std::string>(), std::string("attention"));
    QCOMPARE(prov["head"].get<int>(), 0);
    QCOMPARE(prov["sentence_tokens"].get<std::vector<std::string>>(), context_->analysis()->labels);
    QVERIFY(prov["style"].contains("shared_range"));

    // Again into the same folder: refused, naming the first existing file; nothing changes.
    const QDateTime before = QFileInfo(QDir(out).filePath(files.back())).lastModified();
    QVERIFY(window_->exportEveryLayer(out, tl::render::ExportFormat::Png, o));
    QVERIFY(done.wait(120000));
    QVERIFY(!done.at(1).at(0).toBool());
    QVERIFY2(done.at(1).at(1).toString().contains("attention-block01.png: already exists"), qPrintable(done.at(1).at(1).toString()));
    QCOMPARE(QFileInfo(QDir(out).filePath(files.back())).lastModified(), before);

    // CSV of every block, cumulative for a method that composes (tensorlens-in: blocks 1..l, plus end to end).
    context_->setMethod(QStringLiteral("tensorlens-in"));
    context_->setScope(tl::Scope::Through);
    QTRY_VERIFY_WITH_TIMEOUT(!context_->jobs().busy() && context_->map() && context_->map()->provenance.method == "tensorlens-in", 60000);
    QVERIFY(window_->exportEveryLayer(out, tl::render::ExportFormat::Csv, o));
    QVERIFY(done.wait(120000));
    QVERIFY2(done.at(2).at(0).toBool(), qPrintable(done.at(2).at(1).toString()));
    const QStringList csv = QDir(out).entryList({QStringLiteral("tensorlens-in-*.csv")}, QDir::Files, QDir::Name);
    QVERIFY(csv.size() == layers || csv.size() == layers + 1);  // + the end-to-end map after the final norm
    QVERIFY(csv.contains(QStringLiteral("tensorlens-in-blocks1-02.csv")));
  }

  void exportDialogFolderMode() {
    ExportDialog dialog(dir_.filePath("folder"), nullptr, ExportDialog::Target::Folder);
    QVERIFY(dialog.formatBox());
    dialog.formatBox()->setCurrentText(QStringLiteral("npy"));
    QCOMPARE(*dialog.format(), tl::render::ExportFormat::Npy);
    QVERIFY(!dialog.options().overwrite);
    ExportDialog file(dir_.filePath("numbers.csv"));
    QCOMPARE(*file.format(), tl::render::ExportFormat::Csv);
  }
};

QTEST_MAIN(TestViewExport)
#include "test_view_export.moc"
