#version 450
// out[i] = a[i] * b[i] (ElementwiseMulParams): act(z) = z * Phi(z) and the gated FFN's product,
// formed as the CPU forward forms them. Grid-stride; out must not alias a or b.
#extension GL_GOOGLE_include_directive : require
#include "tl_common.glsl"

layout(local_size_x = 256) in;
layout(std430, set = 0, binding = 0) readonly buffer A { float a[]; };
layout(std430, set = 0, binding = 1) readonly buffer B { float b[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Out { float out_[]; };
TL_PUSH_PARAMS(ElementwiseMulParams);

void main() {
  const uint step = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < p.n; i += step)
    out_[view_base[2] + i] = a[view_base[0] + i] * b[view_base[1] + i];
}
