#pragma once
// The statistics of the evaluation protocols (docs/TENSORLENS.md §7): the area under a curve by the
// trapezoid rule, and a percentile bootstrap confidence interval of a mean with a fixed seed (the
// same seed gives the same interval on every platform: resampling uses tl::SplitMix64).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

namespace tl::eval {

// sum_k (x[k+1] - x[k]) (y[k] + y[k+1]) / 2 over the given points (x increasing; sizes equal, >= 2;
// fewer points give 0). Not normalised: over x = 0, 0.1, ..., 0.9 a constant 1 has area 0.9.
double trapezoid_auc(const std::vector<double>& x, const std::vector<double>& y);

struct ConfidenceInterval {
  double mean = 0;   // the sample mean
  double low = 0;    // percentile bounds of the resampled means
  double high = 0;
  double level = 0.95;
  int resamples = 0;
  std::uint64_t seed = 0;
};
nlohmann::json to_json(const ConfidenceInterval& ci);

// Percentile bootstrap of the mean: `resamples` resamples of the values with replacement, the
// (1 - level)/2 and (1 + level)/2 quantiles (linear interpolation between order statistics) of
// their means. An empty input gives zeros; resamples <= 0 gives low = high = mean.
ConfidenceInterval bootstrap_mean_ci(const std::vector<double>& values, int resamples, std::uint64_t seed,
                                     double level = 0.95);

// Linear-interpolation quantile (q in [0, 1]) of sorted values (the "type 7" definition).
double quantile_sorted(const std::vector<double>& sorted, double q);

}  // namespace tl::eval
