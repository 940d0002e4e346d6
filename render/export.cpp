#include "render/export.h"

#include <QBuffer>
#include <QImage>
#include <QPageSize>
#include <QPdfWriter>
#include <QSvgGenerator>
#include <algorithm>
#include <cctype>

#include "core/io/file_util.h"
#include "core/lens/map_table.h"

namespace tl::render {
namespace {

// Labels are specified at 96 dpi (screen); a figure at `dpi` scales them so a 150-dpi export
// prints the labels at the same physical size as a 300-dpi one.
FigureOptions scaled_options(const ExportOptions& o) {
  FigureOptions f = o.figure;
  f.font_px = o.figure.font_px * o.dpi / 96.0;
  return f;
}

// The map the provenance's model/text/method/layers come from: the first panel's, else the first
// matrix's.
const Map* primary_map(const ViewExport& v) {
  if (!v.figure.panels.empty()) return v.figure.panels.front().map.get();
  return v.data.empty() ? nullptr : v.data.front().get();
}

QString title_of(const ViewExport& v) {
  if (!v.figure.title.isEmpty()) return v.figure.title;
  const Map* map = primary_map(v);
  if (!v.figure.panels.empty() && !v.figure.panels.front().title.isEmpty()) return v.figure.panels.front().title;
  return map ? default_title(*map) : QStringLiteral("TensorLens Studio");
}

std::string to_string(const QByteArray& bytes) { return std::string(bytes.constData(), static_cast<std::size_t>(bytes.size())); }

nlohmann::json panel_json(const HeatmapPanel& panel) {
  const Map& map = *panel.map;
  const QString title = panel.title.isEmpty() ? default_title(map) : panel.title;
  return {{"title", title.toStdString()},
          {"method", map.provenance.method},
          {"layers", map.provenance.layers},
          {"shape", {map.rows(), map.cols()}},
          {"style", style_json(panel.style, map)}};
}

Result<std::string> paint_bytes(const ViewExport& view, ExportFormat format, const ExportOptions& options) {
  if (options.size.width() < 64 || options.size.height() < 64 || options.size.width() > 20000 ||
      options.size.height() > 20000) {
    return make_error("export size " + std::to_string(options.size.width()) + "x" +
                      std::to_string(options.size.height()) + " px is outside 64..20000");
  }
  if (!(options.dpi >= 36.0 && options.dpi <= 1200.0)) {
    return make_error("export resolution " + std::to_string(options.dpi) + " dpi is outside 36..1200");
  }
  if (view.figure.cells() == 0) return make_error("nothing to draw: the view has no figure yet");
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
      paint_view_figure(painter, area, view.figure, fig);
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
      svg.setTitle(title_of(view));
      svg.setDescription(QStringLiteral("TensorLens Studio ") + QStringLiteral(TL_VERSION));
      QPainter painter(&svg);
      paint_view_figure(painter, area, view.figure, fig);
      painter.end();
      break;
    }
    case ExportFormat::Pdf: {
      QPdfWriter pdf(&buffer);
      pdf.setResolution(static_cast<int>(std::lround(options.dpi)));
      pdf.setPageSize(QPageSize(QSizeF(options.size.width() / options.dpi, options.size.height() / options.dpi),
                                QPageSize::Inch, QString(), QPageSize::ExactMatch));
      pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
      pdf.setTitle(title_of(view));
      pdf.setCreator(QStringLiteral("TensorLens Studio ") + QStringLiteral(TL_VERSION));
      QPainter painter(&pdf);
      // The page may be a pixel or two off the requested size after unit rounding: paint the
      // device's real page so nothing is clipped.
      paint_view_figure(painter, QRectF(0, 0, pdf.width(), pdf.height()), view.figure, fig);
      painter.end();
      break;
    }
    case ExportFormat::Csv:
    case ExportFormat::Npy: Q_UNREACHABLE();
  }
  buffer.close();
  if (bytes.isEmpty()) return make_error(std::string("rendering the ") + format_name(format) + " figure produced no bytes");
  return to_string(bytes);
}

std::vector<const Map*> data_maps(const ViewExport& view) {
  std::vector<const Map*> maps;
  for (const auto& m : view.data) maps.push_back(m.get());
  return maps;
}

}  // namespace

const char* format_name(ExportFormat f) {
  switch (f) {
    case ExportFormat::Png: return "png";
    case ExportFormat::Svg: return "svg";
    case ExportFormat::Pdf: return "pdf";
    case ExportFormat::Csv: return "csv";
    case ExportFormat::Npy: return "npy";
  }
  return "";
}

bool is_figure(ExportFormat f) { return f == ExportFormat::Png || f == ExportFormat::Svg || f == ExportFormat::Pdf; }

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

std::optional<ExportFormat> format_for_path(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (ExportFormat f : {ExportFormat::Png, ExportFormat::Svg, ExportFormat::Pdf, ExportFormat::Csv, ExportFormat::Npy}) {
    if (ext == std::string(".") + format_name(f)) return f;
  }
  return std::nullopt;
}

std::filesystem::path provenance_path(const std::filesystem::path& figure_path) {
  std::filesystem::path p = figure_path;
  p += ".provenance.json";
  return p;
}

Status check_free(const std::filesystem::path& path) {
  std::error_code ec;
  for (const auto& p : {path, provenance_path(path)}) {
    if (std::filesystem::exists(p, ec)) {
      return make_error(p.string() + ": already exists (choose another name or allow overwriting)");
    }
  }
  return {};
}

ViewExport single_map_export(const FigureInput& in) {
  Q_ASSERT_X(in.map != nullptr, "single_map_export", "FigureInput::map is required");
  // Non-owning: the caller keeps the map alive for the export's lifetime.
  const std::shared_ptr<const Map> map(std::shared_ptr<const Map>{}, in.map);
  ViewExport v;
  HeatmapPanel panel;
  panel.map = map;
  panel.style = in.style;
  panel.special = in.special;
  panel.title = in.title;
  panel.subtitle = in.subtitle;
  v.figure.panels.push_back(std::move(panel));
  v.data.push_back(map);
  return v;
}

nlohmann::json export_provenance(const ViewExport& view, ExportFormat format, const ExportOptions& options) {
  const Map* map = primary_map(view);
  nlohmann::json j = map ? to_json(map->provenance) : nlohmann::json::object();
  if (map) {
    j["tokens"] = {{"rows", map->row_labels}, {"cols", map->col_labels}};
    j["shape"] = {map->rows(), map->cols()};
    j["signed"] = map->is_signed;
  }
  j["title"] = title_of(view).toStdString();
  if (!view.figure.panels.empty()) {
    const HeatmapPanel& first = view.figure.panels.front();
    j["style"] = style_json(first.style, *first.map);
    std::vector<int> special_rows, special_cols;
    for (int i = 0; i < first.map->rows(); ++i) if (first.special.row(i)) special_rows.push_back(i);
    for (int k = 0; k < first.map->cols(); ++k) if (first.special.col(k)) special_cols.push_back(k);
    j["style"]["special_rows"] = special_rows;
    j["style"]["special_cols"] = special_cols;
  }
  if (view.figure.panels.size() > 1 || view.figure.plot) {
    nlohmann::json panels = nlohmann::json::array();
    for (const HeatmapPanel& p : view.figure.panels) panels.push_back(panel_json(p));
    if (view.figure.plot) panels.push_back({{"title", view.figure.plot->title.toStdString()}, {"kind", "line plot"}});
    j["panels"] = panels;
  }
  j.merge_patch(view.provenance);
  if (is_figure(format)) {
    j["export"] = {{"format", format_name(format)},
                   {"width_px", options.size.width()},
                   {"height_px", options.size.height()},
                   {"dpi", options.dpi}};
  } else {
    nlohmann::json arrays = nlohmann::json::array();
    for (std::size_t k = 0; k < view.data.size(); ++k) {
      arrays.push_back({{"name", k < view.data_names.size() ? view.data_names[k] : view.data[k]->provenance.method},
                        {"method", view.data[k]->provenance.method},
                        {"layers", view.data[k]->provenance.layers}});
    }
    j["export"] = {{"format", format_name(format)},
                   {"values", "as computed (display options such as row normalisation are not applied)"},
                   {"arrays", arrays}};
    if (!view.data.empty()) {
      const Map& d = *view.data.front();
      j["export"]["row_labels"] = d.row_labels;
      j["export"]["col_labels"] = d.col_labels;
    }
  }
  return j;
}

nlohmann::json export_provenance(const FigureInput& in, ExportFormat format, const ExportOptions& options) {
  return export_provenance(single_map_export(in), format, options);
}

Result<std::string> render_export_bytes(const ViewExport& view, ExportFormat format, const ExportOptions& options) {
  if (is_figure(format)) return paint_bytes(view, format, options);
  if (view.data.empty()) return make_error(std::string("this view has no matrix to write as ") + format_name(format));
  if (format == ExportFormat::Csv) return maps_to_csv(data_maps(view), view.data_names);
  auto npy = maps_to_npy(data_maps(view));
  if (!npy) return npy.error();
  return std::string(npy->begin(), npy->end());
}

Result<std::string> render_figure_bytes(const FigureInput& in, ExportFormat format, const ExportOptions& options) {
  return render_export_bytes(single_map_export(in), format, options);
}

Status export_view(const std::filesystem::path& path, const ViewExport& view, const ExportOptions& options) {
  const auto format = format_for_path(path);
  if (!format) return make_error(path.string() + ": unknown export format (use .png, .svg, .pdf, .csv or .npy)");
  if (!options.overwrite) {
    if (Status s = check_free(path); !s) return s;
  }
  auto bytes = render_export_bytes(view, *format, options);
  if (!bytes) return bytes.error();
  const std::string json = export_provenance(view, *format, options).dump(2) + "\n";
  // Provenance first: a file on disk always has its provenance beside it.
  if (Status s = write_text_atomic(provenance_path(path), json); !s) return s;
  const std::string& data = bytes.value();
  return write_file_atomic(path, {reinterpret_cast<const unsigned char*>(data.data()), data.size()});
}

Status export_figure(const std::filesystem::path& path, const FigureInput& in, const ExportOptions& options) {
  return export_view(path, single_map_export(in), options);
}

}  // namespace tl::render
