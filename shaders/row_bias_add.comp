#version 450
// x[r, c] += bias[c] (RowBiasAddParams): the bias of y = xW + b after the GEMM, row-major x.
// Grid-stride over rows * cols.
#extension GL_GOOGLE_include_directive : require
#include "tl_common.glsl"

layout(local_size_x = 256) in;
layout(std430, set = 0, binding = 0) buffer X { float x[]; };
layout(std430, set = 0, binding = 1) readonly buffer Bias { float bias[]; };
TL_PUSH_PARAMS(RowBiasAddParams);

void main() {
  const uint total = p.rows * p.cols;
  const uint step = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint e = gl_GlobalInvocationID.x; e < total; e += step)
    x[view_base[0] + e] += bias[view_base[1] + e % p.cols];
}
