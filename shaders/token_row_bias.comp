#version 450
// x[offset[n] + row, c] += bias[n, c] for every token n whose block has more than `row` rows
// (TokenRowBiasParams; bias is n_tokens x cols column-major): the affine part c of a component,
// added to the bias row of each block. One invocation per (token, column).
#extension GL_GOOGLE_include_directive : require
#include "tl_common.glsl"

layout(local_size_x = 256) in;
layout(std430, set = 0, binding = 0) buffer X { float x[]; };
layout(std430, set = 0, binding = 1) readonly buffer Bias { float bias[]; };
TL_PUSH_PARAMS(TokenRowBiasParams);
#define TL_LAYOUT_BINDING 2
#include "token_layout_common.glsl"

void main() {
  const uint total = p.n_tokens * p.cols;
  const uint step = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint e = gl_GlobalInvocationID.x; e < total; e += step) {
    const uint c = e / p.n_tokens, n = e - c * p.n_tokens;
    if (block_count(n) <= p.row) continue;
    x[view_base[0] + c * p.rows + block_offset(n) + p.row] += bias[view_base[1] + e];
  }
}
