#version 450
// LayerNorm / RMSNorm forward (NormForwardParams), one workgroup per row (grid-stride over rows).
// The variance is computed in two passes (mean first) for accuracy; inv_scale[r] receives the
// row's 1/sigma or 1/rms, which the frozen maps reuse.
#extension GL_GOOGLE_include_directive : require
#include "tl_common.glsl"
#define TL_REDUCE_SIZE 128
#include "reduce_common.glsl"

layout(local_size_x = TL_REDUCE_SIZE) in;
layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 1) readonly buffer Gamma { float gamma[]; };
layout(std430, set = 0, binding = 2) readonly buffer Beta { float beta[]; };
layout(std430, set = 0, binding = 3) buffer Y { float y[]; };
layout(std430, set = 0, binding = 4) writeonly buffer InvScale { float inv_scale[]; };
TL_PUSH_PARAMS(NormForwardParams);

void main() {
  const uint lid = gl_LocalInvocationID.x;
  const float n = float(p.row_len);
  for (uint row = gl_WorkGroupID.x; row < p.n_rows; row += gl_NumWorkGroups.x) {
    const uint xb = view_base[0] + row * p.row_len;
    const uint yb = view_base[3] + row * p.row_len;
    float mean = 0.0;
    if (p.kind == TL_NORM_LAYER) {
      float s = 0.0;
      for (uint k = lid; k < p.row_len; k += TL_REDUCE_SIZE) s += x[xb + k];
      mean = workgroup_sum(s) / n;
    }
    float ss = 0.0;
    for (uint k = lid; k < p.row_len; k += TL_REDUCE_SIZE) {
      const float d = x[xb + k] - mean;
      ss += d * d;
    }
    const float inv = inversesqrt(workgroup_sum(ss) / n + p.eps);
    for (uint k = lid; k < p.row_len; k += TL_REDUCE_SIZE) {
      const float v = (x[xb + k] - mean) * inv * gamma[view_base[1] + k];
      y[yb + k] = p.kind == TL_NORM_LAYER ? v + beta[view_base[2] + k] : v;
    }
    if (lid == 0) inv_scale[view_base[4] + row] = inv;
  }
}
