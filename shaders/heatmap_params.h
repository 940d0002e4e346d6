// Host/shader layout of render/'s heatmap kernel (heatmap_colormap.comp), included by the shader
// and by render/vulkan_heatmap.cpp. Kept beside the shader rather than in core/gpu/shader_params.h
// because only render/ uses it; it follows that header's conventions (32-bit scalars, size check).
#ifndef TL_HEATMAP_PARAMS_H
#define TL_HEATMAP_PARAMS_H

#ifdef __cplusplus
#include "core/gpu/shader_params.h"
#else
#include "shader_params.h"
#endif

#ifdef __cplusplus
namespace tl::gpu {
#endif

// Colour-scale modes, as render::ColorScale: linear, log10 (sequential), symmetric log (diverging).
#define TL_HEATMAP_LINEAR 0u
#define TL_HEATMAP_LOG 1u
#define TL_HEATMAP_SYMLOG 2u

// out[y * width + x] = lut[index of values[i * cols + j]] with (i, j) the cell under pixel (x, y):
// j = x * cols / width, i = y * rows / height (nearest). NaN values are masked cells (masked_rgb).
TL_STRUCT(HeatmapParams) {
  uint rows;
  uint cols;
  uint width;
  uint height;
  float lo;        // colour range (after symmetrisation and the log floor)
  float hi;
  float symlog_c;  // symmetric log: linear threshold
  uint mode;
  uint masked_rgb; // 0xAARRGGBB
};
TL_CHECK_PARAMS(HeatmapParams, 36);

#ifdef __cplusplus
}  // namespace tl::gpu
#endif
#endif
