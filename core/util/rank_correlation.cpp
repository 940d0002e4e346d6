#include "core/util/rank_correlation.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <tuple>
#include <utility>
#include <vector>

#include "core/util/assert.h"

namespace tl {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The finite pairs of (x, y).
std::vector<std::pair<double, double>> finite_pairs(std::span<const double> x, std::span<const double> y) {
  TL_ASSERT(x.size() == y.size(), "rank correlation: samples of different lengths");
  std::vector<std::pair<double, double>> p;
  p.reserve(x.size());
  for (std::size_t k = 0; k < x.size(); ++k) {
    if (std::isfinite(x[k]) && std::isfinite(y[k])) p.emplace_back(x[k], y[k]);
  }
  return p;
}

// Ranks 1..n with ties at their average rank.
std::vector<double> average_ranks(const std::vector<double>& v) {
  std::vector<std::size_t> order(v.size());
  std::iota(order.begin(), order.end(), std::size_t(0));
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
  std::vector<double> rank(v.size());
  for (std::size_t start = 0; start < order.size();) {
    std::size_t end = start + 1;
    while (end < order.size() && v[order[end]] == v[order[start]]) ++end;
    const double average = 0.5 * double(start + 1 + end);  // mean of ranks start+1 .. end
    for (std::size_t k = start; k < end; ++k) rank[order[k]] = average;
    start = end;
  }
  return rank;
}

// Number of pairs tied within runs of equal values of a sorted sequence (sum of t (t - 1) / 2).
template <class Equal>
std::int64_t tied_pairs(std::size_t n, Equal equal) {
  std::int64_t ties = 0, run = 1;
  for (std::size_t k = 1; k <= n; ++k) {
    if (k < n && equal(k - 1, k)) {
      ++run;
    } else {
      ties += run * (run - 1) / 2;
      run = 1;
    }
  }
  return ties;
}

// Sorts v ascending by merge sort and returns the number of swaps an exchange sort would need
// (pairs out of order; equal values are not swaps).
std::int64_t merge_sort_swaps(std::vector<double>& v, std::vector<double>& scratch, std::size_t lo, std::size_t hi) {
  if (hi - lo < 2) return 0;
  const std::size_t mid = lo + (hi - lo) / 2;
  std::int64_t swaps = merge_sort_swaps(v, scratch, lo, mid) + merge_sort_swaps(v, scratch, mid, hi);
  std::size_t a = lo, b = mid, out = lo;
  while (a < mid && b < hi) {
    if (v[b] < v[a]) {
      swaps += std::int64_t(mid - a);  // v[b] jumps over every remaining left element
      scratch[out++] = v[b++];
    } else {
      scratch[out++] = v[a++];
    }
  }
  while (a < mid) scratch[out++] = v[a++];
  while (b < hi) scratch[out++] = v[b++];
  std::copy(scratch.begin() + std::ptrdiff_t(lo), scratch.begin() + std::ptrdiff_t(hi), v.begin() + std::ptrdiff_t(lo));
  return swaps;
}

}  // namespace

double spearman_rho(std::span<const double> x, std::span<const double> y) {
  const auto pairs = finite_pairs(x, y);
  const std::size_t n = pairs.size();
  if (n < 2) return kNaN;
  std::vector<double> xs(n), ys(n);
  for (std::size_t k = 0; k < n; ++k) std::tie(xs[k], ys[k]) = pairs[k];
  const std::vector<double> rx = average_ranks(xs), ry = average_ranks(ys);
  const double mean = 0.5 * double(n + 1);  // the mean rank, ties or not
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t k = 0; k < n; ++k) {
    const double dx = rx[k] - mean, dy = ry[k] - mean;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx == 0 || syy == 0) return kNaN;
  return sxy / std::sqrt(sxx * syy);
}

double kendall_tau_b(std::span<const double> x, std::span<const double> y) {
  auto pairs = finite_pairs(x, y);
  const std::size_t n = pairs.size();
  if (n < 2) return kNaN;
  // Knight (1966): sort by x then y; ties in x and joint ties from runs; discordant pairs are the
  // swaps a merge sort of the y sequence needs; ties in y from runs of the sorted y.
  std::sort(pairs.begin(), pairs.end());
  const std::int64_t n0 = std::int64_t(n) * std::int64_t(n - 1) / 2;
  const std::int64_t n1 = tied_pairs(n, [&](std::size_t a, std::size_t b) { return pairs[a].first == pairs[b].first; });
  const std::int64_t n3 = tied_pairs(n, [&](std::size_t a, std::size_t b) { return pairs[a] == pairs[b]; });
  std::vector<double> ys(n), scratch(n);
  for (std::size_t k = 0; k < n; ++k) ys[k] = pairs[k].second;
  const std::int64_t swaps = merge_sort_swaps(ys, scratch, 0, n);
  const std::int64_t n2 = tied_pairs(n, [&](std::size_t a, std::size_t b) { return ys[a] == ys[b]; });
  // concordant - discordant = (n0 - n1 - n2 + n3) - 2 * discordant.
  const double s = double(n0 - n1 - n2 + n3) - 2.0 * double(swaps);
  const double denominator = std::sqrt(double(n0 - n1) * double(n0 - n2));
  if (denominator == 0) return kNaN;
  return s / denominator;
}

}  // namespace tl
