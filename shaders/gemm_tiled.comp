#version 450
// Batched fp32 GEMM with shared-memory tiling (GemmParams in shader_params.h):
//   C[b] = alpha * op(A[b]) op(B[b]) + beta * C[b]
// A 16 x 16 workgroup computes a TILE_M x TILE_N tile of C; each invocation a THREAD_M x THREAD_N
// micro-tile whose rows and columns are strided by 16, so shared-memory reads of a warp are
// broadcasts (A) or consecutive (B). Tiles of op(A) and op(B) TILE_K deep are staged in shared
// memory with one padding column, so both the row-major and the transposed loads (coalesced along
// the stored rows) are free of bank conflicts. Dispatch: (ceil(n / TILE_N), ceil(m / TILE_M), batch).
#extension GL_GOOGLE_include_directive : require
#include "tl_common.glsl"

#define THREADS_X 16
#define THREADS_Y 16
#define TILE_M TL_GEMM_TILE_M
#define TILE_N TL_GEMM_TILE_N
#define TILE_K TL_GEMM_TILE_K
#define THREAD_M (TILE_M / THREADS_Y)
#define THREAD_N (TILE_N / THREADS_X)
#define THREADS (THREADS_X * THREADS_Y)
#define LOADS_A (TILE_M * TILE_K / THREADS)
#define LOADS_B (TILE_N * TILE_K / THREADS)

layout(local_size_x = THREADS_X, local_size_y = THREADS_Y) in;
layout(std430, set = 0, binding = 0) readonly buffer A { float a[]; };
layout(std430, set = 0, binding = 1) readonly buffer B { float b[]; };
layout(std430, set = 0, binding = 2) buffer C { float c[]; };
TL_PUSH_PARAMS(GemmParams);

shared float tile_a[TILE_K][TILE_M + 1];
shared float tile_b[TILE_K][TILE_N + 1];

void main() {
  const uint tx = gl_LocalInvocationID.x;
  const uint ty = gl_LocalInvocationID.y;
  const uint tid = ty * THREADS_X + tx;
  const uint batch = gl_WorkGroupID.z;
  const uint row0 = gl_WorkGroupID.y * TILE_M;
  const uint col0 = gl_WorkGroupID.x * TILE_N;
  const uint a_base = view_base[0] + batch * p.stride_a;
  const uint b_base = view_base[1] + batch * p.stride_b;
  const uint c_base = view_base[2] + batch * p.stride_c;

  float acc[THREAD_M][THREAD_N];
  for (uint i = 0; i < THREAD_M; ++i)
    for (uint j = 0; j < THREAD_N; ++j) acc[i][j] = 0.0;

  for (uint k0 = 0; k0 < p.k; k0 += TILE_K) {
    for (uint l = 0; l < LOADS_A; ++l) {
      const uint t = tid + l * THREADS;
      // Consecutive invocations read consecutive stored elements in both layouts.
      const uint r = p.trans_a == 0 ? t / TILE_K : t % TILE_M;
      const uint kk = p.trans_a == 0 ? t % TILE_K : t / TILE_M;
      const uint gr = row0 + r, gk = k0 + kk;
      float v = 0.0;
      if (gr < p.m && gk < p.k) v = a[a_base + (p.trans_a == 0 ? gr * p.lda + gk : gk * p.lda + gr)];
      tile_a[kk][r] = v;
    }
    for (uint l = 0; l < LOADS_B; ++l) {
      const uint t = tid + l * THREADS;
      const uint cc = p.trans_b == 0 ? t % TILE_N : t / TILE_K;
      const uint kk = p.trans_b == 0 ? t / TILE_N : t % TILE_K;
      const uint gc = col0 + cc, gk = k0 + kk;
      float v = 0.0;
      if (gc < p.n && gk < p.k) v = b[b_base + (p.trans_b == 0 ? gk * p.ldb + gc : gc * p.ldb + gk)];
      tile_b[kk][cc] = v;
    }
    barrier();
    for (uint kk = 0; kk < TILE_K; ++kk) {
      float av[THREAD_M];
      float bv[THREAD_N];
      for (uint i = 0; i < THREAD_M; ++i) av[i] = tile_a[kk][ty + i * THREADS_Y];
      for (uint j = 0; j < THREAD_N; ++j) bv[j] = tile_b[kk][tx + j * THREADS_X];
      for (uint i = 0; i < THREAD_M; ++i)
        for (uint j = 0; j < THREAD_N; ++j) acc[i][j] = fma(av[i], bv[j], acc[i][j]);
    }
    barrier();
  }

  for (uint i = 0; i < THREAD_M; ++i) {
    const uint gr = row0 + ty + i * THREADS_Y;
    if (gr >= p.m) continue;
    for (uint j = 0; j < THREAD_N; ++j) {
      const uint gc = col0 + tx + j * THREADS_X;
      if (gc >= p.n) continue;
      const uint idx = c_base + gr * p.ldc + gc;
      const float prior = p.beta != 0.0 ? p.beta * c[idx] : 0.0;
      c[idx] = p.alpha * acc[i][j] + prior;
    }
  }
}
