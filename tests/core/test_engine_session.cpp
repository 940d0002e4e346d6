// engine::Session, the one computing API of the CLI and the GUI (core/engine/session.h): budgets
// applied before tokenizing and before the forward pass, the one every-block loop (a TensorLens
// series in one run equals the maps block by block), pair blocks, and the method capability
// flags that replaced tests on method names. fp64 where the identities are exact (1e-10).
#include <gtest/gtest.h>

#include <string>

#include "core/engine/session.h"

namespace tl::engine {
namespace {

SessionPtr embedded(Precision p = Precision::Float32) {
  auto s = Session::open_embedded(std::make_shared<Device>("cpu", p));
  EXPECT_TRUE(s.ok()) << s.error().message;
  return *s;
}

constexpr const char* kText = "Once upon a time, there was a little girl named Lily.";

TEST(EngineSession, AnalysesTextWithPredictions) {
  SessionPtr s = embedded();
  auto a = s->analyse(kText);
  ASSERT_TRUE(a.ok()) << a.error().message;
  ASSERT_TRUE(a->trace);
  EXPECT_EQ(a->trace->num_tokens(), static_cast<int>(a->encoding.ids.size()));
  EXPECT_EQ(a->labels.size(), a->encoding.ids.size());
  EXPECT_EQ(a->text, kText);
  EXPECT_EQ(a->prediction_row, a->trace->num_tokens() - 1);  // a causal LM: the next token
  ASSERT_EQ(a->predictions.size(), 10u);
  for (std::size_t k = 1; k < a->predictions.size(); ++k)
    EXPECT_GE(a->predictions[k - 1].probability, a->predictions[k].probability);
  EXPECT_EQ(s->display_name(), "stories260K (embedded)");
}

TEST(EngineSession, BudgetsRefuseBeforeWork) {
  SessionPtr s = embedded();
  const std::string huge(std::size_t(2) << 20, 'a');
  auto e = s->encode(huge);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("MiB"), std::string::npos) << e.error().message;
  // More tokens than the model has positions: refused before the forward pass, with the count.
  std::string words;
  for (int k = 0; k < 600; ++k) words += "time ";
  auto a = s->analyse(words);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().message.find("tokens"), std::string::npos) << a.error().message;
  // Ids given directly go through the same check.
  Encoding ids;
  ForwardInput in;
  in.ids.assign(600, 5);
  auto b = s->analyse("", ids, in);
  ASSERT_FALSE(b.ok());
}

TEST(EngineSession, SeriesIsOneLoopAndEqualsBlockByBlock) {
  SessionPtr s = embedded(Precision::Float64);
  auto a = s->analyse(kText);
  ASSERT_TRUE(a.ok());
  const int L = s->spec().num_layers;
  for (Scope scope : {Scope::Block, Scope::Through}) {
    auto series = s->series(*a, "tensorlens-in", scope);
    ASSERT_TRUE(series.ok()) << series.error().message;
    ASSERT_GE(static_cast<int>(series->maps.size()), L);
    for (int l = 1; l <= L; ++l) {
      MapChoice c{.method = "tensorlens-in", .scope = scope, .block = l};
      auto one = s->compute_map(*a, c);
      ASSERT_TRUE(one.ok()) << one.error().message;
      EXPECT_EQ(series->blocks[static_cast<std::size_t>(l - 1)], l);
      const Eigen::MatrixXd& m = series->maps[static_cast<std::size_t>(l - 1)].values;
      EXPECT_LT((m - one->values).cwiseAbs().maxCoeff(), 1e-10 * std::max(1.0, one->values.cwiseAbs().maxCoeff()))
          << to_string(scope) << " block " << l;
    }
  }
  // Per-head methods: every head of every block with head -1.
  MethodRequest every_head;
  every_head.head = -1;
  auto heads = s->series(*a, "attention", Scope::Block, every_head);
  ASSERT_TRUE(heads.ok()) << heads.error().message;
  const int H = s->spec().num_heads;
  ASSERT_EQ(static_cast<int>(heads->maps.size()), L * H);
  EXPECT_EQ(heads->blocks.back(), L);
  EXPECT_EQ(heads->heads.back(), H - 1);
}

TEST(EngineSession, PairBlockNormIsTheMapEntry) {
  SessionPtr s = embedded(Precision::Float64);
  auto a = s->analyse(kText);
  ASSERT_TRUE(a.ok());
  const int n = a->trace->num_tokens();
  auto map = s->compute_map(*a, {.method = "tensorlens"});
  ASSERT_TRUE(map.ok()) << map.error().message;
  auto block = s->pair_block(*a, n - 1, 2);
  ASSERT_TRUE(block.ok()) << block.error().message;
  EXPECT_EQ(block->rows(), s->spec().hidden_size);
  const double want = map->values(n - 1, 2);
  EXPECT_NEAR(block->values.norm(), want, 1e-10 * std::max(1.0, want));
  EXPECT_FALSE(s->pair_block(*a, n, 0).ok());
}

TEST(EngineSession, MethodCapabilitiesAreFlags) {
  EXPECT_TRUE(find_method("tensorlens-out")->uses_target);
  EXPECT_TRUE(find_method("tensorlens-in-out")->uses_target);
  EXPECT_TRUE(find_method("saliency")->uses_target);
  EXPECT_FALSE(find_method("tensorlens-in")->uses_target);
  EXPECT_FALSE(find_method("rollout")->uses_target);
  EXPECT_FALSE(find_method("logit-lens")->attribution);
  EXPECT_FALSE(find_method("token-identifiability")->attribution);
  EXPECT_TRUE(find_method("alti")->attribution);
  // Every method with explains_prediction reads a target.
  for (const MethodInfo& info : method_registry())
    if (info.explains_prediction) EXPECT_TRUE(info.uses_target) << info.name;
}

TEST(EngineSession, NormalisedChoiceIsValidForTheModel) {
  SessionPtr s = embedded();
  MapChoice c{.method = "no-such-method", .scope = Scope::Through, .block = 99, .head = 99, .target_token = 1 << 30};
  c = normalised(c, s->spec());
  EXPECT_EQ(c.method, "attention-mean");
  EXPECT_EQ(c.scope, Scope::Block);
  EXPECT_EQ(c.block, s->spec().num_layers);
  EXPECT_EQ(c.head, s->spec().num_heads - 1);
  EXPECT_EQ(c.target_token, -1);
}

}  // namespace
}  // namespace tl::engine

namespace tl::engine {
namespace {

// Every option is checked against the method's help line: unknown keys and values outside their
// choices or ranges are errors, never silently replaced by a default.
TEST(MethodOptions, UnknownKeysAndBadValuesAreErrors) {
  SessionPtr s = embedded();
  auto a = s->analyse(kText);
  ASSERT_TRUE(a.ok());
  auto with = [&](const char* method, nlohmann::json options) {
    MapChoice c{.method = method};
    c.options = std::move(options);
    return s->compute_map(*a, c);
  };
  auto typo = with("tensorlens-in", {{"stratgy", "full"}});
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.error().message.find("unknown option 'stratgy'"), std::string::npos) << typo.error().message;
  EXPECT_NE(typo.error().message.find("strategy"), std::string::npos) << "names the known options";
  auto none = with("rollout", {{"steps", 3}});
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message.find("takes no options"), std::string::npos) << none.error().message;
  auto choice = with("tensorlens-in", {{"gated", "both"}});
  ASSERT_FALSE(choice.ok());
  EXPECT_NE(choice.error().message.find("gate|up|symmetric"), std::string::npos) << choice.error().message;
  for (nlohmann::json steps : {nlohmann::json(-3), nlohmann::json(0), nlohmann::json(1000000000), nlohmann::json(2.5),
                               nlohmann::json("many")}) {
    auto r = with("integrated-gradients", {{"steps", steps}});
    EXPECT_FALSE(r.ok()) << steps.dump();
  }
  EXPECT_TRUE(with("integrated-gradients", {{"steps", 4}, {"baseline", "neutral"}}).ok());
  EXPECT_TRUE(with("tensorlens-in", {{"strategy", "row-slices"}, {"precision", "float64"}}).ok());
}

}  // namespace
}  // namespace tl::engine
