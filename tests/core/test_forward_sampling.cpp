// Deterministic sampling (core/forward/generate.h): greedy at temperature 0, frequencies that
// follow softmax(logits / T), the same text for the same seed, EOS stops.
#include <gtest/gtest.h>

#include "core/forward/generate.h"
#include "core/model/model.h"

namespace tl {
namespace {

TEST(ForwardSampling, TemperatureZeroIsArgmax) {
  Eigen::RowVectorXd l(4);
  l << 0.1, 2.0, 2.0, -1;
  SplitMix64 rng(1);
  EXPECT_EQ(sample_token(l, 0.0, rng), 1);  // lowest id on ties
}

TEST(ForwardSampling, FrequenciesFollowTheTemperedSoftmax) {
  Eigen::RowVectorXd l(3);
  l << 0.0, 1.0, 2.0;
  const double temperature = 2.0;
  const Eigen::RowVectorXd p = (l.array() / temperature).exp() / (l.array() / temperature).exp().sum();
  SplitMix64 rng(5);
  std::vector<int> counts(3, 0);
  const int draws = 20000;
  for (int k = 0; k < draws; ++k) ++counts[size_t(sample_token(l, temperature, rng))];
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(double(counts[size_t(k)]) / draws, p[k], 0.015) << k;
}

TEST(ForwardSampling, SameSeedSameTextOnTheEmbeddedModel) {
  auto model = load_embedded_model();
  ASSERT_TRUE(model.ok());
  GenerateOptions o;
  o.tokens = 12;
  o.temperature = 1.0;
  SplitMix64 a(7), b(7), c(8);
  auto x = generate(**model, {1}, o, a), y = generate(**model, {1}, o, b), z = generate(**model, {1}, o, c);
  ASSERT_TRUE(x.ok() && y.ok() && z.ok());
  EXPECT_EQ(*x, *y);
  EXPECT_NE(*x, *z);
  EXPECT_LE(x->size(), 12u);
  for (int id : *x) EXPECT_NE(id, (*model)->spec.eos_token_id);
  // Greedy from BOS: llama2.c's run.c -t 0 starts "Once upon a time" (ids 403 407 261 378).
  o.temperature = 0;
  o.tokens = 4;
  auto g = generate(**model, {1}, o, a);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(*g, (std::vector<int>{403, 407, 261, 378}));
}

}  // namespace
}  // namespace tl
