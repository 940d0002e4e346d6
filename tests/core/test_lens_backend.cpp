// The CPU backend's kernels (core/backend/backend.h) against plain Eigen on odd shapes, float32
// and float64, including ragged token blocks, GQA attention mixing and its adjoint, and the packed
// AVX-512 sgemm against Eigen. These define what any other backend must reproduce.
// Tolerances: float64 1e-12 relative; float32 1e-5 relative (products of length <= ~1000).
#include <gtest/gtest.h>

#include <random>

#include "core/backend/cpu_backend.h"
#include "core/backend/cpu_sgemm.h"

namespace tl {
namespace {

MatD random(std::int64_t r, std::int64_t c, std::mt19937& rng) {
  std::normal_distribution<double> d(0, 1);
  MatD m(r, c);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = d(rng);
  return m;
}

double tol(Precision p) { return p == Precision::Float64 ? 1e-12 : 1e-5; }

class BackendKernels : public ::testing::TestWithParam<Precision> {
 protected:
  Buffer up(const MatD& m) {
    auto b = be.allocate(m.rows(), m.cols(), GetParam());
    EXPECT_TRUE(b.ok());
    be.upload_rows(m, *b.value());
    return std::move(b.value());
  }
  MatD down(const BackendBuffer& b) { return be.download_rows(b, 0, b.rows()); }
  // Rounds like the backend's storage.
  MatD stored(const MatD& m) { return GetParam() == Precision::Float32 ? MatD(m.cast<float>().cast<double>()) : m; }
  CpuBackend be{2};
  std::mt19937 rng{7};
};

TEST_P(BackendKernels, Gemm) {
  for (auto [r, k, m] : {std::tuple{1, 3, 2}, std::tuple{37, 19, 29}, std::tuple{300, 130, 70}}) {
    const MatD x = stored(random(r, k, rng)), w = stored(random(k, m, rng)), wt = stored(random(m, k, rng));
    const MatD y0 = stored(random(r, m, rng));
    auto X = up(x), W = up(w), WT = up(wt), Y = up(y0);
    be.gemm(*X, *W, false, *Y, false);
    EXPECT_LT((down(*Y) - x * w).norm(), tol(GetParam()) * (x * w).norm());
    be.gemm(*X, *WT, true, *Y, true);
    const MatD want = x * w + x * wt.transpose();
    EXPECT_LT((down(*Y) - want).norm(), tol(GetParam()) * want.norm());
  }
}

TEST_P(BackendKernels, PerTokenKernels) {
  const TokenLayout lay = TokenLayout::from_counts({3, 0, 5, 1, 40});
  const int n = lay.num_tokens(), d = 6, f = 9;
  const MatD x = stored(random(lay.total_rows, d, rng)), k = stored(random(n * d, f, rng));
  const MatD kt = stored(random(n * d, d, rng));
  auto X = up(x), K = up(k), KT = up(kt);
  auto Y = up(MatD::Zero(lay.total_rows, f)), Y2 = up(MatD::Zero(lay.total_rows, d));
  be.gemm_per_token(*X, lay, *K, false, *Y, false);
  be.gemm_per_token(*X, lay, *KT, true, *Y2, false);
  MatD want(lay.total_rows, f), want2(lay.total_rows, d);
  for (int t = 0; t < n; ++t) {
    want.middleRows(lay.offset[t], lay.count[t]) = x.middleRows(lay.offset[t], lay.count[t]) * k.middleRows(t * d, d);
    want2.middleRows(lay.offset[t], lay.count[t]) =
        x.middleRows(lay.offset[t], lay.count[t]) * kt.middleRows(t * d, d).transpose();
  }
  EXPECT_LT((down(*Y) - want).norm(), tol(GetParam()) * want.norm());
  EXPECT_LT((down(*Y2) - want2).norm(), tol(GetParam()) * want2.norm());

  const MatD s = stored(random(n, 1, rng)), coef = stored(random(n, d, rng)), bias = stored(random(n, d, rng));
  auto S = up(s), C = up(coef), B = up(bias);
  be.scale_rows(*X, lay, *S);
  be.scale_columns(*X, lay, *C);
  be.add_to_row(*X, lay, 2, *B);
  MatD w = x;
  for (int t = 0; t < n; ++t) {
    for (std::int64_t r = 0; r < lay.count[t]; ++r) {
      w.row(lay.offset[t] + r) = w.row(lay.offset[t] + r).cwiseProduct(coef.row(t)) * s(t, 0);
      if (r == 2) w.row(lay.offset[t] + r) += bias.row(t);
    }
  }
  EXPECT_LT((down(*X) - w).norm(), tol(GetParam()) * w.norm());

  const VecD sq = be.row_sq_norms(*X);
  EXPECT_LT((sq - w.rowwise().squaredNorm()).norm(), tol(GetParam()) * sq.norm());
  const MatD v = stored(random(n, d, rng));
  auto V = up(v);
  const VecD dots = be.row_dots(*X, lay, *V);
  for (int t = 0; t < n; ++t) {
    for (std::int64_t r = 0; r < lay.count[t]; ++r) {
      EXPECT_NEAR(dots[lay.offset[t] + r], w.row(lay.offset[t] + r).dot(v.row(t)), tol(GetParam()) * 10);
    }
  }
}

TEST_P(BackendKernels, GroupContract) {
  const int group = 4, d = 5;
  const TokenLayout lay = TokenLayout::from_counts({4, 8, 0, 12});
  const MatD x = stored(random(lay.total_rows, d, rng)), v = stored(random(3, group, rng));
  auto X = up(x), V = up(v);
  const MatD out = be.group_contract(*X, lay, group, *V);
  ASSERT_EQ(out.rows(), lay.total_rows / group);
  for (int t = 0; t < lay.num_tokens(); ++t) {
    for (std::int64_t g = 0; g < lay.count[t] / group; ++g) {
      const MatD want = v.row(g) * x.middleRows(lay.offset[t] + g * group, group);
      EXPECT_LT((out.row(lay.offset[t] / group + g) - want).norm(), tol(GetParam()) * (1 + want.norm()));
    }
  }
}

// Mixing with GQA over ragged (causal-prefix) blocks, and the adjoint identity
// <mix(x), y> = <x, mix^T(y)>.
TEST_P(BackendKernels, AttentionMixAndAdjoint) {
  const HeadShape shape{4, 2, 3};
  const TokenLayout lay = TokenLayout::from_counts({1, 2, 2, 4, 5});
  const int n = lay.num_tokens();
  MatD probs = MatD::Zero(shape.heads * n, n);
  std::uniform_real_distribution<double> u(0.1, 1);
  for (int h = 0; h < shape.heads; ++h) {
    for (int i = 0; i < n; ++i) {
      for (int k = 0; k <= i; ++k) probs(h * n + i, k) = u(rng);
    }
  }
  probs = stored(probs);
  const MatD x = stored(random(lay.total_rows, shape.kv_heads * shape.head_dim, rng));
  const MatD y = stored(random(lay.total_rows, shape.heads * shape.head_dim, rng));
  auto X = up(x), Y = up(y), P = up(probs);
  auto MX = up(MatD::Zero(y.rows(), y.cols())), MTY = up(MatD::Zero(x.rows(), x.cols()));
  be.attention_mix(*X, *MX, lay, *P, shape, false);
  be.attention_mix(*Y, *MTY, lay, *P, shape, true);
  MatD want = MatD::Zero(y.rows(), y.cols());
  const int hd = shape.head_dim;
  for (int h = 0; h < shape.heads; ++h) {
    const int g = h / 2;
    for (int i = 0; i < n; ++i) {
      for (int k = 0; k < n; ++k) {
        const std::int64_t rows = std::min(lay.count[i], lay.count[k]);
        want.block(lay.offset[i], h * hd, rows, hd) += probs(h * n + i, k) * x.block(lay.offset[k], g * hd, rows, hd);
      }
    }
  }
  EXPECT_LT((down(*MX) - want).norm(), tol(GetParam()) * want.norm());
  const double lhs = down(*MX).cwiseProduct(y).sum(), rhs = x.cwiseProduct(down(*MTY)).sum();
  EXPECT_NEAR(lhs, rhs, tol(GetParam()) * 10 * (std::abs(lhs) + 1));
}

TEST_P(BackendKernels, AllocationOverMemoryIsAnError) {
  auto b = be.allocate(std::int64_t(1) << 40, 1 << 10, GetParam());
  EXPECT_FALSE(b.ok());
}

INSTANTIATE_TEST_SUITE_P(Precisions, BackendKernels, ::testing::Values(Precision::Float32, Precision::Float64),
                         [](const auto& info) { return info.param == Precision::Float32 ? "fp32" : "fp64"; });

// The packed kernel against Eigen, on shapes that exercise every edge (partial tiles, several
// K and M blocks, transposed B, accumulate).
TEST(CpuSgemm, MatchesEigen) {
  std::mt19937 rng(3);
  for (auto [m, n, k] : {std::tuple{33, 13, 7}, std::tuple{100, 37, 300}, std::tuple{415, 3100, 290}}) {
    for (bool trans : {false, true}) {
      for (bool acc : {false, true}) {
        const Eigen::MatrixXf a = random(m, k, rng).cast<float>();
        const Eigen::MatrixXf b = trans ? Eigen::MatrixXf(random(n, k, rng).cast<float>()) : Eigen::MatrixXf(random(k, n, rng).cast<float>());
        Eigen::MatrixXf c = random(m, n, rng).cast<float>();
        Eigen::MatrixXf want = (trans ? Eigen::MatrixXf(a * b.transpose()) : Eigen::MatrixXf(a * b));
        if (acc) want += c;
        cpu::sgemm(m, n, k, a.data(), m, b.data(), b.rows(), trans, c.data(), m, acc);
        EXPECT_LT((c - want).norm(), 1e-5f * want.norm()) << m << "x" << n << "x" << k << " trans " << trans;
      }
    }
  }
}

}  // namespace
}  // namespace tl
