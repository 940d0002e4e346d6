// Token identifiability over sentences on constructed cases: the embeddings identify themselves;
// a model whose blocks add nothing (and whose final norm has unit gain) keeps every token
// identifiable by cosine at every stage; reports count every position.
#include <gtest/gtest.h>

#include "core/eval/identifiability.h"
#include "tests/support/synthetic_model.h"

namespace tl::eval {
namespace {

Model llama(std::uint32_t seed) {
  SyntheticShape shape;
  shape.vocab = 40;
  shape.hidden = 16;
  shape.layers = 3;
  shape.heads = 4;
  shape.ffn = 32;
  return make_synthetic_model(synthetic_spec(Family::Llama, shape), seed);
}

std::vector<EvalExample> examples(const Model& m) {
  // Repeated tokens included: a repeat counts as identified when its neighbour is the same token.
  return {example_from_ids(m, {3, 7, 9, 3, 12}), example_from_ids(m, {20, 21, 22, 23, 24, 25, 21})};
}

TEST(EvalIdentifiability, BlocksThatAddNothingKeepTokensIdentifiable) {
  Model m = llama(2);
  for (BlockWeights& b : m.weights.blocks) {
    b.attn.o.W.setZero();
    b.ffn.down.W.setZero();
  }
  m.weights.final_norm.gamma.setOnes();
  auto r = run_identifiability(m, nullptr, examples(m));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->share_cosine.size(), 4u);
  EXPECT_EQ(r->hidden_states, 12);
  for (double s : r->share_cosine) EXPECT_DOUBLE_EQ(s, 1.0);
  EXPECT_DOUBLE_EQ(r->share_l2[0], 1.0);
  EXPECT_EQ(r->stages.front(), "embeddings");
}

TEST(EvalIdentifiability, RandomModelStartsIdentifiedAndStaysInRange) {
  const Model m = llama(5);
  auto r = run_identifiability(m, nullptr, examples(m));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_DOUBLE_EQ(r->share_cosine[0], 1.0);
  EXPECT_DOUBLE_EQ(r->share_l2[0], 1.0);
  for (size_t l = 0; l < r->share_l2.size(); ++l) {
    EXPECT_GE(r->share_l2[l], 0.0);
    EXPECT_LE(r->share_l2[l], 1.0);
  }
  const nlohmann::json j = to_json(*r);
  EXPECT_EQ(j["share_cosine"].size(), 4u);
  EXPECT_NE(to_markdown(*r).find("| 0: embeddings |"), std::string::npos);
  EXPECT_FALSE(run_identifiability(m, nullptr, {}).ok());
}

}  // namespace
}  // namespace tl::eval
