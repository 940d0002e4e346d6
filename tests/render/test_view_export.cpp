// Views as figures and numbers (render/view_figure.h, render/export.h) and the every-layer export
// (render/layer_series_export.h): several panels and a line plot in one figure, cell texts as SVG
// text, CSV/NPY of the matrices with provenance, one file per layer on one scale that refuses to
// overwrite (naming the file), overwrites when asked, and stops between files when cancelled.
#include <QtTest>

#include <QImage>
#include <QTemporaryDir>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/io/npy.h"
#include "render/export.h"
#include "render/layer_series_export.h"
#include "render/view_figure.h"
#include "tests/csv_reader.h"

using namespace tl::render;

namespace {

std::shared_ptr<const tl::Map> layer_map(int block, double scale) {
  tl::Map m;
  m.values.resize(4, 4);
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) m.values(i, j) = j <= i ? scale * (1 + i + j) : 0.0;
  m.row_labels = m.col_labels = {"<s>", " Lily", " saw", " cats"};
  m.provenance.model = "stories260K (embedded)";
  m.provenance.text = "Lily saw cats";
  m.provenance.method = "rollout";
  m.provenance.layers = "block " + std::to_string(block);
  return std::make_shared<const tl::Map>(std::move(m));
}

std::string read_all(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

ViewExport two_panels_and_a_plot() {
  ViewExport v;
  HeatmapPanel a{layer_map(1, 1.0), {}, {}, QStringLiteral("first panel"), QStringLiteral(" "), {}};
  HeatmapPanel b{layer_map(2, 2.0), {}, {}, QStringLiteral("second panel"), QStringLiteral(" "), {}};
  b.cell_text.assign(16, QStringLiteral("tok"));
  b.cell_text[5] = QStringLiteral("Lily");
  v.figure.panels = {a, b};
  LinePanel plot;
  plot.title = QStringLiteral("Singular values");
  plot.series = {{QStringLiteral("spectrum"), {1, 2, 3}, {0.0, -1.0, -2.5}, QColor(Qt::blue), false, true}};
  v.figure.plot = plot;
  v.figure.title = QStringLiteral("Two methods");
  v.data = {v.figure.panels[0].map, v.figure.panels[1].map};
  v.data_names = {"first", "second"};
  v.provenance = {{"view", "test"}};
  return v;
}

// Cancels once `after` reports were seen.
class CancelAfter : public tl::Progress {
 public:
  explicit CancelAfter(int after) : after_(after) {}
  void report(double, std::string_view) override { ++seen_; }
  bool cancelled() const override { return seen_ >= after_; }

 private:
  int after_;
  int seen_ = 0;
};

LayerSeriesExport series_of(int layers, ExportFormat format) {
  LayerSeriesExport s;
  s.method = "rollout";
  s.num_layers = layers;
  s.format = format;
  for (int l = 1; l <= layers; ++l) {
    s.maps.push_back(layer_map(l, l));
    s.blocks.push_back(l);
  }
  return s;
}

}  // namespace

class TestViewExport : public QObject {
  Q_OBJECT
 private slots:
  void multiPanelFigureInEveryFormat() {
    QTemporaryDir dir;
    const ViewExport v = two_panels_and_a_plot();
    ExportOptions o;
    o.size = QSize(1200, 500);
    o.dpi = 120;
    const std::filesystem::path base = dir.path().toStdString();
    for (const char* ext : {"png", "svg", "pdf", "csv", "npy"}) {
      const auto path = base / (std::string("view.") + ext);
      const tl::Status s = export_view(path, v, o);
      QVERIFY2(s.ok(), s.ok() ? "" : s.error().message.c_str());
      const auto prov = nlohmann::json::parse(read_all(provenance_path(path)));
      QCOMPARE(prov["view"].get<std::string>(), std::string("test"));
      QCOMPARE(prov["model"].get<std::string>(), std::string("stories260K (embedded)"));
      QCOMPARE(prov["method"].get<std::string>(), std::string("rollout"));
      QCOMPARE(prov["tokens"]["rows"][1].get<std::string>(), std::string(" Lily"));
      QCOMPARE(prov["panels"].size(), std::size_t(3));
      QCOMPARE(prov["panels"][1]["layers"].get<std::string>(), std::string("block 2"));
      QVERIFY(prov["style"].contains("row_normalise"));
      QCOMPARE(prov["export"]["format"].get<std::string>(), std::string(ext));
    }
    QCOMPARE(QImage(QString::fromStdString((base / "view.png").string())).size(), QSize(1200, 500));
    const std::string svg = read_all(base / "view.svg");
    for (const char* text : {">Two methods<", ">first panel<", ">second panel<", ">Singular values<", ">Lily<"})
      QVERIFY2(svg.find(text) != std::string::npos, text);
    QVERIFY(read_all(base / "view.pdf").rfind("%PDF", 0) == 0);
    const auto rows = tl::test::read_csv(read_all(base / "view.csv"));
    QCOMPARE(rows.size(), std::size_t(9));  // header + 2 x 4 rows
    QCOMPARE(rows[5][0], std::string("second"));
    QCOMPARE(std::stod(rows[8][4]), v.data[1]->values(3, 2));
    auto npy = tl::read_npy(base / "view.npy");
    QVERIFY(npy.ok());
    QCOMPARE(npy->shape, (std::vector<std::int64_t>{2, 4, 4}));
    QCOMPARE(npy->at({1, 3, 2}), v.data[1]->values(3, 2));
    // No numbers: CSV refused with a message, nothing written.
    ViewExport figure_only = v;
    figure_only.data.clear();
    const tl::Status refused = export_view(base / "none.csv", figure_only, o);
    QVERIFY(!refused.ok());
    QVERIFY(refused.error().message.find("no matrix") != std::string::npos);
    QVERIFY(!std::filesystem::exists(base / "none.csv.provenance.json"));
  }

  void everyLayerWritesOneFilePerBlockOnOneScale() {
    QTemporaryDir dir;
    const std::filesystem::path out = std::filesystem::path(dir.path().toStdString()) / "layers";
    const LayerSeriesExport s = series_of(3, ExportFormat::Png);
    ExportOptions o;
    o.size = QSize(400, 300);
    const tl::Status st = export_layer_series(out, s, o);
    QVERIFY2(st.ok(), st.ok() ? "" : st.error().message.c_str());
    for (const char* name : {"rollout-block01.png", "rollout-block02.png", "rollout-block03.png"}) {
      QCOMPARE(QImage(QString::fromStdString((out / name).string())).size(), QSize(400, 300));
      QVERIFY(!std::filesystem::exists(provenance_path(out / name)));  // one provenance for the series
    }
    const auto prov = nlohmann::json::parse(read_all(out / "rollout-layers.provenance.json"));
    QCOMPARE(prov["files"].size(), std::size_t(3));
    QCOMPARE(prov["files"][2]["file"].get<std::string>(), std::string("rollout-block03.png"));
    QCOMPARE(prov["files"][2]["layers"].get<std::string>(), std::string("block 3"));
    QCOMPARE(prov["method"].get<std::string>(), std::string("rollout"));
    // One colour scale: the union of the three maps' ranges.
    QCOMPARE(prov["style"]["shared_range"][1].get<double>(), s.maps[2]->values.maxCoeff());

    // A second run refuses before writing anything, naming the file.
    const auto before = std::filesystem::last_write_time(out / "rollout-block02.png");
    const tl::Status again = export_layer_series(out, s, o);
    QVERIFY(!again.ok());
    QVERIFY2(again.error().message.find("rollout-block01.png: already exists") != std::string::npos,
             again.error().message.c_str());
    QCOMPARE(std::filesystem::last_write_time(out / "rollout-block02.png"), before);
    o.overwrite = true;
    QVERIFY(export_layer_series(out, s, o).ok());

    // Cumulative names, numbers as NPY.
    LayerSeriesExport cum = series_of(2, ExportFormat::Npy);
    cum.cumulative = true;
    QVERIFY(export_layer_series(out, cum, o).ok());
    auto npy = tl::read_npy(out / "rollout-blocks1-02.npy");
    QVERIFY(npy.ok());
    QCOMPARE(npy->shape, (std::vector<std::int64_t>{4, 4}));
    QCOMPARE(npy->at({3, 1}), cum.maps[1]->values(3, 1));
    QVERIFY(std::filesystem::exists(out / "rollout-cumulative-layers.provenance.json"));
  }

  void everyLayerStopsBetweenFilesWhenCancelled() {
    QTemporaryDir dir;
    const std::filesystem::path out = dir.path().toStdString();
    CancelAfter progress(2);  // two files reported, then cancelled
    bool cancelled = false;
    try {
      (void)export_layer_series(out, series_of(4, ExportFormat::Svg), {}, &progress);
    } catch (const tl::Cancelled&) {
      cancelled = true;
    }
    QVERIFY(cancelled);
    QVERIFY(std::filesystem::exists(out / "rollout-block01.svg"));
    QVERIFY(std::filesystem::exists(out / "rollout-block02.svg"));
    QVERIFY(!std::filesystem::exists(out / "rollout-block03.svg"));
    // What was written is complete (atomic writes): the SVG ends properly.
    QVERIFY(read_all(out / "rollout-block02.svg").find("</svg>") != std::string::npos);
  }
};

QTEST_MAIN(TestViewExport)
#include "test_view_export.moc"
