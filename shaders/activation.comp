#version 450
// out = act(z) or Phi(z) elementwise (ActivationParams). Grid-stride over n.
#extension GL_GOOGLE_include_directive : require
#include "tl_common.glsl"
#include "activation_common.glsl"

layout(local_size_x = 256) in;
layout(std430, set = 0, binding = 0) readonly buffer Z { float z[]; };
layout(std430, set = 0, binding = 1) writeonly buffer Out { float out_[]; };
TL_PUSH_PARAMS(ActivationParams);

void main() {
  const uint step = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < p.n; i += step) {
    const float v = z[view_base[0] + i];
    out_[view_base[1] + i] = p.want_ratio != 0 ? activation_ratio(p.kind, v) : activation_value(p.kind, v);
  }
}
