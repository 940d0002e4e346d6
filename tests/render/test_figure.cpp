// The figure painter and the exporters: colours land in the right cells, labels are text in SVG,
// exports are atomic, refuse to overwrite and carry a provenance file.
#include <QtTest>

#include <QFile>
#include <QTemporaryDir>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "render/export.h"
#include "render/figure.h"

using namespace tl::render;

namespace {

// Built with += : GCC 12 warns (-Wrestrict, a false positive) on "literal" + std::string&&.
std::string label(const char* prefix, int k) {
  std::string s(prefix);
  s += std::to_string(k);
  return s;
}

tl::Map sample_map(bool is_signed) {
  tl::Map m;
  m.values.resize(3, 3);
  if (is_signed) {
    m.values << -1.0, 0.0, 0.5,  //
        0.25, 1.0, -0.5,         //
        0.0, 0.0, 0.0;
  } else {
    m.values << 0.1, 0.2, 0.3,  //
        0.4, 0.5, 0.6,          //
        0.7, 0.8, 1.0;
  }
  m.is_signed = is_signed;
  m.row_labels = m.col_labels = {"<s>", " Lily", " girl"};
  m.provenance.model = "stories260K (embedded)";
  m.provenance.text = "Lily girl";
  m.provenance.method = "attention (head mean)";
  m.provenance.layers = "block 2";
  return m;
}

int channel_distance(QRgb a, QRgb b) {
  return std::max({std::abs(qRed(a) - qRed(b)), std::abs(qGreen(a) - qGreen(b)), std::abs(qBlue(a) - qBlue(b))});
}

QPointF cell_centre(const FigureLayout& lay, int i, int j) {
  return {lay.cells.left() + (j + 0.5) * lay.cell_w, lay.cells.top() + (i + 0.5) * lay.cell_h};
}

std::string read_all(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

}  // namespace

class TestFigure : public QObject {
  Q_OBJECT
 private slots:
  void cellColoursInPaintedFigure() {
    const tl::Map map = sample_map(false);
    FigureInput in;
    in.map = &map;
    QImage img(900, 700, QImage::Format_RGB32);
    QPainter p(&img);
    const FigureLayout lay = paint_figure(p, QRectF(0, 0, 900, 700), in);
    p.end();
    QVERIFY(lay.cell_w > 20);
    const auto& cm = Colormap::get(ColormapKind::Viridis);
    // The top of the range (1.0 at (2, 2)) and the bottom (0.1 at (0, 0)), exact table entries.
    QCOMPARE(img.pixel(cell_centre(lay, 2, 2).toPoint()), cm.entry(255));
    QCOMPARE(img.pixel(cell_centre(lay, 0, 0).toPoint()), cm.entry(0));
    QCOMPARE(img.pixel(cell_centre(lay, 1, 1).toPoint()), cm.at((0.5 - 0.1) / 0.9));
    // The colorbar's top is the top colour, its bottom the bottom colour (within 3/255: the
    // 256-entry gradient is scaled, so a pixel near the end may show the neighbouring entry).
    const QRectF bar = lay.colorbar;
    QVERIFY(channel_distance(img.pixel(QPointF(bar.center().x(), bar.top() + 2).toPoint()), cm.entry(255)) <= 3);
    QVERIFY(channel_distance(img.pixel(QPointF(bar.center().x(), bar.bottom() - 2).toPoint()), cm.entry(0)) <= 3);
    // Labels leave the figure inside its area: nothing drawn in the outermost pixel column/row.
    for (int y = 0; y < img.height(); ++y) QCOMPARE(img.pixel(0, y), qRgb(255, 255, 255));
  }
  void divergingZeroIsNeutralInFigure() {
    const tl::Map map = sample_map(true);
    FigureInput in;
    in.map = &map;
    QImage img(800, 600, QImage::Format_RGB32);
    QPainter p(&img);
    const FigureLayout lay = paint_figure(p, QRectF(0, 0, 800, 600), in);
    p.end();
    const QRgb zero = img.pixel(cell_centre(lay, 0, 1).toPoint());
    QVERIFY(qRed(zero) == qGreen(zero) && qGreen(zero) == qBlue(zero));
    const QRgb neg = img.pixel(cell_centre(lay, 0, 0).toPoint());
    const QRgb pos = img.pixel(cell_centre(lay, 1, 1).toPoint());
    QVERIFY(qBlue(neg) > qRed(neg));
    QVERIFY(qRed(pos) > qBlue(pos));
  }
  void manyTokensUseImageCellsAndStridedLabels() {
    tl::Map map;
    const int n = 300;
    map.values = Eigen::MatrixXd::Zero(n, n);
    map.values(n - 2, n - 3) = 1.0;  // away from the frame drawn around the cells
    for (int i = 0; i < n; ++i) map.row_labels.push_back(label("t", i));
    map.col_labels = map.row_labels;
    FigureInput in;
    in.map = &map;
    QImage img(1000, 900, QImage::Format_RGB32);
    QPainter p(&img);
    const FigureLayout lay = paint_figure(p, QRectF(0, 0, 1000, 900), in);
    p.end();
    QVERIFY(lay.label_stride > 1);
    QVERIFY(lay.col_label_stride >= lay.label_stride);
    QVERIFY(lay.label_px >= 7.0);
    const QPointF c = cell_centre(lay, n - 2, n - 3);
    QCOMPARE(img.pixel(c.toPoint()), Colormap::get(ColormapKind::Viridis).entry(255));
  }
  void svgHasLabelsAsText() {
    tl::Map map = sample_map(false);
    map.col_labels[2] = std::string(300, 'x');  // elided, never drawn whole
    FigureInput in;
    in.map = &map;
    auto svg = render_figure_bytes(in, ExportFormat::Svg, ExportOptions{});
    QVERIFY(svg.ok());
    const std::string& s = svg.value();
    QVERIFY(s.find("<svg") != std::string::npos);
    QVERIFY(s.find("<text") != std::string::npos);
    QVERIFY(s.find("Lily") != std::string::npos);
    QVERIFY(s.find("attention (head mean)") != std::string::npos);
    QVERIFY(s.find(std::string(300, 'x')) == std::string::npos);
    QVERIFY(s.find("\xe2\x80\xa6") != std::string::npos);  // the ellipsis of the elided label
  }
  void pdfIsAPdf() {
    const tl::Map map = sample_map(true);
    FigureInput in;
    in.map = &map;
    auto pdf = render_figure_bytes(in, ExportFormat::Pdf, ExportOptions{});
    QVERIFY(pdf.ok());
    QVERIFY(pdf.value().rfind("%PDF-", 0) == 0);
  }
  void pngHasRequestedSizeAndDpi() {
    const tl::Map map = sample_map(false);
    FigureInput in;
    in.map = &map;
    ExportOptions opt;
    opt.size = QSize(640, 480);
    opt.dpi = 300;
    auto png = render_figure_bytes(in, ExportFormat::Png, opt);
    QVERIFY(png.ok());
    QImage img;
    QVERIFY(img.loadFromData(reinterpret_cast<const uchar*>(png.value().data()), static_cast<int>(png.value().size())));
    QCOMPARE(img.size(), QSize(640, 480));
    QVERIFY(std::abs(img.dotsPerMeterX() * 0.0254 - 300.0) < 1.0);
    opt.size = QSize(10, 10);
    QVERIFY(!render_figure_bytes(in, ExportFormat::Png, opt).ok());
  }
  void exportWritesProvenanceAndRefusesToOverwrite() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::filesystem::path out = std::filesystem::path(dir.path().toStdString()) / "attn.png";
    const tl::Map map = sample_map(false);
    FigureInput in;
    in.map = &map;
    in.special.rows = in.special.cols = {true, false, false};
    in.style.hide_special = true;
    ExportOptions opt;
    opt.size = QSize(500, 400);
    QVERIFY(export_figure(out, in, opt).ok());
    QVERIFY(std::filesystem::exists(out));
    const auto json_path = provenance_path(out);
    QCOMPARE(QString::fromStdString(json_path.filename().string()), QString("attn.png.provenance.json"));
    const auto j = nlohmann::json::parse(read_all(json_path));
    QCOMPARE(QString::fromStdString(j.at("model").get<std::string>()), QString("stories260K (embedded)"));
    QCOMPARE(QString::fromStdString(j.at("method").get<std::string>()), QString("attention (head mean)"));
    QCOMPARE(j.at("tokens").at("cols").size(), std::size_t(3));
    QCOMPARE(QString::fromStdString(j.at("tokens").at("rows")[1].get<std::string>()), QString(" Lily"));
    QCOMPARE(j.at("style").at("special_cols").size(), std::size_t(1));
    QCOMPARE(j.at("export").at("width_px").get<int>(), 500);
    QVERIFY(j.contains("tool_version"));

    // No silent overwrite: the second export fails and leaves the first file as it was.
    const std::string before = read_all(out);
    opt.size = QSize(600, 400);
    auto again = export_figure(out, in, opt);
    QVERIFY(!again.ok());
    QVERIFY(again.error().message.find("already exists") != std::string::npos);
    QCOMPARE(read_all(out), before);
    // The provenance file alone also blocks (it would be overwritten).
    const auto svg_out = out.parent_path() / "attn.svg";
    { std::ofstream(provenance_path(svg_out)) << "{}"; }
    QVERIFY(!export_figure(svg_out, in, opt).ok());
    QVERIFY(!std::filesystem::exists(svg_out));
    // Explicit overwrite replaces it.
    opt.overwrite = true;
    QVERIFY(export_figure(out, in, opt).ok());
    QVERIFY(read_all(out) != before);
    // Atomic writes leave no temporaries behind.
    int files = 0;
    for (const auto& e : std::filesystem::directory_iterator(out.parent_path())) {
      QVERIFY2(e.path().string().find(".tmp") == std::string::npos, e.path().c_str());
      ++files;
    }
    QCOMPARE(files, 3);  // attn.png, its provenance, the stray attn.svg provenance
  }
  void unknownExtensionIsAnError() {
    const tl::Map map = sample_map(false);
    FigureInput in;
    in.map = &map;
    QVERIFY(!export_figure("/tmp/whatever.bmp", in, ExportOptions{}).ok());
  }
};

QTEST_MAIN(TestFigure)
#include "test_figure.moc"
