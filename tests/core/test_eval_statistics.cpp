// The statistics of the evaluation protocols on cases worked out by hand: trapezoid AUC,
// quantiles, and the bootstrap interval (deterministic for a seed, sensible bounds).
#include <gtest/gtest.h>

#include "core/eval/statistics.h"
#include "core/util/rng.h"

namespace tl::eval {
namespace {

TEST(EvalStatistics, TrapezoidByHand) {
  // (0, 1) (0.1, 0.5) (0.3, 0.5): 0.1 * (1 + 0.5) / 2 + 0.2 * (0.5 + 0.5) / 2 = 0.075 + 0.1.
  EXPECT_NEAR(trapezoid_auc({0, 0.1, 0.3}, {1, 0.5, 0.5}), 0.175, 1e-15);
  // A constant 1 over the ten removal fractions 0..0.9 has area 0.9; a line from 1 to 0 half that.
  std::vector<double> x, ones, line;
  for (int k = 0; k < 10; ++k) {
    x.push_back(k / 10.0);
    ones.push_back(1.0);
    line.push_back(1.0 - k / 9.0);
  }
  EXPECT_NEAR(trapezoid_auc(x, ones), 0.9, 1e-12);
  EXPECT_NEAR(trapezoid_auc(x, line), 0.45, 1e-12);
  EXPECT_EQ(trapezoid_auc({0.5}, {1.0}), 0.0);
}

TEST(EvalStatistics, QuantileInterpolatesBetweenOrderStatistics) {
  const std::vector<double> v{1, 2, 3, 4, 5};
  EXPECT_DOUBLE_EQ(quantile_sorted(v, 0.0), 1);
  EXPECT_DOUBLE_EQ(quantile_sorted(v, 1.0), 5);
  EXPECT_DOUBLE_EQ(quantile_sorted(v, 0.5), 3);
  EXPECT_DOUBLE_EQ(quantile_sorted(v, 0.125), 1.5);
}

TEST(EvalStatistics, BootstrapIsDeterministicForASeed) {
  std::vector<double> v;
  SplitMix64 rng(3);
  for (int k = 0; k < 50; ++k) v.push_back(rng.uniform());
  const ConfidenceInterval a = bootstrap_mean_ci(v, 500, 42), b = bootstrap_mean_ci(v, 500, 42);
  EXPECT_EQ(a.low, b.low);
  EXPECT_EQ(a.high, b.high);
  const ConfidenceInterval c = bootstrap_mean_ci(v, 500, 43);
  EXPECT_TRUE(c.low != a.low || c.high != a.high);
  EXPECT_LT(a.low, a.mean);
  EXPECT_GT(a.high, a.mean);
  // The mean of 50 uniforms has standard error sqrt(1/12/50) = 0.041: a 95% interval is about
  // +-0.08 wide; allow a generous range.
  EXPECT_GT(a.high - a.low, 0.08);
  EXPECT_LT(a.high - a.low, 0.24);
}

TEST(EvalStatistics, BootstrapOfConstantsIsThePoint) {
  const ConfidenceInterval ci = bootstrap_mean_ci({0.25, 0.25, 0.25}, 200, 1);
  EXPECT_DOUBLE_EQ(ci.mean, 0.25);
  EXPECT_DOUBLE_EQ(ci.low, 0.25);
  EXPECT_DOUBLE_EQ(ci.high, 0.25);
  const ConfidenceInterval none = bootstrap_mean_ci({}, 200, 1);
  EXPECT_EQ(none.mean, 0.0);
}

TEST(EvalStatistics, SplitMix64MatchesTheReferenceSequence) {
  // First outputs of SplitMix64 seeded with 1234567 (Vigna's splitmix64.c).
  SplitMix64 g(1234567);
  EXPECT_EQ(g.next(), 6457827717110365317ull);
  EXPECT_EQ(g.next(), 3203168211198807973ull);
  SplitMix64 h(9);
  for (int k = 0; k < 1000; ++k) {
    EXPECT_LT(h.below(7), 7u);
    const double u = h.uniform();
    EXPECT_GE(u, 0.0);
    EXPECT_LT(u, 1.0);
  }
}

}  // namespace
}  // namespace tl::eval
