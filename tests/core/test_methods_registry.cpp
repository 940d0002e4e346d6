// The method registry and the representation methods:
// - one entry per method (TensorLens and the docs/TENSORLENS.md §6 baselines), unique names,
//   descriptions, and every method computable by name on a small model of each family (finite
//   values, labelled N-column maps);
// - unknown names and bad layers/heads are errors that say what is wrong;
// - token identifiability: stage 0 identifies every (distinct) token; shares are fractions of N;
// - logit lens: the last stage reproduces the model's own probabilities (the predicted token has
//   rank 0 there), and the top-k lists are sorted.
#include <gtest/gtest.h>

#include <set>

#include "core/forward/forward.h"
#include "core/methods/registry.h"
#include "tests/support/synthetic_model.h"

namespace tl {
namespace {

using Eigen::MatrixXd;

Model small_model(Family f) {
  SyntheticShape shape;
  shape.hidden = 16;
  shape.heads = 4;
  shape.layers = 2;
  shape.kv_heads = f == Family::Llama ? 2 : 0;
  return make_synthetic_model(synthetic_spec(f, shape), 31);
}

Trace run(const Model& m, int n) {
  ForwardInput in;
  for (int i = 0; i < n; ++i) in.ids.push_back(3 + (13 * i) % (m.spec.vocab_size - 3));
  if (m.spec.type_vocab_size == 2) in.token_types.assign(size_t(n), 0);
  auto t = forward(m, in, ForwardOptions{Precision::Float64});
  EXPECT_TRUE(t.ok());
  return std::move(t).value();
}

Result<MethodOutput> compute(std::string_view name, const Model& m, const Trace& t, MethodRequest req = {}) {
  MethodInputs in;
  in.model = &m;
  in.trace = &t;
  in.text = "synthetic";
  return compute_method(name, in, req);
}

TEST(Registry, ListsEveryMethodOnce) {
  const std::set<std::string> want{"tensorlens", "tensorlens-in", "tensorlens-out", "tensorlens-in-out", "attention",
                                   "attention-mean", "rollout", "flow", "grad-rollout", "norm", "alti", "globenc",
                                   "effective-attention", "hidden-token-attribution", "jacobian", "saliency",
                                   "input-x-gradient", "integrated-gradients", "occlusion", "token-identifiability",
                                   "logit-lens"};
  std::set<std::string> names;
  for (const MethodInfo& info : method_registry()) {
    EXPECT_TRUE(names.insert(std::string(info.name)).second) << "duplicate " << info.name;
    EXPECT_FALSE(info.description.empty()) << info.name;
    EXPECT_TRUE(info.per_layer || info.cumulative) << info.name;
    EXPECT_EQ(find_method(info.name), &info);
  }
  EXPECT_EQ(names, want);
  EXPECT_EQ(find_method("nope"), nullptr);
  EXPECT_EQ(needs_label(kNeedsTraceOnly), "trace");
  EXPECT_EQ(needs_label(kNeedsGradients | kNeedsForwardPasses), "gradients, forward passes");
}

TEST(Registry, EveryMethodRunsOnEveryFamily) {
  for (Family f : {Family::Gpt2, Family::Bert, Family::Roberta, Family::GptNeox, Family::Llama}) {
    const Model m = small_model(f);
    const Trace t = run(m, 5);
    for (const MethodInfo& info : method_registry()) {
      if (info.needs & kNeedsLensEngine) continue;  // tests/core/test_methods_lens.cpp
      MethodRequest req;
      if (!m.spec.causal) req.position = 1;  // encoders: the explained (masked) position
      if (info.per_layer && !info.cumulative) {
        req.scope = Scope::Block;
        req.layer = 2;
      }
      auto out = compute(info.name, m, t, req);
      ASSERT_TRUE(out.ok()) << to_string(f) << " " << info.name << ": " << out.error().message;
      ASSERT_FALSE(out->maps.empty()) << info.name;
      for (const Map& map : out->maps) {
        EXPECT_TRUE(map.values.allFinite()) << info.name;
        EXPECT_EQ(map.cols(), 5) << info.name;
        EXPECT_EQ(int(map.col_labels.size()), map.cols()) << info.name;
        EXPECT_EQ(int(map.row_labels.size()), map.rows()) << info.name;
        EXPECT_EQ(map.provenance.method, info.name);
        EXPECT_EQ(map.provenance.text, "synthetic");
        if (!info.is_signed) {
          EXPECT_GE(map.values.minCoeff(), -1e-12) << info.name;
        }
      }
    }
  }
}

TEST(Registry, ErrorsSayWhatIsWrong) {
  const Model m = small_model(Family::Gpt2);
  const Trace t = run(m, 4);
  auto unknown = compute("attention-rollout", m, t);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("rollout"), std::string::npos);  // lists the known names
  MethodRequest req;
  req.scope = Scope::Block;
  req.layer = 3;
  auto bad_layer = compute("rollout", m, t, req);
  ASSERT_FALSE(bad_layer.ok());
  EXPECT_NE(bad_layer.error().message.find("1..2"), std::string::npos);
  req.layer = 1;
  req.head = 9;
  EXPECT_FALSE(compute("norm", m, t, req).ok());
  MethodRequest far;
  far.position = 4;
  EXPECT_FALSE(compute("saliency", m, t, far).ok());
  MethodInputs none;
  EXPECT_FALSE(compute_method("rollout", none, {}).ok());
}

TEST(TokenIdentifiability, EmbeddingsIdentifyThemselves) {
  const Model m = small_model(Family::Gpt2);
  const Trace t = run(m, 6);
  MethodRequest req;
  req.scope = Scope::Block;
  req.layer = 1;
  auto out = compute("token-identifiability", m, t, req);
  ASSERT_TRUE(out.ok());
  const Identifiability& id = *out->identifiability;
  ASSERT_EQ(id.share_cosine.size(), 3u);  // stages 0..L
  EXPECT_EQ(id.share_cosine[0], 1.0);
  EXPECT_EQ(id.share_l2[0], 1.0);
  for (int l = 0; l <= 2; ++l) {
    int hits = 0;
    for (int i = 0; i < 6; ++i) hits += id.nearest_cosine[size_t(l)][size_t(i)] == i;
    EXPECT_DOUBLE_EQ(id.share_cosine[size_t(l)], hits / 6.0);
  }
  // The map for layer 1: cosine of hidden state i (stage 1) with input embedding j.
  const Map& map = out->maps.at(0);
  const auto& h = t.hidden_state(1);
  const double want = h.row(2).dot(t.embeddings.row(4)) / (h.row(2).norm() * t.embeddings.row(4).norm());
  EXPECT_NEAR(map.values(2, 4), want, 1e-12);
  req.options = {{"metric", "l2"}};
  auto l2 = compute("token-identifiability", m, t, req);
  ASSERT_TRUE(l2.ok());
  EXPECT_NEAR(l2->maps.at(0).values(2, 4), (h.row(2) - t.embeddings.row(4)).norm(), 1e-10);
}

TEST(LogitLens, LastStageIsTheModelsPrediction) {
  for (Family f : {Family::Llama, Family::Roberta}) {
    const Model m = small_model(f);
    const Trace t = run(m, 5);
    MethodRequest req;
    req.options = {{"top_k", 3}};
    auto out = compute("logit-lens", m, t, req);
    ASSERT_TRUE(out.ok());
    const LogitLens& lens = *out->logit_lens;
    ASSERT_EQ(lens.probability.rows(), 3);
    for (int i = 0; i < 5; ++i) {
      Eigen::Index argmax;
      t.logits.row(i).maxCoeff(&argmax);
      EXPECT_EQ(lens.predicted[size_t(i)], int(argmax));
      EXPECT_EQ(lens.rank(2, i), 0);
      Eigen::RowVectorXd p = (t.logits.row(i).array() - t.logits.row(i).maxCoeff()).exp();
      p /= p.sum();
      EXPECT_NEAR(lens.probability(2, i), p[argmax], 1e-5);  // float vocabulary projection
      const auto& top = lens.top[2][size_t(i)];
      ASSERT_EQ(top.size(), 3u);
      EXPECT_EQ(top[0].first, int(argmax));
      EXPECT_GE(top[0].second, top[1].second);
      EXPECT_GE(top[1].second, top[2].second);
    }
    EXPECT_EQ(out->maps.at(0).row_labels.front(), "embeddings");
  }
}

}  // namespace
}  // namespace tl
