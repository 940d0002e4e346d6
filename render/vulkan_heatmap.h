#pragma once
// Vulkan heatmap path: the cells of a prepared heatmap coloured on the GPU (compute kernel
// shaders/heatmap_colormap.comp on a gpu::Context) into an offscreen image of any size, read back
// as a QImage. It applies the same colour scale as the CPU rasteriser (render/heatmap.h) in fp32,
// so a pixel may land one colormap entry away from the CPU's where a value sits on an entry
// boundary; tests compare the two with that tolerance.
//
// Limits: offscreen only (no window swapchain yet); one context per renderer, used from one
// thread; width * cols and height * rows must stay below 2^32.
#include <QImage>
#include <QSize>
#include <memory>

#include "core/gpu/gpu.h"
#include "core/util/result.h"
#include "render/heatmap.h"

namespace tl::render {

class VulkanHeatmapRenderer {
 public:
  // Uses an existing context (the engine's) or creates its own. Errors: no Vulkan loader or
  // device (the caller falls back to the CPU rasteriser).
  static Result<std::unique_ptr<VulkanHeatmapRenderer>> create(const gpu::ContextOptions& options = {});
  explicit VulkanHeatmapRenderer(std::shared_ptr<gpu::Context> context);

  const gpu::DeviceInfo& device() const { return context_->device(); }

  // The cells scaled (nearest) to `size` pixels; size (cols, rows) gives one pixel per cell,
  // the layout of rasterize_cells(). Format_ARGB32, opaque.
  Result<QImage> render(const PreparedHeatmap& prepared, QSize size);

 private:
  std::shared_ptr<gpu::Context> context_;
};

}  // namespace tl::render
