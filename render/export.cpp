#include "render/export.h"

#include <QBuffer>
#include <QImage>
#include <QPageSize>
#include <QPdfWriter>
#include <QSvgGenerator>
#include <algorithm>
#include <cctype>

#include "core/io/file_util.h"

namespace tl::render {
namespace {

const char* format_name(ExportFormat f) {
  switch (f) {
    case ExportFormat::Png: return "png";
    case ExportFormat::Svg: return "svg";
    case ExportFormat::Pdf: return "pdf";
  }
  return "";
}

// Labels are specified at 96 dpi (screen); a figure at `dpi` scales them so a 150-dpi export
// prints the labels at the same physical size as a 300-dpi one.
FigureOptions scaled_options(const ExportOptions& o) {
  FigureOptions f = o.figure;
  f.font_px = o.figure.font_px * o.dpi / 96.0;
  return f;
}

QString title_of(const FigureInput& in) { return in.title.isEmpty() ? default_title(*in.map) : in.title; }

std::string to_string(const QByteArray& bytes) { return std::string(bytes.constData(), static_cast<std::size_t>(bytes.size())); }

nlohmann::json style_json(const HeatmapStyle& s, const Map& map) {
  const QString colormap = Colormap::get(resolve_colormap(s.colormap, map.is_signed)).name();
  nlohmann::json j = {{"colormap", colormap.toStdString()},
                      {"row_normalise", s.row_normalise},
                      {"log_scale", s.log_scale},
                      {"hide_special", s.hide_special},
                      {"group_words", s.group_words}};
  if (s.fixed_range) j["shared_range"] = {s.fixed_range->lo, s.fixed_range->hi};
  return j;
}

}  // namespace

std::optional<ExportFormat> format_for_path(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext == ".png") return ExportFormat::Png;
  if (ext == ".svg") return ExportFormat::Svg;
  if (ext == ".pdf") return ExportFormat::Pdf;
  return std::nullopt;
}

std::filesystem::path provenance_path(const std::filesystem::path& figure_path) {
  std::filesystem::path p = figure_path;
  p += ".provenance.json";
  return p;
}

nlohmann::json export_provenance(const FigureInput& in, ExportFormat format, const ExportOptions& options) {
  const Map& map = *in.map;
  nlohmann::json j = to_json(map.provenance);
  j["tokens"] = {{"rows", map.row_labels}, {"cols", map.col_labels}};
  j["shape"] = {map.rows(), map.cols()};
  j["signed"] = map.is_signed;
  j["title"] = title_of(in).toStdString();
  j["style"] = style_json(in.style, map);
  std::vector<int> special_rows, special_cols;
  for (int i = 0; i < map.rows(); ++i) if (in.special.row(i)) special_rows.push_back(i);
  for (int k = 0; k < map.cols(); ++k) if (in.special.col(k)) special_cols.push_back(k);
  j["style"]["special_rows"] = special_rows;
  j["style"]["special_cols"] = special_cols;
  j["export"] = {{"format", format_name(format)},
                 {"width_px", options.size.width()},
                 {"height_px", options.size.height()},
                 {"dpi", options.dpi}};
  return j;
}

Result<std::string> render_figure_bytes(const FigureInput& in, ExportFormat format, const ExportOptions& options) {
  Q_ASSERT_X(in.map != nullptr, "render_figure_bytes", "FigureInput::map is required");
  if (options.size.width() < 64 || options.size.height() < 64 || options.size.width() > 20000 ||
      options.size.height() > 20000) {
    return make_error("export size " + std::to_string(options.size.width()) + "x" +
                      std::to_string(options.size.height()) + " px is outside 64..20000");
  }
  if (!(options.dpi >= 36.0 && options.dpi <= 1200.0)) {
    return make_error("export resolution " + std::to_string(options.dpi) + " dpi is outside 36..1200");
  }
  const FigureOptions fig = scaled_options(options);
  const QRectF area(QPointF(0, 0), QSizeF(options.size));
  QByteArray bytes;
  QBuffer buffer(&bytes);
  buffer.open(QIODevice::WriteOnly);

  switch (format) {
    case ExportFormat::Png: {
      QImage image(options.size, QImage::Format_RGB32);
      const int dpm = static_cast<int>(std::lround(options.dpi / 0.0254));
      image.setDotsPerMeterX(dpm);
      image.setDotsPerMeterY(dpm);
      QPainter painter(&image);
      paint_figure(painter, area, in, fig);
      painter.end();
      if (!image.save(&buffer, "PNG")) return make_error("PNG encoding failed");
      break;
    }
    case ExportFormat::Svg: {
      QSvgGenerator svg;
      svg.setOutputDevice(&buffer);
      svg.setSize(options.size);
      svg.setViewBox(area);
      svg.setResolution(static_cast<int>(std::lround(options.dpi)));
      svg.setTitle(title_of(in));
      svg.setDescription(QStringLiteral("TensorLens Studio ") + QStringLiteral(TL_VERSION));
      QPainter painter(&svg);
      paint_figure(painter, area, in, fig);
      painter.end();
      break;
    }
    case ExportFormat::Pdf: {
      QPdfWriter pdf(&buffer);
      pdf.setResolution(static_cast<int>(std::lround(options.dpi)));
      pdf.setPageSize(QPageSize(QSizeF(options.size.width() / options.dpi, options.size.height() / options.dpi),
                                QPageSize::Inch, QString(), QPageSize::ExactMatch));
      pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
      pdf.setTitle(title_of(in));
      pdf.setCreator(QStringLiteral("TensorLens Studio ") + QStringLiteral(TL_VERSION));
      QPainter painter(&pdf);
      // The page may be a pixel or two off the requested size after unit rounding: paint the
      // device's real page so nothing is clipped.
      paint_figure(painter, QRectF(0, 0, pdf.width(), pdf.height()), in, fig);
      painter.end();
      break;
    }
  }
  buffer.close();
  if (bytes.isEmpty()) return make_error(std::string("rendering the ") + format_name(format) + " figure produced no bytes");
  return to_string(bytes);
}

Status export_figure(const std::filesystem::path& path, const FigureInput& in, const ExportOptions& options) {
  const auto format = format_for_path(path);
  if (!format) return make_error(path.string() + ": unknown figure format (use .png, .svg or .pdf)");
  const auto json_path = provenance_path(path);
  if (!options.overwrite) {
    std::error_code ec;
    for (const auto& p : {path, json_path}) {
      if (std::filesystem::exists(p, ec)) {
        return make_error(p.string() + ": already exists (choose another name or allow overwriting)");
      }
    }
  }
  auto bytes = render_figure_bytes(in, *format, options);
  if (!bytes) return bytes.error();
  const std::string json = export_provenance(in, *format, options).dump(2) + "\n";
  // Provenance first: a figure on disk always has its provenance beside it.
  if (Status s = write_text_atomic(json_path, json); !s) return s;
  const std::string& data = bytes.value();
  return write_file_atomic(path, {reinterpret_cast<const unsigned char*>(data.data()), data.size()});
}

}  // namespace tl::render
