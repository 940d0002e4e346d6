#pragma once
// A small deterministic random number generator (SplitMix64, Steele et al. 2014) for everything
// that must give the same numbers on every platform for a given seed: bootstrap resampling,
// random reference relevances, sampling in `generate`. The standard library's distributions are
// implementation-defined, so the conversions to integers and doubles are written out here.
#include <cstdint>

namespace tl {

class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}

  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }
  // Uniform integer in [0, n), n > 0, without modulo bias (rejection of the short last range).
  std::uint64_t below(std::uint64_t n) {
    const std::uint64_t limit = ~std::uint64_t(0) - (~std::uint64_t(0) % n);
    std::uint64_t x = next();
    while (x >= limit) x = next();
    return x % n;
  }

 private:
  std::uint64_t state_;
};

// Derives independent seeds for numbered sub-streams (sentence k of a run) from one seed.
inline std::uint64_t mix_seed(std::uint64_t seed, std::uint64_t index) {
  SplitMix64 g(seed ^ (0xD1B54A32D192ED03ull * (index + 1)));
  return g.next();
}

}  // namespace tl
