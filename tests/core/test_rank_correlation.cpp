// Spearman's rho and Kendall's tau-b (core/util/rank_correlation.h) against values computed by
// hand (with ties, joint ties, dropped non-finite pairs and undefined cases), and Knight's
// O(n log n) tau-b against the O(n^2) definition on random samples with many ties.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "core/util/rank_correlation.h"

namespace tl {
namespace {

// tau-b by its definition, pair by pair.
double kendall_brute_force(const std::vector<double>& x, const std::vector<double>& y) {
  long concordant = 0, discordant = 0, tied_x = 0, tied_y = 0, n0 = 0;
  for (std::size_t a = 0; a < x.size(); ++a) {
    for (std::size_t b = a + 1; b < x.size(); ++b) {
      ++n0;
      const double dx = x[b] - x[a], dy = y[b] - y[a];
      if (dx == 0) ++tied_x;
      if (dy == 0) ++tied_y;
      if (dx * dy > 0) ++concordant;
      if (dx * dy < 0) ++discordant;
    }
  }
  return double(concordant - discordant) / std::sqrt(double(n0 - tied_x) * double(n0 - tied_y));
}

TEST(RankCorrelation, NoTies) {
  // Pairs: (1,2) C, (1,3) C, (1,4) C, (2,3) D, (2,4) C, (3,4) C -> (5 - 1) / 6.
  // Ranks differ by 0, 1, 1, 0: rho = 1 - 6 * 2 / (4 * 15) = 0.8.
  const std::vector<double> x = {1, 2, 3, 4}, y = {1, 3, 2, 4};
  EXPECT_NEAR(kendall_tau_b(x, y), 4.0 / 6.0, 1e-12);
  EXPECT_NEAR(spearman_rho(x, y), 0.8, 1e-12);
}

TEST(RankCorrelation, TiesInBothSamples) {
  // x ranks 1, 2.5, 2.5, 4; y ranks 1, 2, 3.5, 3.5. Centred: dx = -1.5, 0, 0, 1.5;
  // dy = -1.5, -0.5, 1, 1. rho = 3.75 / sqrt(4.5 * 4.5) = 5/6.
  // Pairs: 4 concordant, 0 discordant, one tied in x, one tied in y: tau-b = 4 / sqrt(5 * 5).
  const std::vector<double> x = {1, 2, 2, 3}, y = {1, 2, 3, 3};
  EXPECT_NEAR(spearman_rho(x, y), 5.0 / 6.0, 1e-12);
  EXPECT_NEAR(kendall_tau_b(x, y), 0.8, 1e-12);
}

TEST(RankCorrelation, JointTies) {
  // Pair (1,2) tied in both, (3,4) tied in x only; the other 4 concordant: 4 / sqrt(4 * 5).
  const std::vector<double> x = {1, 1, 2, 2}, y = {1, 1, 2, 3};
  EXPECT_NEAR(kendall_tau_b(x, y), 4.0 / std::sqrt(20.0), 1e-12);
  // x ranks 1.5, 1.5, 3.5, 3.5; y ranks 1.5, 1.5, 3, 4. dx = -1, -1, 1, 1; dy = -1, -1, 0.5, 1.5.
  // rho = 4 / sqrt(4 * 4.5).
  EXPECT_NEAR(spearman_rho(x, y), 4.0 / std::sqrt(18.0), 1e-12);
}

TEST(RankCorrelation, ReversedAndMonotoneTransforms) {
  const std::vector<double> x = {0.1, 0.5, 0.2, 0.9, 0.3};
  std::vector<double> reversed, squared;
  for (double v : x) {
    reversed.push_back(-v);
    squared.push_back(v * v * v);
  }
  EXPECT_NEAR(spearman_rho(x, reversed), -1.0, 1e-12);
  EXPECT_NEAR(kendall_tau_b(x, reversed), -1.0, 1e-12);
  EXPECT_NEAR(spearman_rho(x, squared), 1.0, 1e-12);
  EXPECT_NEAR(kendall_tau_b(x, squared), 1.0, 1e-12);
}

TEST(RankCorrelation, NonFinitePairsAreLeftOut) {
  const std::vector<double> x = {1, 2, NAN, 3, 4, 7}, y = {1, 3, 5, 2, 4, INFINITY};
  EXPECT_NEAR(kendall_tau_b(x, y), 4.0 / 6.0, 1e-12);
  EXPECT_NEAR(spearman_rho(x, y), 0.8, 1e-12);
}

TEST(RankCorrelation, UndefinedIsNaN) {
  EXPECT_TRUE(std::isnan(spearman_rho(std::vector<double>{1.0}, std::vector<double>{2.0})));
  EXPECT_TRUE(std::isnan(kendall_tau_b(std::vector<double>{}, std::vector<double>{})));
  const std::vector<double> x = {1, 2, 3}, constant = {5, 5, 5};
  EXPECT_TRUE(std::isnan(spearman_rho(x, constant)));
  EXPECT_TRUE(std::isnan(kendall_tau_b(constant, x)));
}

TEST(RankCorrelation, KnightMatchesTheDefinition) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> small(0, 6);  // few distinct values: many ties
  for (int trial = 0; trial < 50; ++trial) {
    const int n = 2 + trial * 7;
    std::vector<double> x(n), y(n);
    for (int k = 0; k < n; ++k) {
      x[k] = small(rng);
      y[k] = x[k] * 0.5 + small(rng);
    }
    const double want = kendall_brute_force(x, y);
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(kendall_tau_b(x, y)));
    } else {
      EXPECT_NEAR(kendall_tau_b(x, y), want, 1e-12) << "n = " << n;
    }
  }
}

}  // namespace
}  // namespace tl
