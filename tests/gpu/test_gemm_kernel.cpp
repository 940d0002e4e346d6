// gemm_tiled.comp against an Eigen (double) reference on odd shapes, every transpose combination,
// batches, alpha/beta, leading dimensions wider than the matrices and views at odd offsets.
// Bound: max|gpu - ref| / max|ref| < 1e-5 (fp32 accumulation over k <= 257 terms).
#include <gtest/gtest.h>

#include <tuple>

#include "core/gpu/compute_kernels.h"
#include "gpu_test_support.h"

namespace tl::gpu {
namespace {

using testing::device_copy;
using testing::host_copy;
using testing::normalised_error;
using testing::random_floats;
using RowMajorD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// op(X) of the row-major matrix stored at data[offset...] (rows x cols as stored, leading dim ld).
RowMajorD stored(const std::vector<float>& data, std::size_t offset, std::uint32_t rows, std::uint32_t cols,
                 std::uint32_t ld) {
  RowMajorD m(rows, cols);
  for (std::uint32_t r = 0; r < rows; ++r)
    for (std::uint32_t c = 0; c < cols; ++c) m(r, c) = data[offset + std::size_t(r) * ld + c];
  return m;
}

// The reference result for every element of the C buffer (untouched elements keep their value).
std::vector<float> reference(const std::vector<float>& a, const std::vector<float>& b, std::vector<float> c,
                             const GemmShape& s, std::uint32_t lda, std::uint32_t ldb, std::uint32_t ldc,
                             std::uint32_t sa, std::uint32_t sb, std::uint32_t sc) {
  for (std::uint32_t i = 0; i < s.batch; ++i) {
    RowMajorD A = s.trans_a ? RowMajorD(stored(a, i * sa, s.k, s.m, lda).transpose())
                            : stored(a, i * sa, s.m, s.k, lda);
    RowMajorD B = s.trans_b ? RowMajorD(stored(b, i * sb, s.n, s.k, ldb).transpose())
                            : stored(b, i * sb, s.k, s.n, ldb);
    RowMajorD C = stored(c, i * sc, s.m, s.n, ldc);
    RowMajorD R = s.alpha * (A * B);
    if (s.beta != 0.0f) R += s.beta * C;
    for (std::uint32_t r = 0; r < s.m; ++r)
      for (std::uint32_t col = 0; col < s.n; ++col) c[i * sc + std::size_t(r) * ldc + col] = float(R(r, col));
  }
  return c;
}

class GemmKernel : public ::testing::TestWithParam<std::tuple<std::uint32_t, std::uint32_t, std::uint32_t>> {
};

TEST_P(GemmKernel, MatchesEigenForEveryTransposeAndBatch) {
  TL_GPU_CONTEXT_OR_SKIP(ctx);
  ComputeKernels kernels(ctx);
  const auto [m, n, k] = GetParam();
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      for (std::uint32_t batch : {1u, 3u}) {
        GemmShape s;
        s.m = m, s.n = n, s.k = k, s.batch = batch, s.trans_a = ta, s.trans_b = tb;
        s.alpha = 1.5f;
        s.beta = batch == 3 ? 0.5f : 0.0f;
        const std::uint32_t lda = ta ? m : k, ldb = tb ? k : n, ldc = n;
        const std::uint32_t sa = m * k, sb = k * n, sc = m * n;
        const auto a = random_floats(std::size_t(sa) * batch, 11 + m);
        const auto b = random_floats(std::size_t(sb) * batch, 12 + n);
        const auto c0 = random_floats(std::size_t(sc) * batch, 13 + k);
        Buffer da = device_copy(ctx, a, "A"), db = device_copy(ctx, b, "B"), dc = device_copy(ctx, c0, "C");
        auto run = ctx.begin_batch();
        ASSERT_TRUE(run.ok());
        Status st = kernels.gemm(*run, da, db, dc, s);
        ASSERT_TRUE(st.ok()) << st.error().message;
        ASSERT_TRUE(run->submit_and_wait().ok());
        const auto want = reference(a, b, c0, s, lda, ldb, ldc, sa, sb, sc);
        EXPECT_LT(normalised_error(host_copy(ctx, dc), want), 1e-5)
            << "m=" << m << " n=" << n << " k=" << k << " ta=" << ta << " tb=" << tb << " batch=" << batch;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(OddShapes, GemmKernel,
                         ::testing::Values(std::make_tuple(1u, 1u, 1u), std::make_tuple(7u, 33u, 129u),
                                           std::make_tuple(33u, 7u, 1u), std::make_tuple(129u, 130u, 33u),
                                           std::make_tuple(130u, 1u, 257u), std::make_tuple(1u, 129u, 7u)));

TEST(GemmKernelLayout, SubmatricesWithWideLeadingDimensionsAtOddOffsets) {
  TL_GPU_CONTEXT_OR_SKIP(ctx);
  ComputeKernels kernels(ctx);
  GemmShape s;
  s.m = 9, s.n = 13, s.k = 5, s.batch = 2, s.trans_a = true;
  s.lda = 11, s.ldb = 17, s.ldc = 19;  // wider than the matrices
  s.stride_a = 5 * 11 + 3, s.stride_b = 5 * 17 + 1, s.stride_c = 9 * 19 + 7;
  const std::size_t off_a = 3, off_b = 5, off_c = 1;
  const auto a = random_floats(off_a + 2 * s.stride_a, 21);
  const auto b = random_floats(off_b + 2 * s.stride_b, 22);
  const auto c0 = random_floats(off_c + 2 * s.stride_c, 23);
  Buffer da = device_copy(ctx, a, "A"), db = device_copy(ctx, b, "B"), dc = device_copy(ctx, c0, "C");
  auto run = ctx.begin_batch();
  ASSERT_TRUE(run.ok());
  Status st =
      kernels.gemm(*run, BufferView(da, off_a, a.size() - off_a), BufferView(db, off_b, b.size() - off_b),
                   BufferView(dc, off_c, c0.size() - off_c), s);
  ASSERT_TRUE(st.ok()) << st.error().message;
  ASSERT_TRUE(run->submit_and_wait().ok());
  const std::vector<float> a_view(a.begin() + off_a, a.end()), b_view(b.begin() + off_b, b.end());
  const std::vector<float> c_view(c0.begin() + off_c, c0.end());
  auto want = reference(a_view, b_view, c_view, s, s.lda, s.ldb, s.ldc, s.stride_a, s.stride_b, s.stride_c);
  want.insert(want.begin(), c0.begin(), c0.begin() + off_c);
  EXPECT_LT(normalised_error(host_copy(ctx, dc), want), 1e-5) << "elements outside C must be untouched too";
}

TEST(GemmKernelLayout, RejectsViewsTooSmallForTheShape) {
  TL_GPU_CONTEXT_OR_SKIP(ctx);
  ComputeKernels kernels(ctx);
  auto a = ctx.create_buffer(6, "A");
  auto b = ctx.create_buffer(6, "B");
  auto c = ctx.create_buffer(3, "C");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  auto run = ctx.begin_batch();
  ASSERT_TRUE(run.ok());
  GemmShape s;
  s.m = 2, s.n = 2, s.k = 3;  // C needs 4 elements
  Status st = kernels.gemm(*run, *a, *b, *c, s);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("C needs 4 elements"), std::string::npos) << st.error().message;
}

}  // namespace
}  // namespace tl::gpu
