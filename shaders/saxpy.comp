#version 450
// y[i] = a * x[i] + y[i] (SaxpyParams): the backend's axpy, and the smallest kernel, which proves
// the shader pipeline (glslc at build time, SPIR-V embedded, dispatched on Vulkan) end to end.
// Grid-stride, so any n fits in the workgroup-count limit.
#extension GL_GOOGLE_include_directive : require
#include "tl_common.glsl"

layout(local_size_x = 64) in;
layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 1) buffer Y { float y[]; };
TL_PUSH_PARAMS(SaxpyParams);

void main() {
  const uint step = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < p.n; i += step)
    y[view_base[1] + i] = p.a * x[view_base[0] + i] + y[view_base[1] + i];
}
