// Forward ops and the forward pass on small models built in code (no loader): closed-form
// activation ratios, norm scales, RoPE, masks, input validation, causality and fp32/fp64 agreement.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/forward/forward.h"
#include "core/forward/ops.h"

namespace tl {
namespace {

using ops::Mat;
using ops::Vec;

MatF random_matrix(int rows, int cols, std::mt19937& rng, float stddev = 0.2f) {
  std::normal_distribution<float> dist(0.0f, stddev);
  MatF m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = dist(rng);
  return m;
}

VecF random_vector(int n, std::mt19937& rng, float mean, float stddev) {
  std::normal_distribution<float> dist(mean, stddev);
  VecF v(n);
  for (Eigen::Index i = 0; i < n; ++i) v[i] = dist(rng);
  return v;
}

// A Llama-shaped (GQA, RoPE, RMSNorm, SwiGLU) or GPT-2-shaped model with random weights.
Model make_model(Family family, std::uint32_t seed) {
  std::mt19937 rng(seed);
  Model m;
  ModelSpec& s = m.spec;
  s.family = family;
  s.vocab_size = 50;
  s.hidden_size = 16;
  s.num_layers = 2;
  s.num_heads = 4;
  s.head_dim = 4;
  s.intermediate_size = 24;
  s.max_positions = 32;
  const bool llama = family == Family::Llama;
  s.num_kv_heads = llama ? 2 : 4;
  s.norm = llama ? NormKind::RMSNorm : NormKind::LayerNorm;
  s.activation = llama ? Activation::Silu : Activation::GeluTanh;
  s.positions = llama ? Positions::Rotary : Positions::Learned;
  s.rotary_dim = llama ? 4 : 0;
  s.gated_ffn = llama;
  s.final_norm = true;
  s.tied_embeddings = true;
  const int D = s.hidden_size, F = s.intermediate_size, kv = s.num_kv_heads * s.head_dim;
  Weights& w = m.weights;
  w.token_embedding = random_matrix(s.vocab_size, D, rng);
  if (!llama) w.position_embedding = random_matrix(s.max_positions, D, rng);
  auto norm = [&] {
    NormWeights n{random_vector(D, rng, 1.0f, 0.1f), VecF()};
    if (!llama) n.beta = random_vector(D, rng, 0.0f, 0.1f);
    return n;
  };
  auto lin = [&](int in, int out) { return Linear{random_matrix(in, out, rng), llama ? VecF() : random_vector(out, rng, 0, 0.1f)}; };
  for (int l = 0; l < s.num_layers; ++l) {
    BlockWeights b;
    b.ln1 = norm();
    b.ln2 = norm();
    b.attn = AttentionWeights{lin(D, D), lin(D, kv), lin(D, kv), lin(D, D)};
    b.ffn.up = lin(D, F);
    if (llama) b.ffn.gate = lin(D, F);
    b.ffn.down = lin(F, D);
    w.blocks.push_back(std::move(b));
  }
  w.final_norm = norm();
  return m;
}

ForwardInput make_input(std::vector<int> ids, std::vector<int> token_types = {}, std::vector<int> mask = {}) {
  ForwardInput in;
  in.ids = std::move(ids);
  in.token_types = std::move(token_types);
  in.attention_mask = std::move(mask);
  return in;
}

TEST(ForwardOps, ActivationRatioTimesZIsTheActivation) {
  Mat<double> z(1, 7);
  z << -6.0, -1.5, -1e-3, 0.0, 1e-3, 0.7, 5.0;
  const auto gelu = ops::activate(Activation::GeluErf, z);
  const auto gelu_tanh = ops::activate(Activation::GeluTanh, z);
  const auto silu = ops::activate(Activation::Silu, z);
  const auto relu = ops::activate(Activation::Relu, z);
  for (int j = 0; j < z.cols(); ++j) {
    const double x = z(0, j);
    EXPECT_NEAR(gelu(0, j), 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))), 1e-15);
    EXPECT_NEAR(gelu_tanh(0, j), 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x))), 1e-15);
    EXPECT_NEAR(silu(0, j), x / (1 + std::exp(-x)), 1e-15);
    EXPECT_EQ(relu(0, j), std::max(x, 0.0));
  }
  // Smooth at 0: the ratio is finite and equals the derivative of act at 0.
  const auto r = ops::activation_ratio(Activation::GeluErf, z);
  EXPECT_DOUBLE_EQ(r(0, 3), 0.5);
  EXPECT_DOUBLE_EQ(ops::activation_ratio(Activation::Silu, z)(0, 3), 0.5);
  // Large negative inputs give ratio 0, not NaN.
  Mat<float> big(1, 1);
  big << -200.0f;
  EXPECT_EQ(ops::activation_ratio(Activation::Silu, big)(0, 0), 0.0f);
}

TEST(ForwardOps, NormsReturnTheInverseScale) {
  std::mt19937 rng(1);
  const Mat<double> x = random_matrix(3, 8, rng, 2.0f).cast<double>();
  const Vec<double> gamma = Vec<double>::Constant(8, 1.0), beta = Vec<double>::Zero(8);
  Mat<double> out;
  Vec<double> inv;
  ops::layer_norm(x, gamma, beta, 1e-5, out, inv);
  for (int i = 0; i < 3; ++i) {
    const double mean = x.row(i).mean();
    const double var = (x.row(i).array() - mean).square().mean();
    EXPECT_NEAR(inv[i], 1.0 / std::sqrt(var + 1e-5), 1e-12);
    EXPECT_NEAR(out.row(i).mean(), 0.0, 1e-12);
  }
  ops::rms_norm(x, gamma, 1e-5, out, inv);
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(inv[i], 1.0 / std::sqrt(x.row(i).squaredNorm() / 8 + 1e-5), 1e-12);
    EXPECT_NEAR(out.row(i).squaredNorm() / 8, 1.0, 1e-4);
  }
}

TEST(ForwardOps, RopeRotatesPairsAndKeepsTheRest) {
  // One head of 6 dims, rotary_dim 4: pairs (0,2) and (1,3) rotate, dims 4 and 5 pass through.
  Mat<double> x(2, 6);
  x << 1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6;
  Mat<double> y = x;
  ops::apply_rope(y, 1, 6, 4, 10000.0, {0, 3});
  EXPECT_EQ(y.row(0), x.row(0));  // position 0: identity
  const double a0 = 3.0, a1 = 3.0 / 100.0;  // inv_freq = 1, 10000^(-1/2)
  EXPECT_NEAR(y(1, 0), 1 * std::cos(a0) - 3 * std::sin(a0), 1e-14);
  EXPECT_NEAR(y(1, 2), 3 * std::cos(a0) + 1 * std::sin(a0), 1e-14);
  EXPECT_NEAR(y(1, 1), 2 * std::cos(a1) - 4 * std::sin(a1), 1e-14);
  EXPECT_NEAR(y(1, 3), 4 * std::cos(a1) + 2 * std::sin(a1), 1e-14);
  EXPECT_EQ(y(1, 4), 5);
  EXPECT_EQ(y(1, 5), 6);
}

TEST(ForwardOps, MaskedSoftmaxRowsAreDistributions) {
  const Mat<double> mask = ops::attention_mask<double>(4, true, {0, 1, 1, 0});
  Mat<double> scores = Mat<double>::Constant(4, 4, 0.5);
  ops::masked_softmax_rows(scores, mask);
  // Row 0 sees only key 0, which is padding: falls back to the causal row.
  EXPECT_DOUBLE_EQ(scores(0, 0), 1.0);
  EXPECT_DOUBLE_EQ(scores(1, 0), 0.0);
  EXPECT_DOUBLE_EQ(scores(1, 1), 1.0);
  EXPECT_DOUBLE_EQ(scores(3, 3), 0.0);  // padding key
  EXPECT_DOUBLE_EQ(scores(3, 1), 0.5);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(scores.row(i).sum(), 1.0, 1e-15);
}

TEST(Forward, RejectsBadInputsWithAMessage) {
  const Model m = make_model(Family::Gpt2, 3);
  auto bad_id = forward(m, make_input({1, 50}));
  ASSERT_FALSE(bad_id.ok());
  EXPECT_NE(bad_id.error().message.find("token id 50 at position 1"), std::string::npos);
  EXPECT_FALSE(forward(m, make_input({})).ok());
  EXPECT_FALSE(forward(m, make_input(std::vector<int>(33, 1))).ok());  // > 32 positions
  EXPECT_TRUE(forward(m, make_input(std::vector<int>(32, 1))).ok());
  EXPECT_FALSE(forward(m, make_input({1, 2}, {0, 1})).ok());  // no token types in this model
  EXPECT_FALSE(forward(m, make_input({1, 2}, {}, {1})).ok());  // mask length
}

TEST(Forward, RejectsInconsistentModelsBuiltInCode) {
  Model m = make_model(Family::Llama, 5);
  m.weights.blocks[1].attn.k.W = MatF::Zero(16, 16);  // 4 kv heads' worth, spec says 2
  auto r = forward(m, make_input({1, 2}));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("block 2 k is [16, 16], expected [16, 8]"), std::string::npos) << r.error().message;
}

// fp32 and fp64 agree; every Trace field has its documented shape; decoders are causal.
void check_model(Family family) {
  const Model m = make_model(family, 7);
  const ForwardInput in = make_input({3, 14, 15, 9, 26, 5, 35});
  auto t32 = forward(m, in);
  auto t64 = forward(m, in, {Precision::Float64});
  ASSERT_TRUE(t32.ok() && t64.ok());
  const int N = 7, D = 16, F = 24, L = 2;
  EXPECT_EQ(t64->num_layers(), L);
  EXPECT_EQ(t64->precision, Precision::Float64);
  EXPECT_LT((t32->logits - t64->logits).cwiseAbs().maxCoeff(), 1e-4);
  for (int l = 0; l <= L; ++l) {
    EXPECT_EQ(t64->hidden_state(l).rows(), N);
    EXPECT_EQ(t64->hidden_state(l).cols(), D);
  }
  for (const BlockTrace& b : t64->blocks) {
    EXPECT_EQ(b.attn_probs.size(), 4u);
    EXPECT_EQ(b.ln1_inv_scale.size(), N);
    EXPECT_EQ(b.ln2_inv_scale.size(), N);
    EXPECT_EQ(b.k.cols(), m.spec.num_kv_heads * m.spec.head_dim);
    EXPECT_EQ(b.ffn_ratio.cols(), F);
    EXPECT_EQ(b.ffn_up.size(), m.spec.gated_ffn ? N * F : 0);
    // The traced pieces reproduce the block: hidden = act(pre) [* up], pre-norm residual sums.
    Mat<double> act = b.ffn_pre.cwiseProduct(b.ffn_ratio);
    if (m.spec.gated_ffn) act = act.cwiseProduct(b.ffn_up);
    EXPECT_LT((act - b.ffn_hidden).cwiseAbs().maxCoeff(), 1e-12);
    EXPECT_LT((b.input + b.attn_out + b.ffn_out - b.output).cwiseAbs().maxCoeff(), 1e-12);
    for (const MatD& a : b.attn_probs) {
      EXPECT_LT((a.rowwise().sum().array() - 1).abs().maxCoeff(), 1e-12);
      EXPECT_EQ(a.triangularView<Eigen::StrictlyUpper>().toDenseMatrix().cwiseAbs().maxCoeff(), 0.0);
    }
  }
  EXPECT_EQ(t64->logits.rows(), N);
  EXPECT_EQ(t64->logits.cols(), 50);
  // Causality: changing the last token leaves earlier positions unchanged.
  ForwardInput changed = in;
  changed.ids.back() = 1;
  auto t2 = forward(m, changed, {Precision::Float64});
  ASSERT_TRUE(t2.ok());
  EXPECT_EQ(t2->logits.topRows(N - 1), t64->logits.topRows(N - 1));
  EXPECT_NE(t2->logits.row(N - 1), t64->logits.row(N - 1));
}

TEST(Forward, Gpt2ShapedModelInCode) { check_model(Family::Gpt2); }
TEST(Forward, LlamaShapedModelInCode) { check_model(Family::Llama); }

}  // namespace
}  // namespace tl
