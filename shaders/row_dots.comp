#version 450
// Signed contraction (RowDotsParams): out[r] = sum_c x[r, c] v[t, c], t = row_token[r], on a
// column-major state; 0 for rows outside every block. One invocation per row (grid-stride),
// columns summed in chunks of 32 (see row_sq_norms.comp).
#extension GL_GOOGLE_include_directive : require
#include "tl_common.glsl"

layout(local_size_x = 256) in;
layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 1) readonly buffer V { float v[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Out { float out_[]; };
TL_PUSH_PARAMS(RowDotsParams);
#define TL_LAYOUT_BINDING 3
#include "token_layout_common.glsl"

void main() {
  const uint step = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint r = gl_GlobalInvocationID.x; r < p.rows; r += step) {
    const uint t = row_token(r);
    float total = 0.0;
    if (t != TL_NO_TOKEN) {
      for (uint c0 = 0; c0 < p.cols; c0 += 32) {
        float chunk = 0.0;
        const uint c1 = min(c0 + 32, p.cols);
        for (uint c = c0; c < c1; ++c)
          chunk = fma(x[view_base[0] + c * p.rows + r], v[view_base[1] + c * p.n_tokens + t], chunk);
        total += chunk;
      }
    }
    out_[view_base[2] + r] = total;
  }
}
