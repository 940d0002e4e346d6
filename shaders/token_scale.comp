#version 450
// Frozen per-token coefficients on a column-major stream state (TokenScaleParams):
//   per_column = 0:  x[r, c] *= s[t]        (scale_rows: norm scales 1/sigma, 1/rms)
//   per_column = 1:  x[r, c] *= coef[t, c]  (scale_columns: activation ratios Phi, gates)
// t = row_token[r]; rows outside every block are left alone. Grid-stride over elements, so
// consecutive invocations touch consecutive rows (coalesced).
#extension GL_GOOGLE_include_directive : require
#include "tl_common.glsl"

layout(local_size_x = 256) in;
layout(std430, set = 0, binding = 0) buffer X { float x[]; };
layout(std430, set = 0, binding = 1) readonly buffer Coef { float coef[]; };
TL_PUSH_PARAMS(TokenScaleParams);
#define TL_LAYOUT_BINDING 2
#include "token_layout_common.glsl"

void main() {
  const uint total = p.rows * p.cols;
  const uint step = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint e = gl_GlobalInvocationID.x; e < total; e += step) {
    const uint c = e / p.rows, r = e - c * p.rows;
    const uint t = row_token(r);
    if (t == TL_NO_TOKEN) continue;
    const float k = coef[view_base[1] + (p.per_column != 0 ? c * p.n_tokens + t : t)];
    x[view_base[0] + e] *= k;
  }
}
