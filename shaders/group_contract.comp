#version 450
// Group contraction (GroupContractParams): each group of `group` consecutive rows of a block is
// contracted with one row of v, giving one output row per group:
//   out[o, c] = sum_q v[g, q] x[o * group + q, c],  g = the group's index inside its block.
// One invocation per output element (grid-stride), consecutive invocations on consecutive rows.
#extension GL_GOOGLE_include_directive : require
#include "tl_common.glsl"

layout(local_size_x = 256) in;
layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 1) readonly buffer V { float v[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Out { float out_[]; };
TL_PUSH_PARAMS(GroupContractParams);
#define TL_LAYOUT_BINDING 3
#include "token_layout_common.glsl"

void main() {
  const uint out_rows = p.rows / p.group;
  const uint total = out_rows * p.cols;
  const uint step = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint e = gl_GlobalInvocationID.x; e < total; e += step) {
    const uint c = e / out_rows, o = e - c * out_rows;
    const uint first = o * p.group;
    const uint t = row_token(first);
    float acc = 0.0;
    if (t != TL_NO_TOKEN) {
      const uint g = (first - block_offset(t)) / p.group;
      if (g < p.v_rows)
        for (uint q = 0; q < p.group; ++q)
          acc = fma(v[view_base[1] + q * p.v_rows + g], x[view_base[0] + c * p.rows + first + q], acc);
    }
    out_[view_base[2] + e] = acc;
  }
}
