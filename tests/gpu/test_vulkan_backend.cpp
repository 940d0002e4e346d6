// VulkanBackend against the CPU backend (the oracle), method by method, on odd shapes and uneven
// token layouts; the backend factory's fallbacks; the mid-run fallback to the CPU after a
// (simulated) device loss. Bound: max|gpu - cpu| / max|cpu| < 1e-5 (both compute in float32).
#include <gtest/gtest.h>

#include "core/backend/cpu_backend.h"
#include "core/gpu/failure_simulation.h"
#include "core/gpu/vulkan_backend.h"
#include "gpu_test_support.h"

namespace tl::gpu {
namespace {

using testing::ScopedEnv;

constexpr double kBound = 1e-5;

MatD random_mat(std::int64_t rows, std::int64_t cols, unsigned seed) {
  return testing::random_matrix(rows, cols, seed).cast<double>();
}

double err(const MatD& got, const MatD& want) {
  if (got.rows() != want.rows() || got.cols() != want.cols()) return INFINITY;
  const double scale = want.cwiseAbs().maxCoeff();
  return want.size() == 0 ? 0.0 : (got - want).cwiseAbs().maxCoeff() / (scale > 0 ? scale : 1.0);
}

// The same state on both backends.
struct Pair {
  tl::Buffer cpu, gpu;
};

class VulkanBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::quiet_vulkan_loader();
    auto vk = VulkanBackend::create();
    if (!vk.ok()) GTEST_SKIP() << "no Vulkan: " << vk.error().message;
    gpu = std::move(*vk);
  }
  Pair both(const MatD& m) {
    auto c = cpu.allocate(m.rows(), m.cols(), Precision::Float32);
    auto g = gpu->allocate(m.rows(), m.cols(), Precision::Float32);
    EXPECT_TRUE(c.ok() && g.ok());
    Pair p{std::move(c.value()), std::move(g.value())};
    cpu.upload_rows(m, *p.cpu);
    gpu->upload_rows(m, *p.gpu);
    return p;
  }
  Pair both(std::int64_t rows, std::int64_t cols, unsigned seed) {
    return both(random_mat(rows, cols, seed));
  }
  double compare(const Pair& p) {
    return err(gpu->download_rows(*p.gpu, 0, p.gpu->rows()), cpu.download_rows(*p.cpu, 0, p.cpu->rows()));
  }
  void TearDown() override {
    if (gpu) {
      EXPECT_TRUE(gpu->status().ok()) << gpu->status().error().message;
    }
  }

  CpuBackend cpu{1};
  std::unique_ptr<VulkanBackend> gpu;
};

// Blocks of 3, 0, 5, 1, 7, 2, 4 rows with a gap row after the third block.
TokenLayout uneven_layout() {
  TokenLayout l = TokenLayout::from_counts({3, 0, 5, 1, 7, 2, 4});
  for (std::size_t n = 3; n < l.offset.size(); ++n) ++l.offset[n];
  l.total_rows += 1;
  return l;
}

TEST_F(VulkanBackendTest, GemmEveryTransposeAndAccumulate) {
  for (auto [rows, k, m] :
       {std::tuple{1, 1, 1}, std::tuple{7, 33, 129}, std::tuple{129, 7, 33}, std::tuple{33, 129, 1}}) {
    for (bool transpose_w : {false, true}) {
      for (bool accumulate : {false, true}) {
        Pair x = both(rows, k, 1), w = both(transpose_w ? m : k, transpose_w ? k : m, 2),
             y = both(rows, m, 3);
        cpu.gemm(*x.cpu, *w.cpu, transpose_w, *y.cpu, accumulate);
        gpu->gemm(*x.gpu, *w.gpu, transpose_w, *y.gpu, accumulate);
        EXPECT_LT(compare(y), kBound)
            << rows << "x" << k << "x" << m << " tw=" << transpose_w << " acc=" << accumulate;
      }
    }
  }
}

TEST_F(VulkanBackendTest, GemmPerTokenUniformAndUnevenLayouts) {
  for (const TokenLayout& layout : {TokenLayout::from_counts({5, 5, 5, 5, 5, 5, 5}), uneven_layout()}) {
    const int n_tok = layout.num_tokens();
    for (bool transpose_k : {false, true}) {
      const int kr = 7, kc = 9;
      Pair x = both(layout.total_rows, transpose_k ? kc : kr, 4);
      Pair ks = both(std::int64_t(n_tok) * kr, kc, 5);
      Pair y = both(layout.total_rows, transpose_k ? kr : kc, 6);
      cpu.gemm_per_token(*x.cpu, layout, *ks.cpu, transpose_k, *y.cpu, true);
      gpu->gemm_per_token(*x.gpu, layout, *ks.gpu, transpose_k, *y.gpu, true);
      EXPECT_LT(compare(y), kBound) << "rows=" << layout.total_rows << " transpose=" << transpose_k;
    }
  }
}

TEST_F(VulkanBackendTest, FrozenCoefficientsAndBiasRow) {
  const TokenLayout layout = uneven_layout();
  const int n_tok = layout.num_tokens();
  for (int cols : {1, 33}) {
    Pair x = both(layout.total_rows, cols, 7);
    Pair s = both(n_tok, 1, 8), coef = both(n_tok, cols, 9), bias = both(n_tok, cols, 10);
    cpu.scale_rows(*x.cpu, layout, *s.cpu);
    gpu->scale_rows(*x.gpu, layout, *s.gpu);
    EXPECT_LT(compare(x), kBound);
    cpu.scale_columns(*x.cpu, layout, *coef.cpu);
    gpu->scale_columns(*x.gpu, layout, *coef.gpu);
    EXPECT_LT(compare(x), kBound);
    for (std::int64_t row : {0, 4}) {
      cpu.add_to_row(*x.cpu, layout, row, *bias.cpu);
      gpu->add_to_row(*x.gpu, layout, row, *bias.gpu);
    }
    EXPECT_LT(compare(x), kBound);
    Pair z = both(layout.total_rows, cols, 11);
    cpu.axpy(-1.25, *z.cpu, *x.cpu);
    gpu->axpy(-1.25, *z.gpu, *x.gpu);
    EXPECT_LT(compare(x), kBound);
    cpu.set_zero(*x.cpu);
    gpu->set_zero(*x.gpu);
    EXPECT_EQ(gpu->download_rows(*x.gpu, 0, x.gpu->rows()).cwiseAbs().maxCoeff(), 0.0);
  }
}

TEST_F(VulkanBackendTest, AttentionMixForwardAndAdjoint) {
  const TokenLayout layout = uneven_layout();
  const int n_tok = layout.num_tokens();
  for (HeadShape shape : {HeadShape{1, 1, 1}, HeadShape{4, 2, 3}, HeadShape{6, 1, 5}}) {
    MatD probs = random_mat(std::int64_t(shape.heads) * n_tok, n_tok, 12).cwiseAbs();
    for (int h = 0; h < shape.heads; ++h)
      for (int i = 0; i < n_tok; ++i)
        for (int k = i + 1; k < n_tok; ++k) probs(h * n_tok + i, k) = 0.0;
    Pair p = both(probs);
    for (bool transpose : {false, true}) {
      const int x_cols = (transpose ? shape.heads : shape.kv_heads) * shape.head_dim;
      const int y_cols = (transpose ? shape.kv_heads : shape.heads) * shape.head_dim;
      Pair x = both(layout.total_rows, x_cols, 13), y = both(layout.total_rows, y_cols, 14);
      cpu.attention_mix(*x.cpu, *y.cpu, layout, *p.cpu, shape, transpose);
      gpu->attention_mix(*x.gpu, *y.gpu, layout, *p.gpu, shape, transpose);
      EXPECT_LT(compare(y), kBound) << "heads=" << shape.heads << " kv=" << shape.kv_heads
                                    << " transpose=" << transpose;
    }
  }
}

TEST_F(VulkanBackendTest, Reductions) {
  const TokenLayout layout = uneven_layout();
  for (int cols : {1, 7, 129}) {
    Pair x = both(layout.total_rows, cols, 15), v = both(layout.num_tokens(), cols, 16);
    EXPECT_LT(err(gpu->row_sq_norms(*x.gpu), cpu.row_sq_norms(*x.cpu)), kBound) << cols;
    EXPECT_LT(err(gpu->row_dots(*x.gpu, layout, *v.gpu), cpu.row_dots(*x.cpu, layout, *v.cpu)), kBound)
        << cols;
  }
  const TokenLayout groups = TokenLayout::from_counts({3, 6, 0, 9, 3});
  Pair x = both(groups.total_rows, 33, 17), v = both(3, 3, 18);
  EXPECT_LT(
      err(gpu->group_contract(*x.gpu, groups, 3, *v.gpu), cpu.group_contract(*x.cpu, groups, 3, *v.cpu)),
      kBound);
}

TEST_F(VulkanBackendTest, PartialRowUploadsAndDownloads) {
  Pair x = both(MatD::Zero(29, 7));
  const MatD band = random_mat(5, 7, 19);
  cpu.upload_rows(band, *x.cpu, 11);
  gpu->upload_rows(band, *x.gpu, 11);
  EXPECT_LT(compare(x), kBound);
  EXPECT_LT(err(gpu->download_rows(*x.gpu, 10, 7), cpu.download_rows(*x.cpu, 10, 7)), kBound);
}

TEST_F(VulkanBackendTest, AllocationLimitsAreErrors) {
  auto f64 = gpu->allocate(3, 3, Precision::Float64);
  ASSERT_FALSE(f64.ok());
  EXPECT_NE(f64.error().message.find("float64"), std::string::npos);
  const std::uint64_t too_many = gpu->context().limits().max_storage_buffer_range_bytes / 4 + 1;
  auto big = gpu->allocate(std::int64_t(too_many), 1, Precision::Float32);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().message.rfind("out of device memory", 0), 0u) << big.error().message;
  EXPECT_TRUE(gpu->status().ok()) << "a refused allocation is not a failure of the backend";
}

// ---- Choosing a backend, and falling back --------------------------------------------------------

TEST(BackendSelection, FallsBackToTheCpuWithOneLineReason) {
  testing::quiet_vulkan_loader();
  {
    ScopedEnv env(kSimulateEnv, "no-loader");
    BackendSelection s = select_backend({});
    EXPECT_FALSE(s.gpu);
    EXPECT_EQ(s.backend->name(), "cpu");
    EXPECT_EQ(s.note.rfind("cpu backend (GPU unavailable: no Vulkan loader", 0), 0u) << s.note;
    EXPECT_EQ(s.note.find('\n'), std::string::npos);
  }
  {
    ScopedEnv env(kSimulateEnv, "no-device");
    BackendSelection s = select_backend({});
    EXPECT_FALSE(s.gpu);
    EXPECT_NE(s.note.find("no Vulkan device"), std::string::npos) << s.note;
  }
  BackendRequest fp64;
  fp64.precision = Precision::Float64;
  EXPECT_EQ(select_backend(fp64).note, "cpu backend (float64 runs on the CPU)");
  BackendRequest cpu_only;
  cpu_only.prefer_gpu = false;
  EXPECT_EQ(select_backend(cpu_only).note, "cpu backend");
  BackendSelection s = select_backend({});
  if (s.gpu) {
    EXPECT_EQ(s.note.rfind("vulkan backend on '", 0), 0u);
  }
}

// A small computation: (x W) row norms, through the Backend interface.
Result<VecD> small_work(Backend& be) {
  const MatD x = random_mat(9, 5, 20), w = random_mat(5, 7, 21);
  auto bx = be.allocate(9, 5, Precision::Float32);
  auto bw = be.allocate(5, 7, Precision::Float32);
  auto by = be.allocate(9, 7, Precision::Float32);
  for (auto* r : {&bx, &bw, &by})
    if (!r->ok()) return r->error();
  be.upload_rows(x, **bx);
  be.upload_rows(w, **bw);
  be.gemm(**bx, **bw, false, **by, false);
  return be.row_sq_norms(**by);
}

TEST(BackendSelection, DeviceLostMidRunFinishesOnTheCpu) {
  testing::quiet_vulkan_loader();
  BackendRequest request;
  BackendSelection s = select_backend(request);
  if (!s.gpu) GTEST_SKIP() << "no Vulkan: " << s.note;
  CpuBackend oracle(1);
  const VecD want = *small_work(oracle);
  ScopedEnv env(kSimulateEnv, "device-lost");  // the first submission loses the device
  auto got = run_with_cpu_fallback(s, request, small_work);
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(s.gpu);
  EXPECT_EQ(s.note.rfind("cpu backend (the GPU run failed: device lost", 0), 0u) << s.note;
  EXPECT_LT(err(*got, want), kBound) << "the CPU redid the work (the failed GPU run gave zeros)";
}

TEST(BackendSelection, OutOfDeviceMemoryMidRunFinishesOnTheCpu) {
  testing::quiet_vulkan_loader();
  BackendRequest request;
  BackendSelection s = select_backend(request);
  if (!s.gpu) GTEST_SKIP() << "no Vulkan: " << s.note;
  ScopedEnv env(kSimulateEnv, "oom");
  auto got = run_with_cpu_fallback(s, request, small_work);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(s.note.rfind("cpu backend (the GPU run failed: out of device memory", 0), 0u) << s.note;
}

}  // namespace
}  // namespace tl::gpu
