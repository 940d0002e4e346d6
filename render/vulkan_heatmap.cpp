#include "render/vulkan_heatmap.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "shaders/heatmap_params.h"

namespace tl::render {

Result<std::unique_ptr<VulkanHeatmapRenderer>> VulkanHeatmapRenderer::create(const gpu::ContextOptions& options) {
  auto context = gpu::Context::create(options);
  if (!context) return context.error();
  return std::make_unique<VulkanHeatmapRenderer>(std::shared_ptr<gpu::Context>(std::move(context.value())));
}

VulkanHeatmapRenderer::VulkanHeatmapRenderer(std::shared_ptr<gpu::Context> context) : context_(std::move(context)) {}

Result<QImage> VulkanHeatmapRenderer::render(const PreparedHeatmap& prepared, QSize size) {
  const auto rows = static_cast<std::uint64_t>(prepared.values.rows());
  const auto cols = static_cast<std::uint64_t>(prepared.values.cols());
  if (rows == 0 || cols == 0) return make_error("heatmap: the map has no cells");
  if (size.width() <= 0 || size.height() <= 0) return make_error("heatmap: empty image size");
  const auto width = static_cast<std::uint64_t>(size.width()), height = static_cast<std::uint64_t>(size.height());
  constexpr std::uint64_t kIndexLimit = std::numeric_limits<std::uint32_t>::max();
  if (width * cols > kIndexLimit || height * rows > kIndexLimit || width * height > kIndexLimit) {
    return make_error("heatmap: " + std::to_string(width) + "x" + std::to_string(height) +
                      " pixels is too large for a map of " + std::to_string(rows) + "x" + std::to_string(cols));
  }

  // Cells as the kernel reads them: row-major fp32, masked cells as NaN, NaN values (drawn at the
  // bottom of the scale by the CPU path) as the scale's low end.
  const ColorScale& scale = prepared.scale;
  std::vector<float> values(rows * cols);
  for (std::uint64_t i = 0; i < rows; ++i) {
    for (std::uint64_t j = 0; j < cols; ++j) {
      const double v = prepared.values(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j));
      float& out = values[i * cols + j];
      if (prepared.masked(static_cast<int>(i), static_cast<int>(j))) out = std::numeric_limits<float>::quiet_NaN();
      else out = std::isnan(v) ? static_cast<float>(scale.lo()) : static_cast<float>(v);
    }
  }
  std::vector<std::uint32_t> lut(Colormap::kSize);
  for (int k = 0; k < Colormap::kSize; ++k) lut[static_cast<std::size_t>(k)] = scale.colormap().entry(k);

  auto values_buf = context_->create_buffer(values.size(), "heatmap values");
  if (!values_buf) return values_buf.error();
  auto lut_buf = context_->create_buffer(lut.size(), "heatmap colormap");
  if (!lut_buf) return lut_buf.error();
  auto out_buf = context_->create_buffer(width * height, "heatmap pixels");
  if (!out_buf) return out_buf.error();
  if (Status s = context_->upload(values_buf.value(), std::span<const float>(values)); !s) return s.error();
  if (Status s = context_->upload(lut_buf.value(), std::span<const std::uint32_t>(lut)); !s) return s.error();

  gpu::HeatmapParams params{};
  params.rows = static_cast<std::uint32_t>(rows);
  params.cols = static_cast<std::uint32_t>(cols);
  params.width = static_cast<std::uint32_t>(width);
  params.height = static_cast<std::uint32_t>(height);
  params.lo = static_cast<float>(scale.lo());
  params.hi = static_cast<float>(scale.hi());
  params.mode = !scale.log_scale() ? TL_HEATMAP_LINEAR : scale.diverging() ? TL_HEATMAP_SYMLOG : TL_HEATMAP_LOG;
  params.symlog_c = static_cast<float>(scale.symlog_threshold());
  params.masked_rgb = kMaskedColour;

  auto batch = context_->begin_batch();
  if (!batch) return batch.error();
  const gpu::WorkGroups groups{static_cast<std::uint32_t>((width + 15) / 16), static_cast<std::uint32_t>((height + 15) / 16), 1};
  if (Status s = batch->dispatch("heatmap_colormap", {values_buf.value(), lut_buf.value(), out_buf.value()}, params, groups);
      !s) {
    return s.error();
  }
  if (Status s = batch->submit_and_wait(); !s) return s.error();

  QImage image(size, QImage::Format_ARGB32);
  std::vector<std::uint32_t> pixels(width * height);
  if (Status s = context_->download(out_buf.value(), std::span<std::uint32_t>(pixels)); !s) return s.error();
  for (std::uint64_t y = 0; y < height; ++y) {
    std::memcpy(image.scanLine(static_cast<int>(y)), pixels.data() + y * width, width * sizeof(std::uint32_t));
  }
  return image;
}

}  // namespace tl::render
