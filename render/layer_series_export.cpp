#include "render/layer_series_export.h"

#include <cstdio>

#include "core/io/file_util.h"

namespace tl::render {
namespace {

const SpecialTokens& special_of(const LayerSeriesExport& s, std::size_t k) {
  static const SpecialTokens none;
  return k < s.special.size() ? s.special[k] : none;
}

}  // namespace

std::string layer_file_name(const LayerSeriesExport& series, int block) {
  const std::string ext = std::string(".") + format_name(series.format);
  if (block > series.num_layers) return series.method + "-end-to-end" + ext;
  // Zero-padded to the number of blocks' digits, so the files sort in block order.
  const int width = std::max(2, static_cast<int>(std::to_string(series.num_layers).size()));
  char number[16];
  std::snprintf(number, sizeof number, "%0*d", width, block);
  return series.method + (series.cumulative ? "-blocks1-" : "-block") + number + ext;
}

std::filesystem::path series_provenance_path(const std::filesystem::path& dir, const LayerSeriesExport& series) {
  return dir / (series.method + (series.cumulative ? "-cumulative" : "") + "-layers.provenance.json");
}

std::vector<std::filesystem::path> layer_series_paths(const std::filesystem::path& dir, const LayerSeriesExport& series) {
  std::vector<std::filesystem::path> out;
  for (int block : series.blocks) out.push_back(dir / layer_file_name(series, block));
  out.push_back(series_provenance_path(dir, series));
  return out;
}

Status export_layer_series(const std::filesystem::path& dir, const LayerSeriesExport& series, const ExportOptions& options,
                           Progress* progress) {
  if (series.maps.empty()) return make_error(series.method + ": no layer maps to export");
  if (series.blocks.size() != series.maps.size()) return make_error("layer series: one block number per map is required");
  const auto paths = layer_series_paths(dir, series);
  if (!options.overwrite) {
    std::error_code ec;
    for (const auto& p : paths) {
      if (std::filesystem::exists(p, ec)) {
        return make_error(p.string() + ": already exists (choose another folder or allow overwriting); nothing was written");
      }
    }
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return make_error(dir.string() + ": cannot create the folder (" + ec.message() + ")");

  // One colour scale for every file.
  HeatmapStyle style = series.style;
  ValueRange all;
  for (std::size_t k = 0; k < series.maps.size(); ++k) all = all.united(display_range(*series.maps[k], style, special_of(series, k)));
  style.fixed_range = all;

  auto view_of = [&](std::size_t k) {
    FigureInput in;
    in.map = series.maps[k].get();
    in.style = style;
    in.special = special_of(series, k);
    return single_map_export(in);
  };
  // Provenance first (from the first map: model, text, tokens, style), listing every file.
  nlohmann::json j = export_provenance(view_of(0), series.format, options);
  j.erase("shape");
  j["layers"] = series.cumulative ? "blocks 1..l for every l" : "every block alone";
  nlohmann::json files = nlohmann::json::array();
  for (std::size_t k = 0; k < series.maps.size(); ++k) {
    files.push_back({{"file", paths[k].filename().string()},
                     {"block", series.blocks[k]},
                     {"layers", series.maps[k]->provenance.layers},
                     {"shape", {series.maps[k]->rows(), series.maps[k]->cols()}}});
  }
  j["files"] = files;
  j.merge_patch(series.provenance);
  if (Status s = write_text_atomic(paths.back(), j.dump(2) + "\n"); !s) return s;

  const std::size_t n = series.maps.size();
  for (std::size_t k = 0; k < n; ++k) {
    if (progress && progress->cancelled()) throw Cancelled{};
    if (progress) progress->report(double(k) / double(n), "writing " + paths[k].filename().string());
    auto bytes = render_export_bytes(view_of(k), series.format, options);
    if (!bytes) return make_error(paths[k].string() + ": " + bytes.error().message);
    const std::string& data = bytes.value();
    if (Status s = write_file_atomic(paths[k], {reinterpret_cast<const unsigned char*>(data.data()), data.size()}); !s) return s;
  }
  if (progress) progress->report(1.0, "done");
  return {};
}

}  // namespace tl::render
