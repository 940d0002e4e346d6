// Two models side by side (offscreen): the embedded Llama (SentencePiece, 5 blocks) next to a
// 2-block BERT (WordPiece) built in a temporary folder from the tiny-bert reference checkpoint and
// a small vocab.txt. Checks each slot's own tokenization, the shared method, the relative block
// (round(l * L_B / L_A)), and hover linking by byte-span overlap. Also the pure helpers.
#include <QComboBox>
#include <QLineEdit>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>
#include <filesystem>
#include <fstream>

#include "app/gui/compare_models.h"
#include "app/gui/heatmap_view.h"
#include "app/gui/model_pair.h"
#include "app/gui/token_chips.h"

using namespace tl::app;
namespace fs = std::filesystem;

namespace {

const QString kText = QStringLiteral("Once upon a time, there was a little girl named Lily.");

// tiny-bert (random weights, vocabulary 1000) with a WordPiece vocabulary covering the sentence:
// whole words, and "lily" only as pieces (l ##i ##ly), so one word is several tokens.
fs::path make_bert_folder(const fs::path& dir) {
  const fs::path src = fs::path(TL_TEST_DATA_DIR) / "reference-models" / "tiny-bert";
  fs::create_directories(dir);
  fs::copy_file(src / "config.json", dir / "config.json");
  fs::copy_file(src / "model.safetensors", dir / "model.safetensors");
  std::ofstream v(dir / "vocab.txt");
  for (const char* w : {"[PAD]", "[UNK]", "[CLS]", "[SEP]",  "[MASK]", ",",     ".", "once", "upon", "a",
                        "time",  "there", "was",   "little", "girl",   "named", "l", "##i",  "##ly", "saw"})
    v << w << "\n";
  return dir;
}

SessionPtr embedded() {
  auto s = tl::engine::Session::open_embedded();
  if (!s) qFatal("embedded model: %s", s.error().message.c_str());
  return s.value();
}

}  // namespace

class TestCompareModels : public QObject {
  Q_OBJECT
 private slots:
  void relativeLayer() {
    QCOMPARE(relative_layer(1, 5, 2), 1);  // round(0.4) = 0, kept inside 1..2
    QCOMPARE(relative_layer(3, 5, 2), 1);  // round(1.2)
    QCOMPARE(relative_layer(4, 5, 2), 2);  // round(1.6)
    QCOMPARE(relative_layer(5, 5, 2), 2);
    QCOMPARE(relative_layer(1, 2, 5), 3);  // round(2.5), halves away from zero
    QCOMPARE(relative_layer(2, 2, 5), 5);
    QCOMPARE(relative_layer(7, 12, 12), 7);
    QCOMPARE(relative_layer(3, 0, 4), 3);
  }
  void overlapByByteSpans() {
    tl::Encoding to;
    to.spans = {{0, 0}, {0, 4}, {4, 9}, {9, 10}, {10, 10}};  // [CLS] once upon . [SEP] (spaces inside)
    QCOMPARE(overlapping_tokens(to, 2, 6), std::vector<int>({1, 2}));
    QCOMPARE(overlapping_tokens(to, 0, 0), std::vector<int>({0}));  // BOS <-> CLS at the start
    QCOMPARE(overlapping_tokens(to, 10, 10), std::vector<int>({4}));
    QCOMPARE(overlapping_tokens(to, 9, 10), std::vector<int>({3}));
    QCOMPARE(byte_range(to, 1, 3), std::make_pair(std::size_t(0), std::size_t(10)));
    QCOMPARE(byte_range(to, 0, 0), std::make_pair(std::size_t(0), std::size_t(0)));
  }
  void twoModelsSideBySide() {
    QTemporaryDir dir;
    const fs::path bert = make_bert_folder(fs::path(dir.path().toStdString()) / "tiny-bert-wordpiece");
    CompareModelsWindow w(embedded(), kText);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    AppContext* a = w.slotA()->context();
    AppContext* b = w.slotB()->context();
    QSignalSpy b_loaded(b, &AppContext::modelChanged);
    QTRY_VERIFY_WITH_TIMEOUT(b->hasModel(), 60000);  // the embedded model first
    b->openModelFolder(QString::fromStdString(bert.string()));
    QTRY_VERIFY_WITH_TIMEOUT(b->hasModel() && b->session()->spec().num_layers == 2, 60000);
    QCOMPARE(a->numBlocks(), 5);

    w.setMethod("attention-mean");  // per block only: scope becomes "block alone" in both
    w.setBlock(4);
    QCOMPARE(a->mapChoice().scope, tl::Scope::Block);
    QCOMPARE(b->mapChoice().method, std::string("attention-mean"));
    QCOMPARE(a->mapChoice().block, 4);
    QCOMPARE(b->mapChoice().block, 2);  // round(4 * 2 / 5)
    QTRY_VERIFY_WITH_TIMEOUT(w.ready() && a->map() && b->map() && a->map()->provenance.layers == "block 4" &&
                                 b->map()->provenance.layers == "block 2",
                             60000);
    // Each model its own tokenization of the same text.
    QCOMPARE(a->text(), kText);
    QCOMPARE(b->text(), kText);
    const tl::Encoding& ea = a->encoding();
    const tl::Encoding& eb = b->encoding();
    QCOMPARE(QString::fromStdString(eb.tokens.front()), QString("[CLS]"));
    QCOMPARE(QString::fromStdString(eb.tokens.back()), QString("[SEP]"));
    QCOMPARE(b->map()->rows(), static_cast<int>(eb.size()));
    QCOMPARE(a->map()->rows(), static_cast<int>(ea.size()));
    QVERIFY(ea.size() != eb.size());

    // Hover the token row of "Lily" in A: B outlines exactly its tokens overlapping those bytes.
    const std::size_t lily = kText.toStdString().find("Lily");
    int row_a = -1;
    for (std::size_t k = 0; k < ea.size(); ++k)
      if (ea.spans[k].first <= lily && lily < ea.spans[k].second) row_a = static_cast<int>(k);
    QVERIFY(row_a > 0);
    w.linkHover(w.slotA(), row_a, 0);
    const auto& rows = w.slotB()->heatmap()->highlightedRows();
    QVERIFY(!rows.empty());
    for (std::size_t k = 0; k < eb.size(); ++k) {
      const auto& s = eb.spans[k];
      const bool overlaps = s.first < ea.spans[row_a].second && ea.spans[row_a].first < s.second;
      const bool outlined = std::find(rows.begin(), rows.end(), static_cast<int>(k)) != rows.end();
      QCOMPARE(outlined, overlaps);
    }
    QCOMPARE(w.slotB()->heatmap()->highlightedCols(), std::vector<int>({0}));  // A's BOS <-> B's [CLS]
    QVERIFY(!w.slotB()->chips()->highlighted().empty());
    // And the other way: B's "l ##i ##ly" as one word row (words grouped) links to A's Lily tokens.
    tl::render::HeatmapStyle s = a->style();
    s.group_words = true;
    w.setStyle(s);
    QTRY_VERIFY_WITH_TIMEOUT(w.ready() && b->cells() && b->cells()->words, 60000);
    const auto cb = b->cells();
    int word_b = -1;
    for (int k = 0; k < cb->words->size(); ++k)
      if (cb->map->row_labels[static_cast<std::size_t>(k)] == "lily") word_b = k;
    QVERIFY2(word_b >= 0, "l ##i ##ly form one word row");
    w.linkHover(w.slotB(), word_b, word_b);
    QVERIFY(!w.slotA()->heatmap()->highlightedRows().empty());
    w.linkHover(w.slotB(), -1, -1);
    QVERIFY(w.slotA()->heatmap()->highlightedRows().empty());

    // Method changes reach both; end to end needs no block mapping.
    w.setMethod("rollout");
    w.setScope(tl::Scope::EndToEnd);
    QCOMPARE(b->mapChoice().method, std::string("rollout"));
    QCOMPARE(b->mapChoice().scope, tl::Scope::EndToEnd);
    QTRY_VERIFY_WITH_TIMEOUT(w.ready() && b->map() && b->map()->provenance.method == "rollout", 60000);
    // A new text goes to both.
    w.textEdit()->setText(QStringLiteral("Lily saw a girl."));
    QCOMPARE(b->text(), QString("Lily saw a girl."));
    QTRY_VERIFY_WITH_TIMEOUT(w.ready() && b->analysis() && QString::fromStdString(b->analysis()->text) == b->text(), 60000);
  }
};

QTEST_MAIN(TestCompareModels)
#include "test_compare_models.moc"
