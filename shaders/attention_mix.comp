#version 450
// Attention mixing over tokens with frozen probabilities on column-major stream states
// (AttentionMixParams): row r of block i of y accumulates row r of every block k of x weighted by
// A_h[i, k] (or the adjoint), for r < min(count_i, count_k). One invocation per element of y
// (grid-stride); consecutive invocations take consecutive rows, so reads of x are coalesced and
// the probabilities are shared by the invocations of one block.
#extension GL_GOOGLE_include_directive : require
#include "tl_common.glsl"

layout(local_size_x = 256) in;
layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 1) buffer Y { float y[]; };
layout(std430, set = 0, binding = 2) readonly buffer Probs { float probs[]; };
TL_PUSH_PARAMS(AttentionMixParams);
#define TL_LAYOUT_BINDING 3
#include "token_layout_common.glsl"

void main() {
  const uint n = p.n_tokens, hd = p.head_dim;
  const uint per_group = p.heads / p.kv_heads;
  const uint width_y = (p.transpose == 0 ? p.heads : p.kv_heads) * hd;
  const uint total = p.rows * width_y;
  const uint step = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  const uint xb = view_base[0], pb = view_base[2];
  const uint probs_ld = p.heads * n;  // column stride of probs
  for (uint e = gl_GlobalInvocationID.x; e < total; e += step) {
    const uint col = e / p.rows, r_out = e - col * p.rows;
    const uint t = row_token(r_out);
    if (t == TL_NO_TOKEN) continue;
    const uint rr = r_out - block_offset(t);  // row inside the block
    const uint head = col / hd, c = col - head * hd;
    float acc = 0.0;
    if (p.transpose == 0) {
      // y_t[rr, head] += sum_k A_head[t, k] x_k[rr, kv head]
      const uint x_col = (head / per_group) * hd + c;
      for (uint k = 0; k < n; ++k) {
        if (block_count(k) <= rr) continue;
        const float a = probs[pb + k * probs_ld + head * n + t];
        if (a != 0.0) acc = fma(a, x[xb + x_col * p.rows + block_offset(k) + rr], acc);
      }
    } else {
      // y_t[rr, kv head g] += sum_{h in g} sum_i A_h[i, t] x_i[rr, head h]
      for (uint h = head * per_group; h < (head + 1) * per_group; ++h) {
        const uint x_col = h * hd + c;
        for (uint i = 0; i < n; ++i) {
          if (block_count(i) <= rr) continue;
          const float a = probs[pb + t * probs_ld + h * n + i];
          if (a != 0.0) acc = fma(a, x[xb + x_col * p.rows + block_offset(i) + rr], acc);
        }
      }
    }
    y[view_base[1] + e] += acc;
  }
}
