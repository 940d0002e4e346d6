// The Vulkan heatmap path against the CPU rasteriser (golden): every pixel is the CPU's colour or
// the neighbouring colormap entry (fp32 on the GPU vs double on the CPU at an entry boundary).
// Skipped when the machine has no Vulkan device, unless TL_REQUIRE_GPU=1.
#include <QtTest>
#include <cstdlib>
#include <random>

#include "render/vulkan_heatmap.h"

using namespace tl::render;

namespace {

// Built with += : GCC 12 warns (-Wrestrict, a false positive) on "literal" + std::string&&.
std::string label(const char* prefix, int k) {
  std::string s(prefix);
  s += std::to_string(k);
  return s;
}

tl::Map random_map(int rows, int cols, bool is_signed, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(is_signed ? -2.0 : 0.0, 2.0);
  tl::Map m;
  m.values.resize(rows, cols);
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) m.values(i, j) = u(rng);
  m.is_signed = is_signed;
  for (int j = 0; j < std::max(rows, cols); ++j) m.row_labels.push_back(label("t", j));
  m.row_labels.resize(static_cast<std::size_t>(rows));
  m.col_labels.assign(static_cast<std::size_t>(cols), "c");
  return m;
}

// The pixel is the CPU's entry or one of its neighbours in the table.
bool close_to_cpu(QRgb gpu, const PreparedHeatmap& p, int i, int j) {
  if (p.masked(i, j)) return gpu == kMaskedColour;
  const int k = static_cast<int>(std::lround(p.scale.position(p.values(i, j)) * 255.0));
  for (int d = -1; d <= 1; ++d) {
    const int e = std::clamp(k + d, 0, 255);
    if (gpu == p.scale.colormap().entry(e)) return true;
  }
  return false;
}

}  // namespace

class TestVulkanHeatmap : public QObject {
  Q_OBJECT
  std::unique_ptr<VulkanHeatmapRenderer> renderer_;

 private slots:
  void initTestCase() {
    if (!std::getenv("XDG_RUNTIME_DIR")) qputenv("XDG_RUNTIME_DIR", QByteArray(TL_TEST_TMP_DIR));
    auto r = VulkanHeatmapRenderer::create();
    if (!r) {
      if (qEnvironmentVariableIntValue("TL_REQUIRE_GPU") == 1) QFAIL(r.error().message.c_str());
      QSKIP(qPrintable(QString::fromStdString("no Vulkan: " + r.error().message)));
    }
    renderer_ = std::move(r.value());
    qInfo("device: %s", renderer_->device().name.c_str());
  }

  void matchesTheCpuRasteriser_data() {
    QTest::addColumn<bool>("is_signed");
    QTest::addColumn<bool>("log_scale");
    QTest::addColumn<bool>("hide_special");
    QTest::addColumn<bool>("row_normalise");
    QTest::newRow("sequential") << false << false << false << false;
    QTest::newRow("sequential log") << false << true << false << false;
    QTest::newRow("diverging") << true << false << false << false;
    QTest::newRow("diverging symlog") << true << true << false << false;
    QTest::newRow("special hidden, rows normalised") << false << false << true << true;
  }
  void matchesTheCpuRasteriser() {
    QFETCH(bool, is_signed);
    QFETCH(bool, log_scale);
    QFETCH(bool, hide_special);
    QFETCH(bool, row_normalise);
    const tl::Map map = random_map(37, 53, is_signed, 7);
    HeatmapStyle style;
    style.log_scale = log_scale;
    style.hide_special = hide_special;
    style.row_normalise = row_normalise;
    SpecialTokens special;
    special.rows.assign(37, false);
    special.cols.assign(53, false);
    special.rows[0] = special.cols[0] = special.cols[9] = true;
    const PreparedHeatmap prep = prepare_heatmap(map, style, special);
    const QImage cpu = rasterize_cells(prep);
    auto gpu = renderer_->render(prep, cpu.size());
    QVERIFY2(gpu.ok(), gpu.ok() ? "" : gpu.error().message.c_str());
    QCOMPARE(gpu.value().size(), cpu.size());
    int exact = 0;
    for (int i = 0; i < cpu.height(); ++i) {
      for (int j = 0; j < cpu.width(); ++j) {
        const QRgb g = gpu.value().pixel(j, i);
        QVERIFY2(close_to_cpu(g, prep, i, j), qPrintable(QString("cell %1,%2").arg(i).arg(j)));
        exact += g == cpu.pixel(j, i);
      }
    }
    // Off-by-one entries are rare boundary cases, not a pattern.
    QVERIFY(exact >= cpu.width() * cpu.height() * 95 / 100);
  }
  void scalesCellsToTheRequestedSize() {
    const tl::Map map = random_map(3, 5, false, 3);
    const PreparedHeatmap prep = prepare_heatmap(map, HeatmapStyle{});
    auto img = renderer_->render(prep, QSize(50, 30));  // 10 x 10 pixels per cell
    QVERIFY(img.ok());
    for (int y = 0; y < 30; ++y) {
      for (int x = 0; x < 50; ++x) QVERIFY(close_to_cpu(img.value().pixel(x, y), prep, y / 10, x / 10));
    }
  }
  void rejectsEmptyInput() {
    PreparedHeatmap empty;
    QVERIFY(!renderer_->render(empty, QSize(10, 10)).ok());
    const PreparedHeatmap prep = prepare_heatmap(random_map(2, 2, false, 1), HeatmapStyle{});
    QVERIFY(!renderer_->render(prep, QSize(0, 10)).ok());
  }
};

QTEST_GUILESS_MAIN(TestVulkanHeatmap)
#include "test_vulkan_heatmap.moc"
