#version 450
// out[r] = sum_c x[r, c]^2 of a column-major rows x cols matrix (RowSqNormsParams). One
// invocation per row (grid-stride); consecutive invocations read consecutive rows. Columns are
// summed in chunks of 32 before the chunk sums are added, which keeps the fp32 rounding error
// near that of pairwise summation for wide rows.
#extension GL_GOOGLE_include_directive : require
#include "tl_common.glsl"

layout(local_size_x = 256) in;
layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 1) writeonly buffer Out { float out_[]; };
TL_PUSH_PARAMS(RowSqNormsParams);

void main() {
  const uint step = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint r = gl_GlobalInvocationID.x; r < p.rows; r += step) {
    float total = 0.0;
    for (uint c0 = 0; c0 < p.cols; c0 += 32) {
      float chunk = 0.0;
      const uint c1 = min(c0 + 32, p.cols);
      for (uint c = c0; c < c1; ++c) {
        const float v = x[view_base[0] + c * p.rows + r];
        chunk = fma(v, v, chunk);
      }
      total += chunk;
    }
    out_[view_base[1] + r] = total;
  }
}
