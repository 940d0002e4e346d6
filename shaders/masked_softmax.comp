#version 450
// Row softmax of scores * scale with a causal mask (MaskedSoftmaxParams): in row r (query
// q = r % rows_per_matrix) keys j > q + key_offset get probability exactly 0 when causal = 1.
// One workgroup per row (grid-stride over rows); out may alias in.
#extension GL_GOOGLE_include_directive : require
#include "tl_common.glsl"
#define TL_REDUCE_SIZE 64
#include "reduce_common.glsl"

layout(local_size_x = TL_REDUCE_SIZE) in;
layout(std430, set = 0, binding = 0) readonly buffer Scores { float scores[]; };
layout(std430, set = 0, binding = 1) buffer Probs { float probs[]; };
TL_PUSH_PARAMS(MaskedSoftmaxParams);

void main() {
  const uint lid = gl_LocalInvocationID.x;
  for (uint row = gl_WorkGroupID.x; row < p.n_rows; row += gl_NumWorkGroups.x) {
    const uint q = row % p.rows_per_matrix;
    const uint visible = p.causal != 0 ? min(p.n_cols, q + p.key_offset + 1) : p.n_cols;
    const uint sb = view_base[0] + row * p.n_cols;
    const uint pb = view_base[1] + row * p.n_cols;
    float m = -3.402823466e38;
    for (uint j = lid; j < visible; j += TL_REDUCE_SIZE) m = max(m, scores[sb + j] * p.scale);
    m = workgroup_max(m);
    float s = 0.0;
    for (uint j = lid; j < visible; j += TL_REDUCE_SIZE) s += exp(scores[sb + j] * p.scale - m);
    const float inv = 1.0 / workgroup_sum(s);
    for (uint j = lid; j < p.n_cols; j += TL_REDUCE_SIZE)
      probs[pb + j] = j < visible ? exp(scores[sb + j] * p.scale - m) * inv : 0.0;
  }
}
