#version 450
// Rotary position embedding (RopeParams) of x [n_tokens][n_heads][head_dim] with host-computed
// angle tables cos/sin [positions][rotary_dim / 2]. One invocation per rotated pair or copied
// feature (grid-stride); out may alias x.
#extension GL_GOOGLE_include_directive : require
#include "tl_common.glsl"

layout(local_size_x = 256) in;
layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 1) readonly buffer Cos { float cos_table[]; };
layout(std430, set = 0, binding = 2) readonly buffer Sin { float sin_table[]; };
layout(std430, set = 0, binding = 3) buffer Out { float out_[]; };
TL_PUSH_PARAMS(RopeParams);

void main() {
  const uint half_rot = p.rotary_dim / 2;
  // Per head: half_rot pairs, then head_dim - rotary_dim copied features.
  const uint per_head = half_rot + (p.head_dim - p.rotary_dim);
  const uint total = p.n_tokens * p.n_heads * per_head;
  const uint step = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint e = gl_GlobalInvocationID.x; e < total; e += step) {
    const uint u = e % per_head;
    const uint th = e / per_head;  // token * n_heads + head
    const uint token = th / p.n_heads;
    const uint base = th * p.head_dim;
    if (u < half_rot) {
      const uint i0 = p.interleaved != 0 ? 2 * u : u;
      const uint i1 = p.interleaved != 0 ? 2 * u + 1 : u + half_rot;
      const uint t = (token + p.position_offset) * half_rot + u;
      const float c = cos_table[view_base[1] + t];
      const float s = p.inverse != 0 ? -sin_table[view_base[2] + t] : sin_table[view_base[2] + t];
      const float a = x[view_base[0] + base + i0];
      const float b = x[view_base[0] + base + i1];
      out_[view_base[3] + base + i0] = a * c - b * s;
      out_[view_base[3] + base + i1] = b * c + a * s;
    } else {
      const uint k = p.rotary_dim + (u - half_rot);
      out_[view_base[3] + base + k] = x[view_base[0] + base + k];
    }
  }
}
