// The perturbation test on constructed cases with known answers: removal counts and orders, a
// model whose prediction depends on one token only (curves known exactly), leave-one-out
// relevance beating random relevance on a random model, and reports that repeat exactly.
#include <gtest/gtest.h>

#include "core/eval/perturbation.h"
#include "core/eval/relevance.h"
#include "tests/support/synthetic_model.h"
#include "core/util/rng.h"

namespace tl::eval {
namespace {

Model small_model(Family f, std::uint32_t seed) {
  SyntheticShape shape;
  shape.vocab = 40;
  shape.hidden = 16;
  shape.layers = 2;
  shape.heads = 4;
  shape.ffn = 32;
  return make_synthetic_model(synthetic_spec(f, shape), seed);
}

std::vector<int> random_ids(int n, int vocab, std::uint64_t seed) {
  SplitMix64 rng(seed);
  std::vector<int> ids;
  for (int k = 0; k < n; ++k) ids.push_back(1 + int(rng.below(std::uint64_t(vocab - 1))));
  return ids;
}

double probability(const Model& m, const ForwardInput& in, int position, int token) {
  auto t = forward(m, in);
  EXPECT_TRUE(t.ok());
  const Eigen::RowVectorXd l = t->logits.row(position);
  return std::exp(l[token] - l.maxCoeff()) / (l.array() - l.maxCoeff()).exp().sum();
}

int argmax_at(const Model& m, const ForwardInput& in, int position) {
  auto t = forward(m, in);
  Eigen::Index best = 0;
  t->logits.row(position).maxCoeff(&best);
  return int(best);
}

TEST(EvalPerturbation, RemovedCountRoundsHalvesUp) {
  EXPECT_EQ(removed_count(0.0, 7), 0);
  EXPECT_EQ(removed_count(0.1, 7), 1);   // 0.7
  EXPECT_EQ(removed_count(0.5, 7), 4);   // 3.5
  EXPECT_EQ(removed_count(0.9, 7), 6);   // 6.3
  EXPECT_EQ(removed_count(0.3, 5), 2);   // 1.5000000000000002 and 1.5 alike
  EXPECT_EQ(removed_count(0.9, 1), 1);
}

TEST(EvalPerturbation, RemovalOrderSkipsKeptTokensAndBreaksTiesByPosition) {
  EvalExample ex;
  ex.input.ids = {1, 5, 6, 7, 8};
  ex.removable = {false, true, true, true, true};
  Eigen::VectorXd r(5);
  r << 100, 0.5, 2.0, 0.5, -1.0;
  EXPECT_EQ(removal_order(ex, r, Order::Positive), (std::vector<int>{2, 1, 3, 4}));
  EXPECT_EQ(removal_order(ex, r, Order::Negative), (std::vector<int>{4, 1, 3, 2}));
}

// Block outputs zeroed: the last position's prediction depends on the last token alone, so the
// curves of every order are known from two forward passes.
TEST(EvalPerturbation, CurvesOfAModelThatReadsOneTokenAreExact) {
  Model m = small_model(Family::Gpt2, 5);
  for (BlockWeights& b : m.weights.blocks) {
    b.attn.o.W.setZero();
    b.attn.o.b.setZero();
    b.ffn.down.W.setZero();
    b.ffn.down.b.setZero();
  }
  const int replacement = 0;
  EvalExample ex = example_from_ids(m, random_ids(8, 40, 1));
  ASSERT_EQ(std::count(ex.removable.begin(), ex.removable.end(), true), 8);
  const int predicted = argmax_at(m, ex.input, 7);
  const double p0 = probability(m, ex.input, 7, predicted);
  ForwardInput last_removed = ex.input;
  last_removed.ids[7] = replacement;
  const double p1 = probability(m, last_removed, 7, predicted);
  ASSERT_GT(p0 - p1, 1e-3);

  Eigen::VectorXd loo = Eigen::VectorXd::Zero(8);
  loo[7] = p0 - p1;  // the true leave-one-out effect: zero everywhere but the last token
  const std::vector<double> f = default_fractions();
  auto pos = perturbation_curves(m, ex, predicted, loo, Order::Positive, f, replacement);
  auto neg = perturbation_curves(m, ex, predicted, loo, Order::Negative, f, replacement);
  ASSERT_TRUE(pos.ok() && neg.ok());
  // Positive: the last token goes at the first removal (round(0.1 * 8) = 1): p0, then p1.
  std::vector<double> expect_pos(10, p1), expect_neg(10, p0);
  expect_pos[0] = p0;
  // Negative: the last token goes last, at round(f * 8) = 8, which no fraction below 0.94 reaches.
  for (int k = 0; k < 10; ++k) {
    EXPECT_NEAR(pos->probability[size_t(k)], expect_pos[size_t(k)], 1e-12) << k;
    EXPECT_NEAR(neg->probability[size_t(k)], expect_neg[size_t(k)], 1e-12) << k;
  }
  // AUC by hand: positive 0.1 (p0 + p1) / 2 + 0.8 p1; negative 0.9 p0.
  EXPECT_NEAR(trapezoid_auc(f, pos->probability), 0.05 * (p0 + p1) + 0.8 * p1, 1e-12);
  EXPECT_NEAR(trapezoid_auc(f, neg->probability), 0.9 * p0, 1e-12);
  EXPECT_EQ(neg->agreement, std::vector<double>(10, 1.0));

  // Keeping the last token: nothing the model reads is ever replaced, every curve stays flat.
  PerturbationOptions o;
  o.methods = {"random", "occlusion"};
  o.replacement_token = replacement;
  o.keep_last_token = true;
  o.bootstrap_resamples = 20;
  auto kept = run_perturbation(m, nullptr, {ex}, o);
  ASSERT_TRUE(kept.ok()) << kept.error().message;
  EXPECT_TRUE(kept->keep_last_token);
  for (const MethodResult& r : kept->methods)
    for (double p : r.positive.mean.probability) EXPECT_NEAR(p, p0, 1e-12) << r.method;
}

// On a random model, the true leave-one-out effect as relevance gives a lower positive AUC than
// random relevance, which gives a lower one than the reversed leave-one-out effect (and the
// reverse in the negative order). Averaged over sentences, fixed seeds.
TEST(EvalPerturbation, LeaveOneOutBeatsRandomBeatsReversed) {
  const Model m = small_model(Family::Gpt2, 21);
  const std::vector<double> f = default_fractions();
  const int replacement = 0, sentences = 24, n = 10;
  double auc_loo = 0, auc_random = 0, auc_reversed = 0, neg_loo = 0, neg_random = 0;
  for (int s = 0; s < sentences; ++s) {
    const EvalExample ex = example_from_ids(m, random_ids(n, 40, 100 + s));
    const int predicted = argmax_at(m, ex.input, n - 1);
    const double p0 = probability(m, ex.input, n - 1, predicted);
    Eigen::VectorXd loo(n);
    for (int j = 0; j < n; ++j) {
      ForwardInput in = ex.input;
      in.ids[size_t(j)] = replacement;
      loo[j] = p0 - probability(m, in, n - 1, predicted);
    }
    auto auc = [&](const Eigen::VectorXd& r, Order o) {
      auto c = perturbation_curves(m, ex, predicted, r, o, f, replacement);
      EXPECT_TRUE(c.ok());
      return trapezoid_auc(f, c->probability) / sentences;
    };
    auc_loo += auc(loo, Order::Positive);
    auc_reversed += auc(-loo, Order::Positive);
    neg_loo += auc(loo, Order::Negative);
    for (int k = 0; k < 4; ++k) {  // several random orders per sentence, to average out their luck
      const Eigen::VectorXd r = random_relevance(n, mix_seed(9, std::uint64_t(s * 4 + k)));
      auc_random += auc(r, Order::Positive) / 4;
      neg_random += auc(r, Order::Negative) / 4;
    }
  }
  EXPECT_LT(auc_loo, auc_random);
  EXPECT_LT(auc_random, auc_reversed);
  EXPECT_GT(neg_loo, neg_random);
}

TEST(EvalPerturbation, ReportsRepeatExactlyForASeed) {
  const Model m = small_model(Family::Llama, 3);
  std::vector<EvalExample> examples;
  for (int s = 0; s < 4; ++s) examples.push_back(example_from_ids(m, random_ids(7, 40, 50 + s)));
  PerturbationOptions o;
  o.methods = {"rollout", "saliency", "tensorlens-in-out", "random"};
  o.bootstrap_resamples = 200;
  o.seed = 11;
  auto a = run_perturbation(m, nullptr, examples, o);
  auto b = run_perturbation(m, nullptr, examples, o);
  ASSERT_TRUE(a.ok()) << a.error().message;
  ASSERT_TRUE(b.ok());
  nlohmann::json ja = to_json(*a), jb = to_json(*b);
  ja.erase("seconds");
  jb.erase("seconds");
  for (auto* j : {&ja, &jb})
    for (auto& mj : (*j)["methods"]) mj.erase("seconds_relevance"), mj.erase("seconds_perturbation");
  EXPECT_EQ(ja, jb);
  EXPECT_EQ(ja["replacement_token"]["id"], 0);
  ASSERT_EQ(a->methods.size(), 4u);
  for (const MethodResult& r : a->methods) {
    EXPECT_TRUE(r.error.empty()) << r.method << ": " << r.error;
    EXPECT_EQ(r.positive.mean.probability.size(), 10u);
    EXPECT_EQ(r.positive.sentence_auc_probability.size(), 4u);
    // No removal: every method starts at the same point (the unperturbed prediction).
    EXPECT_DOUBLE_EQ(r.positive.mean.probability[0], a->methods[0].positive.mean.probability[0]);
    EXPECT_DOUBLE_EQ(r.negative.mean.agreement[0], 1.0);
    EXPECT_LE(r.positive.auc_probability.low, r.positive.auc_probability.mean);
    EXPECT_GE(r.positive.auc_probability.high, r.positive.auc_probability.mean);
  }
  // Another seed changes the random reference and the intervals, not the other curves.
  o.seed = 12;
  auto c = run_perturbation(m, nullptr, examples, o);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->methods[0].positive.mean.probability, a->methods[0].positive.mean.probability);
  EXPECT_NE(c->methods[3].positive.sentence_auc_probability, a->methods[3].positive.sentence_auc_probability);
  EXPECT_FALSE(to_markdown(*a).empty());

  // Paired differences against a method: per-sentence differences, so a method against itself
  // would be zero, and the mean difference is the difference of the mean AUCs.
  auto diffs = paired_differences(*a, "rollout");
  ASSERT_TRUE(diffs.ok());
  ASSERT_EQ(diffs->size(), 3u);
  EXPECT_EQ((*diffs)[0].method, "saliency");
  EXPECT_NEAR((*diffs)[0].positive.mean, a->methods[1].positive.auc_probability.mean - a->methods[0].positive.auc_probability.mean,
              1e-12);
  EXPECT_FALSE(paired_differences(*a, "flow").ok());
  EXPECT_NE(paired_markdown(*a, "rollout").find("| saliency |"), std::string::npos);
}

TEST(EvalPerturbation, MaskedLmKeepsTheMaskAndErrorsAreValues) {
  const Model m = small_model(Family::Bert, 4);
  std::vector<int> ids = random_ids(8, 40, 77);
  const int mask = 39;
  ids[3] = mask;
  std::vector<EvalExample> examples{example_from_ids(m, ids, 3)};
  EXPECT_FALSE(examples[0].removable[3]);
  PerturbationOptions o;
  o.methods = {"attention-mean", "random"};
  o.replacement_token = mask;
  o.bootstrap_resamples = 50;
  auto r = run_perturbation(m, nullptr, examples, o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->sentences[0].position, 3);
  EXPECT_EQ(r->replacement_token, mask);

  o.methods = {"no-such-method"};
  EXPECT_FALSE(run_perturbation(m, nullptr, examples, o).ok());
  o.methods = {"logit-lens"};
  EXPECT_FALSE(run_perturbation(m, nullptr, examples, o).ok());
  o.methods = {"random"};
  o.replacement_token = 1000;
  EXPECT_FALSE(run_perturbation(m, nullptr, examples, o).ok());
  EXPECT_FALSE(run_perturbation(m, nullptr, {}, PerturbationOptions{}).ok());
}

TEST(EvalPerturbation, EveryRelevanceMethodGivesOneScorePerToken) {
  const Model m = small_model(Family::Gpt2, 8);
  ForwardInput in;
  in.ids = random_ids(6, 40, 5);
  auto t = forward(m, in);
  ASSERT_TRUE(t.ok());
  MethodInputs mi;
  mi.model = &m;
  mi.trace = &t.value();
  const int predicted = argmax_at(m, in, 5);
  for (const std::string& name : relevance_methods()) {
    if (name == kRandomReference) continue;
    const nlohmann::json options = name == "integrated-gradients" ? nlohmann::json{{"steps", 4}} : nlohmann::json::object();
    auto r = relevance_of(name, mi, 5, predicted, options);
    ASSERT_TRUE(r.ok()) << name << ": " << r.error().message;
    EXPECT_EQ(r->size(), 6) << name;
    EXPECT_TRUE(r->allFinite()) << name;
  }
}

}  // namespace
}  // namespace tl::eval
