#pragma once
// Helpers shared by tests/gpu: a Context for the test (skipped with the reason when the machine
// has no Vulkan, unless TL_REQUIRE_GPU=1 makes that a failure), scoped environment variables for
// the failure simulations, and the normalised error used by every kernel test.
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/gpu/gpu.h"

namespace tl::gpu::testing {

class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      setenv(name, value, 1);
    else
      unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_)
      setenv(name_.c_str(), old_->c_str(), 1);
    else
      unsetenv(name_.c_str());
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

// Mesa's drivers complain when XDG_RUNTIME_DIR is unset; give them a private one.
inline void quiet_vulkan_loader() {
  if (std::getenv("XDG_RUNTIME_DIR")) return;
  static std::string dir = [] {
    char tmpl[] = "/tmp/tl-gpu-test-XXXXXX";
    const char* d = mkdtemp(tmpl);
    return std::string(d ? d : "/tmp");
  }();
  setenv("XDG_RUNTIME_DIR", dir.c_str(), 1);
}

inline std::unique_ptr<Context> make_context(const ContextOptions& options = {}) {
  quiet_vulkan_loader();
  auto ctx = Context::create(options);
  if (!ctx.ok()) return nullptr;
  return std::move(*ctx);
}

// Creates the test's context or skips the test with the reason.
#define TL_GPU_CONTEXT_OR_SKIP(var)                                             \
  ::tl::gpu::testing::quiet_vulkan_loader();                                    \
  auto var##_result = ::tl::gpu::Context::create();                             \
  if (!var##_result.ok()) {                                                     \
    const char* req = std::getenv("TL_REQUIRE_GPU");                            \
    if (req && std::string(req) == "1") FAIL() << var##_result.error().message; \
    GTEST_SKIP() << "no Vulkan: " << var##_result.error().message;              \
  }                                                                             \
  ::tl::gpu::Context& var = **var##_result

inline std::vector<float> random_floats(std::size_t n, unsigned seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

// max |got - want| / max |want| (max |want| taken as 1 when it is 0).
inline double normalised_error(const std::vector<float>& got, const std::vector<float>& want) {
  EXPECT_EQ(got.size(), want.size());
  double diff = 0, scale = 0;
  for (std::size_t i = 0; i < std::min(got.size(), want.size()); ++i) {
    diff = std::max(diff, std::abs(double(got[i]) - double(want[i])));
    scale = std::max(scale, std::abs(double(want[i])));
    if (!std::isfinite(got[i])) return INFINITY;
  }
  return diff / (scale > 0 ? scale : 1.0);
}

// A device buffer holding `values` (test helper: fails the test on error).
inline Buffer device_copy(Context& ctx, const std::vector<float>& values, const char* label) {
  auto buf = ctx.create_buffer(values.size(), label);
  EXPECT_TRUE(buf.ok()) << (buf.ok() ? "" : buf.error().message);
  if (!buf.ok()) return Buffer();
  Status s = ctx.upload(*buf, values);
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
  return std::move(*buf);
}

inline std::vector<float> host_copy(Context& ctx, const Buffer& buf) {
  std::vector<float> out(buf.size());
  Status s = ctx.download(buf, out);
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
  return out;
}

// Column-major Eigen matrix <-> flat vector (the stream-state layout).
inline std::vector<float> flat(const Eigen::MatrixXf& m) {
  return std::vector<float>(m.data(), m.data() + m.size());
}
inline Eigen::MatrixXf unflat(const std::vector<float>& v, Eigen::Index rows, Eigen::Index cols) {
  return Eigen::Map<const Eigen::MatrixXf>(v.data(), rows, cols);
}

inline Eigen::MatrixXf random_matrix(Eigen::Index rows, Eigen::Index cols, unsigned seed) {
  const auto v = random_floats(std::size_t(rows * cols), seed);
  return unflat(v, rows, cols);
}

}  // namespace tl::gpu::testing
