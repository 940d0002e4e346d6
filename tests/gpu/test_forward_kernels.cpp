// The forward-op kernels (masked_softmax, rope, norm_forward, activation, embedding_gather,
// row_bias_add, elementwise_mul) against double-precision references on odd shapes. Bound: max|gpu - ref| / max|ref| < 1e-5,
// except the activations, compared element by element with 1e-5 relative (+1e-7 absolute) error
// because their ratios span several orders of magnitude.
#include <gtest/gtest.h>

#include <cmath>
#include <deque>

#include "core/gpu/compute_kernels.h"
#include "gpu_test_support.h"

namespace tl::gpu {
namespace {

using testing::device_copy;
using testing::host_copy;
using testing::normalised_error;
using testing::random_floats;

constexpr double kBound = 1e-5;

class ForwardKernels : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::quiet_vulkan_loader();
    auto c = Context::create();
    if (!c.ok()) GTEST_SKIP() << "no Vulkan: " << c.error().message;
    ctx = std::move(*c);
    kernels = std::make_unique<ComputeKernels>(*ctx);
  }
  const Buffer& on_device(const std::vector<float>& v, const char* label) {
    owned.push_back(device_copy(*ctx, v, label));
    return owned.back();
  }
  template <class F>
  void run(F&& record) {
    auto b = ctx->begin_batch();
    ASSERT_TRUE(b.ok());
    Status s = record(*b);
    ASSERT_TRUE(s.ok()) << s.error().message;
    Status done = b->submit_and_wait();
    ASSERT_TRUE(done.ok()) << done.error().message;
  }
  std::unique_ptr<Context> ctx;
  std::unique_ptr<ComputeKernels> kernels;
  std::deque<Buffer> owned;
};

TEST_F(ForwardKernels, MaskedSoftmax) {
  struct Case {
    std::uint32_t heads, queries, keys, key_offset;
    bool causal;
  };
  for (Case c : {Case{1, 1, 1, 0, true}, Case{3, 7, 7, 0, true}, Case{2, 5, 9, 4, true},
                 Case{2, 33, 33, 0, false}, Case{1, 3, 129, 126, true}}) {
    const std::uint32_t rows = c.heads * c.queries;
    const auto scores = random_floats(std::size_t(rows) * c.keys, 700 + rows, -8.0f, 8.0f);
    const float scale = 0.37f;
    std::vector<float> want(scores.size());
    for (std::uint32_t r = 0; r < rows; ++r) {
      const std::uint32_t q = r % c.queries;
      const std::uint32_t visible = c.causal ? std::min(c.keys, q + c.key_offset + 1) : c.keys;
      double m = -1e300, sum = 0;
      for (std::uint32_t j = 0; j < visible; ++j) m = std::max(m, double(scores[r * c.keys + j]) * scale);
      for (std::uint32_t j = 0; j < visible; ++j) sum += std::exp(double(scores[r * c.keys + j]) * scale - m);
      for (std::uint32_t j = 0; j < c.keys; ++j)
        want[r * c.keys + j] =
            j < visible ? float(std::exp(double(scores[r * c.keys + j]) * scale - m) / sum) : 0.0f;
    }
    const Buffer& in = on_device(scores, "scores");
    const Buffer& out = on_device(std::vector<float>(scores.size(), 9.0f), "probs");
    run([&](Batch& b) {
      return kernels->masked_softmax(b, in, out, rows, c.keys, c.queries, c.causal, c.key_offset, scale);
    });
    const auto got = host_copy(*ctx, out);
    EXPECT_LT(normalised_error(got, want), kBound) << "queries=" << c.queries << " keys=" << c.keys;
    for (std::uint32_t r = 0; r < rows && c.causal; ++r)
      for (std::uint32_t j = r % c.queries + c.key_offset + 1; j < c.keys; ++j)
        ASSERT_EQ(got[r * c.keys + j], 0.0f) << "masked entries are exactly zero";
  }
}

TEST_F(ForwardKernels, RotaryEmbeddingBothPairingsPartialAndInverse) {
  const std::uint32_t n_tokens = 7, heads = 3, head_dim = 10, positions = 12;
  for (std::uint32_t rotary_dim : {10u, 4u}) {
    const std::uint32_t half = rotary_dim / 2;
    std::vector<float> cos_t(positions * half), sin_t(positions * half);
    for (std::uint32_t pos = 0; pos < positions; ++pos)
      for (std::uint32_t i = 0; i < half; ++i) {
        const double angle = pos * std::pow(10000.0, -2.0 * i / rotary_dim);
        cos_t[pos * half + i] = float(std::cos(angle));
        sin_t[pos * half + i] = float(std::sin(angle));
      }
    for (bool interleaved : {false, true}) {
      for (bool inverse : {false, true}) {
        const std::uint32_t offset = 3;
        const auto x = random_floats(n_tokens * heads * head_dim, 800 + rotary_dim);
        std::vector<float> want = x;
        for (std::uint32_t t = 0; t < n_tokens; ++t)
          for (std::uint32_t h = 0; h < heads; ++h)
            for (std::uint32_t i = 0; i < half; ++i) {
              const std::size_t base = (std::size_t(t) * heads + h) * head_dim;
              const std::size_t i0 = base + (interleaved ? 2 * i : i),
                                i1 = base + (interleaved ? 2 * i + 1 : i + half);
              const double c = cos_t[(t + offset) * half + i],
                           s = (inverse ? -1 : 1) * double(sin_t[(t + offset) * half + i]);
              want[i0] = float(x[i0] * c - x[i1] * s);
              want[i1] = float(x[i1] * c + x[i0] * s);
            }
        const Buffer& dx = on_device(x, "x");
        const Buffer& dc = on_device(cos_t, "cos");
        const Buffer& ds = on_device(sin_t, "sin");
        const Buffer& out = on_device(std::vector<float>(x.size(), 9.0f), "out");
        RopeShape s{n_tokens, heads, head_dim, rotary_dim, positions, offset, interleaved, inverse};
        run([&](Batch& b) { return kernels->rope(b, dx, dc, ds, out, s); });
        EXPECT_LT(normalised_error(host_copy(*ctx, out), want), kBound)
            << "rotary_dim=" << rotary_dim << " interleaved=" << interleaved << " inverse=" << inverse;
      }
    }
  }
}

TEST_F(ForwardKernels, LayerNormAndRmsNormForward) {
  for (std::uint32_t row_len : {1u, 7u, 129u, 300u}) {
    for (NormKind kind : {NormKind::LayerNorm, NormKind::RmsNorm}) {
      const std::uint32_t rows = 5;
      const float eps = 1e-5f;
      auto x = random_floats(rows * row_len, 900 + row_len, -3.0f, 3.0f);
      for (std::uint32_t k = 0; k < row_len; ++k) x[k] += 10.0f;  // an offset row: centering matters
      const auto gamma = random_floats(row_len, 901), beta = random_floats(row_len, 902);
      std::vector<float> want(x.size()), want_inv(rows);
      for (std::uint32_t r = 0; r < rows; ++r) {
        double mean = 0, ss = 0;
        if (kind == NormKind::LayerNorm) {
          for (std::uint32_t k = 0; k < row_len; ++k) mean += x[r * row_len + k];
          mean /= row_len;
        }
        for (std::uint32_t k = 0; k < row_len; ++k) ss += std::pow(x[r * row_len + k] - mean, 2);
        const double inv = 1.0 / std::sqrt(ss / row_len + eps);
        want_inv[r] = float(inv);
        for (std::uint32_t k = 0; k < row_len; ++k)
          want[r * row_len + k] = float((x[r * row_len + k] - mean) * inv * gamma[k] +
                                        (kind == NormKind::LayerNorm ? beta[k] : 0.0));
      }
      const Buffer& dx = on_device(x, "x");
      const Buffer& dg = on_device(gamma, "gamma");
      const Buffer& db = on_device(beta, "beta");
      const Buffer& dy = on_device(std::vector<float>(x.size()), "y");
      const Buffer& di = on_device(std::vector<float>(rows), "inv");
      run([&](Batch& b) { return kernels->norm_forward(b, dx, dg, db, dy, di, kind, rows, row_len, eps); });
      EXPECT_LT(normalised_error(host_copy(*ctx, dy), want), kBound)
          << "row_len=" << row_len << " kind=" << int(kind);
      EXPECT_LT(normalised_error(host_copy(*ctx, di), want_inv), kBound) << "row_len=" << row_len;
    }
  }
}

double reference_ratio(ActivationKind kind, double z) {
  switch (kind) {
    case ActivationKind::GeluErf:
      return 0.5 * (1.0 + std::erf(z / std::sqrt(2.0)));
    case ActivationKind::GeluTanh:
      return 0.5 * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (z + 0.044715 * z * z * z)));
    case ActivationKind::Silu:
      return 1.0 / (1.0 + std::exp(-z));
    case ActivationKind::Relu:
      return z > 0 ? 1.0 : 0.0;
    case ActivationKind::Tanh:
      return z == 0 ? 1.0 : std::tanh(z) / z;
  }
  return 0;
}

TEST_F(ForwardKernels, ActivationsAndTheirRatios) {
  std::vector<float> z = random_floats(129, 1000, -6.0f, 6.0f);
  for (float special :
       {0.0f, -0.0f, 1e-4f, -1e-4f, 0.05f, -0.099f, 0.1f, 12.0f, -12.0f, 40.0f, -40.0f, 100.0f, -100.0f})
    z.push_back(special);
  for (ActivationKind kind : {ActivationKind::GeluErf, ActivationKind::GeluTanh, ActivationKind::Silu,
                              ActivationKind::Relu, ActivationKind::Tanh}) {
    for (bool ratio : {false, true}) {
      const Buffer& dz = on_device(z, "z");
      const Buffer& out = on_device(std::vector<float>(z.size(), 9.0f), "out");
      run([&](Batch& b) { return kernels->activation(b, dz, out, kind, ratio); });
      const auto got = host_copy(*ctx, out);
      for (std::size_t i = 0; i < z.size(); ++i) {
        const double phi = reference_ratio(kind, z[i]);
        const double want =
            ratio ? phi : (kind == ActivationKind::Relu ? std::max(0.0, double(z[i])) : z[i] * phi);
        ASSERT_TRUE(std::isfinite(got[i])) << "z=" << z[i];
        EXPECT_NEAR(got[i], want, 1e-5 * std::abs(want) + 1e-7)
            << "kind=" << int(kind) << " ratio=" << ratio << " z=" << z[i];
      }
    }
  }
}

TEST_F(ForwardKernels, EmbeddingGather) {
  const std::uint32_t vocab = 33, dim = 7;
  const auto table = random_floats(vocab * dim, 1100);
  const std::vector<std::uint32_t> ids = {0, 32, 5, 5, 17, 33, 1000000};  // the last two are out of range
  auto dids = ctx->create_buffer(ids.size(), "ids");
  ASSERT_TRUE(dids.ok());
  ASSERT_TRUE(ctx->upload(*dids, ids).ok());
  const Buffer& dt = on_device(table, "table");
  const Buffer& out = on_device(std::vector<float>(ids.size() * dim, 9.0f), "out");
  run([&](Batch& b) { return kernels->embedding_gather(b, *dids, dt, out, ids.size(), dim, vocab); });
  std::vector<float> want(ids.size() * dim, 0.0f);
  for (std::size_t i = 0; i < ids.size(); ++i)
    for (std::uint32_t k = 0; k < dim && ids[i] < vocab; ++k) want[i * dim + k] = table[ids[i] * dim + k];
  EXPECT_EQ(host_copy(*ctx, out), want);
}

// x[r, :] += bias on odd shapes, through a view that starts inside its buffer (the device forward
// adds biases to slices of its arenas). Bias addition is one float add: exact.
TEST_F(ForwardKernels, RowBiasAdd) {
  for (auto [rows, cols] : {std::pair{1u, 1u}, std::pair{7u, 33u}, std::pair{33u, 129u}}) {
    const std::uint32_t skip = 5;
    const auto x = random_floats(std::size_t(skip) + rows * cols, 1200 + rows);
    const auto bias = random_floats(cols, 1300 + cols);
    const Buffer& dx = on_device(x, "x");
    const Buffer& db = on_device(bias, "bias");
    run([&](Batch& b) { return kernels->row_bias_add(b, BufferView(dx, skip, std::uint64_t(rows) * cols), db, rows, cols); });
    std::vector<float> want = x;
    for (std::uint32_t r = 0; r < rows; ++r)
      for (std::uint32_t c = 0; c < cols; ++c) want[skip + r * cols + c] += bias[c];
    EXPECT_EQ(host_copy(*ctx, dx), want) << rows << "x" << cols;
  }
}

TEST_F(ForwardKernels, ElementwiseMul) {
  for (std::uint32_t n : {1u, 7u, 33u, 129u, 4099u}) {
    const auto a = random_floats(n, 1400 + n), b = random_floats(n, 1500 + n);
    const Buffer& da = on_device(a, "a");
    const Buffer& db = on_device(b, "b");
    const Buffer& out = on_device(std::vector<float>(n, 9.0f), "out");
    run([&](Batch& batch) { return kernels->elementwise_mul(batch, da, db, out); });
    std::vector<float> want(n);
    for (std::uint32_t i = 0; i < n; ++i) want[i] = a[i] * b[i];
    EXPECT_EQ(host_copy(*ctx, out), want) << n;
  }
  // Shape errors name the kernel.
  const Buffer& small = on_device(std::vector<float>(3, 1.0f), "small");
  const Buffer& big = on_device(std::vector<float>(5, 1.0f), "big");
  auto batch = ctx->begin_batch();
  ASSERT_TRUE(batch.ok());
  Status st = kernels->elementwise_mul(*batch, big, small, big);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message.rfind("elementwise_mul: b needs 5 elements", 0), 0u) << st.error().message;
}

}  // namespace
}  // namespace tl::gpu
