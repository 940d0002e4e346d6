#pragma once
// "Export every layer": one file per map of a layer series (core/methods/layer_series.h) into a
// folder, the same figure (or CSV/NPY) as a single export, plus one provenance JSON for the whole
// series ("<method>-layers.provenance.json": model, text, tokens, method, scope, style, the files
// and which block each shows, tool version). Shared by the app (File > Export every layer, on its
// worker thread) and `tensorlens-cli render --every-layer`.
//
// Every figure of the series is drawn on one colour scale (the union of the maps' ranges under
// the style), so the layers compare at a glance. Nothing is written when any target exists,
// unless overwriting is allowed: the refusal names the file. Each file is written atomically; a
// cancelled export leaves the files written so far complete (and the provenance lists them all).
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/util/progress.h"
#include "render/export.h"

namespace tl::render {

struct LayerSeriesExport {
  std::string method;
  bool cumulative = false;  // maps of blocks 1..l (else block l alone)
  int num_layers = 0;
  std::vector<std::shared_ptr<const Map>> maps;
  std::vector<int> blocks;  // per map: 1..L, L + 1 for the end-to-end map
  std::vector<SpecialTokens> special;  // per map (may be empty: none special)
  HeatmapStyle style;
  ExportFormat format = ExportFormat::Png;
  nlohmann::json provenance = nlohmann::json::object();  // merged into the series' provenance
};

// "tensorlens-in-block03.png", "rollout-blocks1-03.svg", "tensorlens-in-end-to-end.pdf".
std::string layer_file_name(const LayerSeriesExport& series, int block);
std::filesystem::path series_provenance_path(const std::filesystem::path& dir, const LayerSeriesExport& series);
// Every file the export writes, the provenance JSON last.
std::vector<std::filesystem::path> layer_series_paths(const std::filesystem::path& dir, const LayerSeriesExport& series);

// Writes the series into `dir` (created when missing). Cancellation through `progress` throws
// tl::Cancelled between files.
Status export_layer_series(const std::filesystem::path& dir, const LayerSeriesExport& series, const ExportOptions& options,
                           Progress* progress = nullptr);

}  // namespace tl::render
