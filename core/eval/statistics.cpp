#include "core/eval/statistics.h"

#include <algorithm>
#include <cmath>

#include "core/util/rng.h"

namespace tl::eval {

double trapezoid_auc(const std::vector<double>& x, const std::vector<double>& y) {
  double area = 0;
  const size_t n = std::min(x.size(), y.size());
  for (size_t k = 0; k + 1 < n; ++k) area += (x[k + 1] - x[k]) * (y[k] + y[k + 1]) / 2;
  return area;
}

double quantile_sorted(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  const double pos = std::clamp(q, 0.0, 1.0) * double(sorted.size() - 1);
  const size_t lo = size_t(std::floor(pos));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (pos - double(lo)) * (sorted[hi] - sorted[lo]);
}

ConfidenceInterval bootstrap_mean_ci(const std::vector<double>& values, int resamples, std::uint64_t seed,
                                     double level) {
  ConfidenceInterval ci;
  ci.level = level;
  ci.seed = seed;
  ci.resamples = std::max(resamples, 0);
  if (values.empty()) return ci;
  double sum = 0;
  for (double v : values) sum += v;
  ci.mean = sum / double(values.size());
  ci.low = ci.high = ci.mean;
  if (resamples <= 0) return ci;
  SplitMix64 rng(seed);
  std::vector<double> means(static_cast<size_t>(resamples));
  for (double& m : means) {
    double s = 0;
    for (size_t k = 0; k < values.size(); ++k) s += values[size_t(rng.below(values.size()))];
    m = s / double(values.size());
  }
  std::sort(means.begin(), means.end());
  ci.low = quantile_sorted(means, (1 - level) / 2);
  ci.high = quantile_sorted(means, (1 + level) / 2);
  return ci;
}

nlohmann::json to_json(const ConfidenceInterval& ci) {
  return {{"mean", ci.mean}, {"low", ci.low},   {"high", ci.high},
          {"level", ci.level}, {"resamples", ci.resamples}, {"seed", ci.seed}};
}

}  // namespace tl::eval
