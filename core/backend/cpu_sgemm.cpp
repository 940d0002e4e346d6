#include "core/backend/cpu_sgemm.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace tl::cpu {

namespace {

using MapF = Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic>, 0, Eigen::OuterStride<>>;
using ConstMapF = Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic>, 0, Eigen::OuterStride<>>;

void eigen_sgemm(std::int64_t m, std::int64_t n, std::int64_t k, const float* a, std::int64_t lda, const float* b,
                 std::int64_t ldb, bool transpose_b, float* c, std::int64_t ldc, bool accumulate) {
  ConstMapF A(a, m, k, Eigen::OuterStride<>(lda));
  MapF C(c, m, n, Eigen::OuterStride<>(ldc));
  if (transpose_b) {
    ConstMapF B(b, n, k, Eigen::OuterStride<>(ldb));
    if (accumulate) C.noalias() += A * B.transpose();
    else C.noalias() = A * B.transpose();
  } else {
    ConstMapF B(b, k, n, Eigen::OuterStride<>(ldb));
    if (accumulate) C.noalias() += A * B;
    else C.noalias() = A * B;
  }
}

#if defined(__AVX512F__)

// Blocking: the B micro-panel (KC x NR, 12 KiB) stays in L1 across the A micro-panels of one A
// block (MC x KC, 384 KiB, in L2); a B block is KC x NC.
// (Measured on the 2-core Zen 5 CI machine: 32x12 and 32x8/48x8 tiles are within noise; about
// 1.4-1.5x Eigen's single-thread throughput.)
constexpr std::int64_t MR = 32, NR = 12, KC = 256, MC = 384, NC = 3072;
static_assert(MC % MR == 0 && NC % NR == 0, "padded panels must fit the pack buffers");

struct PackBuffers {
  float* a = nullptr;
  float* b = nullptr;
  PackBuffers() {
    a = static_cast<float*>(std::aligned_alloc(64, sizeof(float) * MC * KC));
    b = static_cast<float*>(std::aligned_alloc(64, sizeof(float) * KC * NC));
  }
  ~PackBuffers() {
    std::free(a);
    std::free(b);
  }
};

// A block rows [i0, i0 + mc) x columns [p0, p0 + kc) into MR-row micro-panels (k-major inside),
// zero-padded to a multiple of MR rows.
void pack_a(const float* a, std::int64_t lda, std::int64_t i0, std::int64_t mc, std::int64_t p0, std::int64_t kc,
            float* dst) {
  for (std::int64_t ir = 0; ir < mc; ir += MR) {
    const std::int64_t mr = std::min(MR, mc - ir);
    float* panel = dst + ir * kc;
    for (std::int64_t p = 0; p < kc; ++p) {
      const float* src = a + (i0 + ir) + (p0 + p) * lda;
      float* out = panel + p * MR;
      if (mr == MR) {
        _mm512_store_ps(out, _mm512_loadu_ps(src));
        _mm512_store_ps(out + 16, _mm512_loadu_ps(src + 16));
      } else {
        std::int64_t r = 0;
        for (; r < mr; ++r) out[r] = src[r];
        for (; r < MR; ++r) out[r] = 0.0f;
      }
    }
  }
}

// op(B) rows [p0, p0 + kc) x columns [j0, j0 + nc) into NR-column micro-panels, zero-padded.
void pack_b(const float* b, std::int64_t ldb, bool transpose_b, std::int64_t p0, std::int64_t kc, std::int64_t j0,
            std::int64_t nc, float* dst) {
  for (std::int64_t jr = 0; jr < nc; jr += NR) {
    const std::int64_t nr = std::min(NR, nc - jr);
    float* panel = dst + jr * kc;
    if (transpose_b) {  // op(B)(p, j) = b[j + p * ldb]: for fixed p, j is contiguous
      for (std::int64_t p = 0; p < kc; ++p) {
        const float* src = b + (j0 + jr) + (p0 + p) * ldb;
        float* out = panel + p * NR;
        std::int64_t j = 0;
        for (; j < nr; ++j) out[j] = src[j];
        for (; j < NR; ++j) out[j] = 0.0f;
      }
    } else {  // op(B)(p, j) = b[p + j * ldb]: for fixed j, p is contiguous
      for (std::int64_t j = 0; j < NR; ++j) {
        if (j < nr) {
          const float* src = b + p0 + (j0 + jr + j) * ldb;
          for (std::int64_t p = 0; p < kc; ++p) panel[p * NR + j] = src[p];
        } else {
          for (std::int64_t p = 0; p < kc; ++p) panel[p * NR + j] = 0.0f;
        }
      }
    }
  }
}

// C tile (mr x nr <= MR x NR) = or += A micro-panel (MR x kc) * B micro-panel (kc x NR).
inline void micro_kernel(std::int64_t kc, const float* __restrict a, const float* __restrict b, float* c,
                         std::int64_t ldc, bool add, std::int64_t mr, std::int64_t nr) {
  __m512 c0[NR], c1[NR];
#pragma GCC unroll 12
  for (int j = 0; j < NR; ++j) c0[j] = c1[j] = _mm512_setzero_ps();
  for (std::int64_t p = 0; p < kc; ++p) {
    const __m512 a0 = _mm512_load_ps(a);
    const __m512 a1 = _mm512_load_ps(a + 16);
#pragma GCC unroll 12
    for (int j = 0; j < NR; ++j) {
      const __m512 bj = _mm512_set1_ps(b[j]);
      c0[j] = _mm512_fmadd_ps(a0, bj, c0[j]);
      c1[j] = _mm512_fmadd_ps(a1, bj, c1[j]);
    }
    a += MR;
    b += NR;
  }
  if (mr == MR && nr == NR) {
#pragma GCC unroll 12
    for (int j = 0; j < NR; ++j) {
      float* cj = c + j * ldc;
      if (add) {
        _mm512_storeu_ps(cj, _mm512_add_ps(_mm512_loadu_ps(cj), c0[j]));
        _mm512_storeu_ps(cj + 16, _mm512_add_ps(_mm512_loadu_ps(cj + 16), c1[j]));
      } else {
        _mm512_storeu_ps(cj, c0[j]);
        _mm512_storeu_ps(cj + 16, c1[j]);
      }
    }
    return;
  }
  alignas(64) float tile[NR][MR];
  for (int j = 0; j < NR; ++j) {
    _mm512_store_ps(tile[j], c0[j]);
    _mm512_store_ps(tile[j] + 16, c1[j]);
  }
  for (std::int64_t j = 0; j < nr; ++j) {
    float* cj = c + j * ldc;
    for (std::int64_t r = 0; r < mr; ++r) cj[r] = add ? cj[r] + tile[j][r] : tile[j][r];
  }
}

void packed_sgemm(std::int64_t m, std::int64_t n, std::int64_t k, const float* a, std::int64_t lda, const float* b,
                  std::int64_t ldb, bool transpose_b, float* c, std::int64_t ldc, bool accumulate) {
  thread_local PackBuffers buffers;
  for (std::int64_t j0 = 0; j0 < n; j0 += NC) {
    const std::int64_t nc = std::min(NC, n - j0);
    for (std::int64_t p0 = 0; p0 < k; p0 += KC) {
      const std::int64_t kc = std::min(KC, k - p0);
      const bool add = accumulate || p0 > 0;
      pack_b(b, ldb, transpose_b, p0, kc, j0, nc, buffers.b);
      for (std::int64_t i0 = 0; i0 < m; i0 += MC) {
        const std::int64_t mc = std::min(MC, m - i0);
        pack_a(a, lda, i0, mc, p0, kc, buffers.a);
        for (std::int64_t jr = 0; jr < nc; jr += NR) {
          const float* bp = buffers.b + jr * kc;
          for (std::int64_t ir = 0; ir < mc; ir += MR) {
            micro_kernel(kc, buffers.a + ir * kc, bp, c + (i0 + ir) + (j0 + jr) * ldc, ldc, add,
                         std::min(MR, mc - ir), std::min(NR, nc - jr));
          }
        }
      }
    }
  }
}

#endif  // __AVX512F__

}  // namespace

bool sgemm_has_kernel() {
#if defined(__AVX512F__)
  return true;
#else
  return false;
#endif
}

void sgemm(std::int64_t m, std::int64_t n, std::int64_t k, const float* a, std::int64_t lda, const float* b,
           std::int64_t ldb, bool transpose_b, float* c, std::int64_t ldc, bool accumulate) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate) {
      for (std::int64_t j = 0; j < n; ++j) std::fill(c + j * ldc, c + j * ldc + m, 0.0f);
    }
    return;
  }
#if defined(__AVX512F__)
  // Small products are not worth packing.
  if (m >= MR && double(m) * n * k >= 1e6) {
    packed_sgemm(m, n, k, a, lda, b, ldb, transpose_b, c, ldc, accumulate);
    return;
  }
#endif
  eigen_sgemm(m, n, k, a, lda, b, ldb, transpose_b, c, ldc, accumulate);
}

}  // namespace tl::cpu
