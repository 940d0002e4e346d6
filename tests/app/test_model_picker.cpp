// Picking models (a fake Hugging Face cache in a temporary folder, checked with
// QAbstractItemModelTester; picking a row loads that folder), the target token of the Out maps,
// and words as one row/column in the application context (offscreen platform).
#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QMenu>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>
#include <filesystem>
#include <fstream>

#include "app/gui/app_context.h"
#include "app/gui/model_list.h"
#include "tests/app/app_test_support.h"

using namespace tl::app;
using tl::app::test::embedded;
using tl::app::test::wait_for_analysis;
namespace fs = std::filesystem;

namespace {

const fs::path kData = TL_TEST_DATA_DIR;

// A cache root with stories260K (loadable: config, weights, tokenizer.json as blob links) and a
// repository whose snapshot has only config.json (listed, not loadable).
fs::path make_cache(const fs::path& root) {
  const fs::path repo = root / "models--karpathy--stories260K";
  const std::string rev = "0123456789abcdef0123456789abcdef01234567";
  fs::create_directories(repo / "snapshots" / rev);
  fs::create_directories(repo / "blobs");
  fs::create_directories(repo / "refs");
  std::ofstream(repo / "refs" / "main") << rev;
  for (const char* f : {"config.json", "model.safetensors", "tokenizer.json"}) {
    fs::copy_file(kData / "stories260K" / f, repo / "blobs" / f);
    fs::create_symlink(fs::path("../../blobs") / f, repo / "snapshots" / rev / f);
  }
  const fs::path bare = root / "models--someone--config-only" / "snapshots" / "r1";
  fs::create_directories(bare);
  std::ofstream(bare / "config.json") << R"({"model_type": "gpt2"})";
  return repo / "snapshots" / rev;
}

}  // namespace

class TestModelPicker : public QObject {
  Q_OBJECT
 private slots:
  void listModelFollowsTheCache() {
    QTemporaryDir dir;
    const fs::path root = fs::path(dir.path().toStdString()) / "hub";
    ModelListModel list;
    QAbstractItemModelTester tester(&list, QAbstractItemModelTester::FailureReportingMode::QtTest);
    list.setCacheRoots({root});  // missing folder: embedded + Open folder only
    QCOMPARE(list.rowCount(), 2);
    QCOMPARE(list.index(0).data(ModelListModel::KindRole).toInt(), int(ModelListModel::Embedded));
    QCOMPARE(list.index(1).data(ModelListModel::KindRole).toInt(), int(ModelListModel::OpenFolder));
    const fs::path snap = make_cache(root);
    list.rescan();
    QCOMPARE(list.rowCount(), 4);
    QCOMPARE(list.index(1).data().toString(), QString("karpathy/stories260K (llama)"));
    QVERIFY(list.flags(list.index(1)) & Qt::ItemIsEnabled);
    QCOMPARE(list.index(1).data(ModelListModel::FolderRole).toString(),
             QString::fromStdString(snap.string()));
    QCOMPARE(list.index(2).data().toString(), QString("someone/config-only (gpt2)"));
    QVERIFY(!(list.flags(list.index(2)) & Qt::ItemIsEnabled));  // no weights: listed, not pickable
    QVERIFY(list.index(2).data(Qt::ToolTipRole).toString().contains("safetensors"));
    QCOMPARE(list.rowForSource(snap.string()), 1);
    QCOMPARE(list.rowForSource("embedded:stories260K"), 0);
  }
  void pickingACachedModelLoadsIt() {
    QTemporaryDir dir;
    const fs::path root = fs::path(dir.path().toStdString()) / "hub";
    const fs::path snap = make_cache(root);
    AppContext context;
    ModelPicker picker(&context);
    picker.list()->setCacheRoots({root});
    QSignalSpy loaded(&context, &AppContext::modelChanged);
    picker.activate(1);
    QVERIFY(loaded.wait(60000));
    QCOMPARE(QString::fromStdString(context.session()->model().source), QString::fromStdString(snap.string()));
    QCOMPARE(picker.combo()->currentIndex(), 1);  // the combo shows what is loaded
    picker.activate(2);                           // not loadable: nothing happens
    QVERIFY(!loaded.wait(300));
    picker.activate(0);
    QVERIFY(loaded.wait(60000));
    QCOMPARE(picker.combo()->currentIndex(), 0);
    QVERIFY(QString::fromStdString(context.session()->display_name()).contains("embedded"));
    // The File menu lists the same models.
    QMenu menu;
    picker.fillCacheMenu(&menu);
    QCOMPARE(menu.actions().size(), 2);
    QCOMPARE(menu.actions()[0]->text(), QString("karpathy/stories260K (llama)"));
    QVERIFY(menu.actions()[0]->isEnabled());
    QVERIFY(!menu.actions()[1]->isEnabled());
  }
  void targetTokenDrivesTheOutMaps() {
    AppContext context;
    context.setSession(embedded());
    context.setText(QStringLiteral("Once upon a time, there was a little girl named Lily."));
    QVERIFY(wait_for_analysis(context));
    context.setMethod("tensorlens-in-out");
    QVERIFY(wait_for_analysis(context));
    const auto a = context.analysis();
    const Eigen::MatrixXd by_prediction = context.map()->values;
    // Default: the prediction. Its row at the last position plus the bias is the logit of the
    // predicted token (docs/TENSORLENS.md §5.5), so choosing the top prediction gives the same map there.
    const int n = a->trace->num_tokens();
    const int top = a->predictions[0].id;
    const int second = a->predictions[1].id;
    context.setTarget(second);
    QCOMPARE(context.mapChoice().target_token, second);
    QVERIFY(wait_for_analysis(context));
    const auto m2 = context.map();
    QCOMPARE(m2->bias.size(), Eigen::Index(n));
    const double logit2 = a->trace->logits(n - 1, second);
    QVERIFY2(std::abs(m2->values.row(n - 1).sum() + m2->bias[n - 1] - logit2) <
                 1e-3 * std::max(1.0, std::abs(logit2)),
             "rows + bias = the chosen target's logit");
    QVERIFY((m2->values - by_prediction).cwiseAbs().maxCoeff() > 1e-6);
    context.setTarget(top);
    QVERIFY(wait_for_analysis(context));
    QVERIFY((context.map()->values.row(n - 1) - by_prediction.row(n - 1)).cwiseAbs().maxCoeff() < 1e-9);
    // A new model resets the target (ids belong to one vocabulary).
    context.setSession(embedded());
    QCOMPARE(context.mapChoice().target_token, -1);
    QVERIFY(tl::find_method("tensorlens-out")->uses_target);
    QVERIFY(!tl::find_method("tensorlens-in")->uses_target);
    QVERIFY(!tl::find_method("rollout")->uses_target);
  }
  void wordsAsOneRowAndColumn() {
    AppContext context;
    context.setSession(embedded());
    context.setText(QStringLiteral("Once upon a time, Lily saw a butterfly."));
    QVERIFY(wait_for_analysis(context));
    const auto tokens = context.map();
    tl::render::HeatmapStyle s = context.style();
    s.group_words = true;
    context.setStyle(s);
    QVERIFY(wait_for_analysis(context));
    const auto cells = context.cells();
    QVERIFY(cells->words && cells->word_rows && cells->word_cols);
    QCOMPARE(context.map(), tokens);  // the context keeps the token map; the cells show words
    const auto& words = *cells->words;
    QVERIFY(cells->map->rows() == words.size() && words.size() < tokens->rows());
    QVERIFY(std::abs(cells->map->values.sum() - tokens->values.sum()) <
            1e-9 * std::max(1.0, tokens->values.sum()));
    QCOMPARE(QString::fromStdString(cells->map->col_labels.back()), QString("."));
    QCOMPARE(cells->image.size(), QSize(words.size(), words.size()));
    // Token <-> drawn row/column: a word row stands for its last token, a column for its first.
    for (int w = 0; w < words.size(); ++w) {
      const auto [b, e] = words.words[static_cast<std::size_t>(w)];
      QCOMPARE(cells->tokenRow(w), e - 1);
      QCOMPARE(cells->tokenCol(w), b);
      QCOMPARE(cells->displayRow(b), w);
      QCOMPARE(cells->displayCol(e - 1), w);
    }
    QVERIFY(cells->special.col(0));  // BOS stays special (and alone)
  }
};

QTEST_MAIN(TestModelPicker)
#include "test_model_picker.moc"
