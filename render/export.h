#pragma once
// Figure export: PNG (pixel size and DPI chosen), SVG and PDF (vector, labels as text), each with a
// provenance JSON beside it ("<file>.provenance.json": the Map's provenance, its tokens and the
// drawing options). Writes are atomic (temporary file + rename) and never overwrite an existing
// file unless asked to: the check covers both the figure and its provenance file.
#include <QSize>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/util/result.h"
#include "render/figure.h"

namespace tl::render {

enum class ExportFormat { Png, Svg, Pdf };

struct ExportOptions {
  QSize size{1400, 1100};  // pixels (PNG) or the page in pixels at `dpi` (SVG, PDF)
  double dpi = 150.0;      // labels are FigureOptions::font_px at 96 dpi, scaled to this resolution
  bool overwrite = false;
  FigureOptions figure;
};

// From the file extension (.png, .svg, .pdf, case-insensitive).
std::optional<ExportFormat> format_for_path(const std::filesystem::path& path);
std::filesystem::path provenance_path(const std::filesystem::path& figure_path);

// The JSON written beside an export.
nlohmann::json export_provenance(const FigureInput& in, ExportFormat format, const ExportOptions& options);

// Renders the figure into memory (no file touched).
Result<std::string> render_figure_bytes(const FigureInput& in, ExportFormat format, const ExportOptions& options);

// Renders and writes the figure and its provenance JSON.
Status export_figure(const std::filesystem::path& path, const FigureInput& in, const ExportOptions& options);

}  // namespace tl::render
