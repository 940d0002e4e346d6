#pragma once
// Single-precision GEMM for the CPU backend's large products (the engine's hot path). Eigen 3.4's
// AVX-512 float kernel is 48x4 and reaches about half of the FMA peak here; this one is the usual
// packed, cache-blocked design (BLIS loop order) with a 32x12 AVX-512 micro-kernel and reaches
// about 80%. Single-threaded: the backend runs one call per row band. Without AVX-512 it falls
// back to Eigen.
#include <cstdint>

namespace tl::cpu {

// C (m x n) = A (m x k) * op(B) (+ C when accumulate). Column-major with leading dimensions;
// op(B) = B (k x n, ldb) or B^T (B is n x k, ldb).
void sgemm(std::int64_t m, std::int64_t n, std::int64_t k, const float* a, std::int64_t lda, const float* b,
           std::int64_t ldb, bool transpose_b, float* c, std::int64_t ldc, bool accumulate);

// Whether sgemm uses its own kernel (else Eigen).
bool sgemm_has_kernel();

}  // namespace tl::cpu
