// The main window on the embedded model (offscreen platform): panels fill in, the heatmap shows
// the map with tooltips, selection by mouse and keyboard reaches the context and the chips,
// zoom keeps the view consistent, and exporting the view writes a figure and its provenance.
#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QLineEdit>
#include <QPushButton>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QtTest>
#include <filesystem>

#include "app/gui/app_context.h"
#include "app/gui/compare_models.h"
#include "app/gui/export_dialog.h"
#include "app/gui/heatmap_view.h"
#include "app/gui/main_window.h"
#include "app/gui/panels.h"
#include "app/gui/token_chips.h"
#include "render/export.h"

using namespace tl::app;

namespace {
const QString kSample = QStringLiteral("Once upon a time, there was a little girl named Lily.");
}

class TestMainWindow : public QObject {
  Q_OBJECT
 private:
  AppContext* context_ = nullptr;
  MainWindow* window_ = nullptr;

  bool waitForAnalysis() {
    QSignalSpy spy(context_, &AppContext::analysisFinished);
    return spy.wait(60000);
  }

 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    context_ = new AppContext(this);
    window_ = new MainWindow(context_, /*restore_settings=*/false);
    window_->resize(1300, 850);
    window_->show();
    QVERIFY(QTest::qWaitForWindowExposed(window_));
    context_->setText(kSample);
    QSignalSpy spy(context_, &AppContext::analysisFinished);
    context_->loadEmbeddedModel();
    QVERIFY(spy.wait(60000));
  }
  void cleanupTestCase() { delete window_; }

  void panelsShowTheModelAndText() {
    QVERIFY(window_->windowTitle().contains("stories260K"));
    const QString info = window_->modelPanel()->text();
    QVERIFY2(info.contains("llama"), qPrintable(info));
    QVERIFY(info.contains("blocks"));
    QCOMPARE(window_->sentencePanel()->editor()->toPlainText(), kSample);
    QCOMPARE(window_->mapControls()->blockBox()->maximum(), 5);
    auto* chips = window_->sentencePanel()->chips();
    QVERIFY(chips->chipRect(static_cast<int>(context_->encoding().size()) - 1).isValid());
    QVERIFY(!chips->chipRect(static_cast<int>(context_->encoding().size())).isValid());
  }
  void heatmapShowsTheMapWithTooltips() {
    HeatmapView* view = window_->heatmap();
    QVERIFY(view->map());
    const int n = view->map()->rows();
    QCOMPARE(n, static_cast<int>(context_->encoding().size()));
    // The cell under the centre of cellRect(i, j) is (i, j).
    int i = -1, j = -1;
    QVERIFY(view->cellAt(view->cellRect(n - 1, 2).center(), &i, &j));
    QCOMPARE(i, n - 1);
    QCOMPARE(j, 2);
    const QString tip = view->tooltipText(n - 1, 2);
    QVERIFY(tip.contains(QString("row %1").arg(n - 1)));
    QVERIFY(tip.contains("column 2"));
    QVERIFY(tip.contains("rank"));
    QVERIFY(tip.contains(tl::render::format_value(view->map()->values(n - 1, 2))));
    // The drawn pixel at the centre of a cell is that cell's colour; the BOS column (special,
    // hidden from the scale by default) is grey.
    const QImage shot = view->grab().toImage();
    const QPoint c = view->cellRect(n - 1, 1).center().toPoint();
    const QRgb expected = context_->cells()->image.pixel(1, n - 1);  // as coloured (Vulkan or CPU)
    QCOMPARE(shot.pixel(c) & 0xffffff, expected & 0xffffff);
    QCOMPARE(shot.pixel(view->cellRect(n - 1, 0).center().toPoint()) & 0xffffff, tl::render::kMaskedColour & 0xffffff);
  }
  void clickAndKeysSelect() {
    HeatmapView* view = window_->heatmap();
    const QPoint p = view->cellRect(4, 2).center().toPoint();
    QTest::mouseClick(view, Qt::LeftButton, {}, p);
    QCOMPARE(context_->selectedRow(), 4);
    QCOMPARE(context_->selectedCol(), 2);
    view->setFocus();
    QTest::keyClick(view, Qt::Key_Right);
    QTest::keyClick(view, Qt::Key_Down);
    QCOMPARE(context_->selectedRow(), 5);
    QCOMPARE(context_->selectedCol(), 3);
    QTest::keyClick(view, Qt::Key_Home);
    QCOMPARE(context_->selectedCol(), 0);
    QTest::keyClick(view, Qt::Key_Escape);
    QCOMPARE(context_->selectedRow(), -1);
    // Clicking a chip selects that token's row.
    auto* chips = window_->sentencePanel()->chips();
    QTest::mouseClick(chips, Qt::LeftButton, {}, chips->chipRect(3).center());
    QCOMPARE(context_->selectedRow(), 3);
    QCOMPARE(view->selectedRow(), 3);
  }
  void zoomKeepsTheAnchorCell() {
    HeatmapView* view = window_->heatmap();
    const QPointF anchor = view->cellRect(6, 6).center();
    view->setZoom(3.0, anchor);
    QCOMPARE(view->zoom(), 3.0);
    int i = -1, j = -1;
    QVERIFY(view->cellAt(anchor, &i, &j));
    QCOMPARE(i, 6);
    QCOMPARE(j, 6);
    view->setFocus();
    QTest::keyClick(view, Qt::Key_0);
    QCOMPARE(view->zoom(), 1.0);
  }
  void switchingMethodScopeAndBlockUpdatesTheMap() {
    MapControls* controls = window_->mapControls();
    controls->methodBox()->setCurrentIndex(controls->methodBox()->findData(QStringLiteral("attention")));
    QVERIFY(waitForAnalysis());
    QVERIFY(controls->headBox()->isEnabled());  // per-head method
    QVERIFY(!controls->blockBox()->isEnabled() || context_->mapChoice().scope != tl::Scope::EndToEnd);
    controls->headBox()->setValue(2);
    QVERIFY(waitForAnalysis());
    controls->blockBox()->setValue(4);
    QVERIFY(waitForAnalysis());
    QCOMPARE(QString::fromStdString(window_->heatmap()->map()->provenance.layers), QString("head 2 of block 4"));
    controls->methodBox()->setCurrentIndex(controls->methodBox()->findData(QStringLiteral("rollout")));
    QVERIFY(waitForAnalysis());
    QVERIFY(!controls->headBox()->isEnabled());
    controls->scopeBox()->setCurrentIndex(controls->scopeBox()->findData(int(tl::Scope::EndToEnd)));
    QVERIFY(waitForAnalysis());
    QVERIFY(!controls->blockBox()->isEnabled());
    QCOMPARE(QString::fromStdString(window_->heatmap()->map()->provenance.method), QString("rollout"));
  }
  void typingReanalyses() {
    window_->sentencePanel()->editor()->setPlainText(QStringLiteral("Lily saw a cat."));
    QVERIFY(waitForAnalysis());
    QCOMPARE(window_->heatmap()->map()->rows(), static_cast<int>(context_->encoding().size()));
    QCOMPARE(QString::fromStdString(context_->analysis()->text), QStringLiteral("Lily saw a cat."));
  }
  void exportView() {
    QTemporaryDir dir;
    const QString png = dir.filePath("view.png");
    tl::render::ExportOptions options;
    options.size = QSize(800, 600);
    options.dpi = 200;
    QVERIFY(window_->exportView(png, options).ok());
    QVERIFY(QFileInfo::exists(png));
    QVERIFY(QFileInfo::exists(png + ".provenance.json"));
    QCOMPARE(QImage(png).size(), QSize(800, 600));
    QVERIFY(!window_->exportView(png, options).ok());  // no silent overwrite
    options.overwrite = true;
    QVERIFY(window_->exportView(png, options).ok());
    QVERIFY(window_->exportView(dir.filePath("view.svg"), options).ok());
    QFile svg(dir.filePath("view.svg"));
    QVERIFY(svg.open(QIODevice::ReadOnly));
    const QByteArray text = svg.readAll();
    QVERIFY(text.contains(context_->map()->provenance.method.c_str()));
    QVERIFY(text.contains(">saw<") || text.contains(" saw<"));
  }
  // Words as one row/column: the view shows words, the context keeps token indices (a word row
  // stands for its last token, a column for its first), and the export draws what the view shows.
  void wordsSelectAndExportAsWords() {
    window_->sentencePanel()->editor()->setPlainText(QStringLiteral("Once upon a time, there was a little girl."));
    QVERIFY(waitForAnalysis());
    const int tokens = context_->map()->rows();
    tl::render::HeatmapStyle s = context_->style();
    s.group_words = true;
    context_->setStyle(s);
    QVERIFY(waitForAnalysis());
    const auto cells = context_->cells();
    QVERIFY(cells->words);
    HeatmapView* view = window_->heatmap();
    QVERIFY(view->map()->rows() < tokens);  // "girl" is several tokens
    int girl = -1;
    for (int w = 0; w < view->map()->rows(); ++w)
      if (view->map()->row_labels[static_cast<std::size_t>(w)].find("girl") != std::string::npos) girl = w;
    QVERIFY(girl > 0);
    const auto [b, e] = cells->words->words[static_cast<std::size_t>(girl)];
    QVERIFY(e - b > 1);
    QTest::mouseClick(view, Qt::LeftButton, {}, view->cellRect(girl, girl).center().toPoint());
    QCOMPARE(context_->selectedRow(), e - 1);
    QCOMPARE(context_->selectedCol(), b);
    QCOMPARE(view->selectedRow(), girl);
    QTemporaryDir dir;
    QVERIFY(window_->exportView(dir.filePath("words.svg"), {}).ok());
    QFile prov(dir.filePath("words.svg.provenance.json"));
    QVERIFY(prov.open(QIODevice::ReadOnly));
    const QByteArray json = prov.readAll();
    QVERIFY(json.contains("\"group_words\": true"));
    QVERIFY(json.contains("\"words\": \"summed\""));
    s.group_words = false;
    context_->setStyle(s);
    QVERIFY(waitForAnalysis());
    QCOMPARE(view->map()->rows(), tokens);
  }
  void compareModelsOpensFromTheMainWindow() {
    CompareModelsWindow* w = window_->openComparison();
    QVERIFY(w && w->isWindow());
    QCOMPARE(w->slotA()->context()->session()->model_ptr(), context_->session()->model_ptr());  // starts from this model
    QCOMPARE(w->textEdit()->text(), context_->text());
    QCOMPARE(w->slotA()->context()->mapChoice().method, context_->mapChoice().method);
    QTRY_VERIFY_WITH_TIMEOUT(w->ready(), 60000);
    w->close();  // deletes itself
    QVERIFY(window_->modelPicker());
  }
  void exportDialog() {
    ExportDialog dialog(QStringLiteral("/tmp/figure.svg"));
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    const auto o = dialog.options();
    QVERIFY(!o.overwrite);  // never by default
    QCOMPARE(o.size, tl::render::ExportOptions{}.size);
    auto* ok = dialog.findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok);
    QVERIFY(ok->isEnabled());
    dialog.findChild<QLineEdit*>()->setText(QStringLiteral("/tmp/figure.bmp"));
    QVERIFY(!ok->isEnabled());  // unknown format
  }
};

QTEST_MAIN(TestMainWindow)
#include "test_main_window.moc"
