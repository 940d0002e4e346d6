#pragma once
// Export of a view: a figure as PNG (pixel size and DPI chosen), SVG or PDF (vector, labels as
// text), or the numbers behind it as CSV or NPY (core/lens/map_table.h), each with a provenance
// JSON beside it ("<file>.provenance.json": the Map's provenance, its tokens, the drawing options
// and how it was exported). Writes are atomic (temporary file + rename) and never overwrite an
// existing file unless asked to: the check covers both the file and its provenance file.
//
// A ViewExport is what one view of the app (or the CLI's one map) exports: its figure (panels,
// render/view_figure.h), its matrices and extra provenance (which view, its options). A single
// map is a ViewExport of one panel whose numbers are that map (single_map_export).
#include <QSize>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/util/result.h"
#include "render/figure.h"
#include "render/view_figure.h"

namespace tl::render {

enum class ExportFormat { Png, Svg, Pdf, Csv, Npy };

struct ExportOptions {
  QSize size{1400, 1100};  // pixels (PNG) or the page in pixels at `dpi` (SVG, PDF)
  double dpi = 150.0;      // labels are FigureOptions::font_px at 96 dpi, scaled to this resolution
  bool overwrite = false;
  FigureOptions figure;
};

struct ViewExport {
  ViewFigure figure;
  // The numbers behind the figure (CSV, NPY): one matrix, or several of one shape with one name
  // each. Empty when the view has no matrix (then CSV/NPY exports are refused with a message).
  std::vector<std::shared_ptr<const Map>> data;
  std::vector<std::string> data_names;
  // Merged into the provenance JSON (for example the view's name and the app's display options).
  nlohmann::json provenance = nlohmann::json::object();
};

// From the file extension (.png, .svg, .pdf, .csv, .npy; case-insensitive).
std::optional<ExportFormat> format_for_path(const std::filesystem::path& path);
bool is_figure(ExportFormat format);  // PNG, SVG, PDF
const char* format_name(ExportFormat format);  // "png", ...
std::filesystem::path provenance_path(const std::filesystem::path& figure_path);
// Refuses (with a message naming the file) when `path` or its provenance file exists.
Status check_free(const std::filesystem::path& path);

// A drawing style as the provenance JSON records it (colormap resolved for `map`).
nlohmann::json style_json(const HeatmapStyle& style, const Map& map);

// One map drawn as one panel; its numbers are the map itself. `in.map` must outlive the result.
ViewExport single_map_export(const FigureInput& in);

// The JSON written beside an export.
nlohmann::json export_provenance(const ViewExport& view, ExportFormat format, const ExportOptions& options);
nlohmann::json export_provenance(const FigureInput& in, ExportFormat format, const ExportOptions& options);

// Renders the figure or serialises the numbers into memory (no file touched).
Result<std::string> render_export_bytes(const ViewExport& view, ExportFormat format, const ExportOptions& options);
Result<std::string> render_figure_bytes(const FigureInput& in, ExportFormat format, const ExportOptions& options);

// Renders and writes the file (format from the extension) and its provenance JSON.
Status export_view(const std::filesystem::path& path, const ViewExport& view, const ExportOptions& options);
Status export_figure(const std::filesystem::path& path, const FigureInput& in, const ExportOptions& options);

}  // namespace tl::render
