#version 450
// The heatmap's colour pass (render/vulkan_heatmap.cpp): one invocation per output pixel looks up
// its cell, maps the value through the colour scale and writes the colormap entry (0xAARRGGBB,
// the layout of QImage::Format_ARGB32). The same arithmetic as render::ColorScale, in fp32.
#extension GL_GOOGLE_include_directive : require
#include "tl_common.glsl"
#include "heatmap_params.h"

layout(local_size_x = 16, local_size_y = 16) in;
layout(std430, set = 0, binding = 0) readonly buffer Values { float values[]; };
layout(std430, set = 0, binding = 1) readonly buffer Lut { uint lut[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Out { uint pixels[]; };
TL_PUSH_PARAMS(HeatmapParams);

float scale_coordinate(float v) {
  if (p.mode == TL_HEATMAP_LOG) return log(max(v, p.lo)) / log(10.0);
  if (p.mode == TL_HEATMAP_SYMLOG) return sign(v) * log(1.0 + abs(v) / p.symlog_c) / log(10.0);
  return v;
}

void main() {
  const uint x = gl_GlobalInvocationID.x, y = gl_GlobalInvocationID.y;
  if (x >= p.width || y >= p.height) return;
  const uint j = x * p.cols / p.width;
  const uint i = y * p.rows / p.height;
  const float v = values[view_base[0] + i * p.cols + j];
  uint colour;
  if (isnan(v)) {
    colour = p.masked_rgb;
  } else {
    const float a = scale_coordinate(p.lo), b = scale_coordinate(p.hi);
    const float t = clamp((scale_coordinate(clamp(v, p.lo, p.hi)) - a) / (b - a), 0.0, 1.0);
    colour = lut[view_base[1] + uint(round(t * 255.0))];
  }
  pixels[view_base[2] + y * p.width + x] = colour;
}
