#version 450
// out[i, :] = table[ids[i], :] (EmbeddingGatherParams); an id >= vocab gives a zero row rather
// than a read outside the table (the host validates ids before). Grid-stride.
#extension GL_GOOGLE_include_directive : require
#include "tl_common.glsl"

layout(local_size_x = 256) in;
layout(std430, set = 0, binding = 0) readonly buffer Ids { uint ids[]; };
layout(std430, set = 0, binding = 1) readonly buffer Table { float table[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Out { float out_[]; };
TL_PUSH_PARAMS(EmbeddingGatherParams);

void main() {
  const uint total = p.n_tokens * p.dim;
  const uint step = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint e = gl_GlobalInvocationID.x; e < total; e += step) {
    const uint i = e / p.dim, k = e - i * p.dim;
    const uint id = ids[view_base[0] + i];
    out_[view_base[2] + e] = id < p.vocab ? table[view_base[1] + id * p.dim + k] : 0.0;
  }
}
