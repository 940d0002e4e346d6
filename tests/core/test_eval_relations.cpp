// Relation decoding pieces on constructed cases: the relations file format, the true Jacobian
// between stages against finite differences, the TensorLens block between stages against the
// engine's pair block (stage 0) and a directly applied block operator, decoding z like the model,
// and a run on the embedded model.
#include <gtest/gtest.h>

#include "core/backend/cpu_backend.h"
#include "core/eval/relations.h"
#include "core/forward/forward.h"
#include "core/lens/analysis.h"
#include "core/lens/operator.h"
#include "tests/support/synthetic_model.h"

namespace tl::eval {
namespace {

Model gpt2(std::uint32_t seed) {
  SyntheticShape shape;
  shape.vocab = 40;
  shape.hidden = 16;
  shape.layers = 3;
  shape.heads = 4;
  shape.ffn = 32;
  return make_synthetic_model(synthetic_spec(Family::Gpt2, shape), seed);
}

Trace trace_of(const Model& m, std::vector<int> ids, Precision p = Precision::Float64) {
  ForwardInput in;
  in.ids = std::move(ids);
  auto t = forward(m, in, ForwardOptions{p});
  EXPECT_TRUE(t.ok());
  return std::move(t).value();
}

TEST(EvalRelations, ParsesTheFileFormat) {
  auto r = parse_relations(
      "# comment\nrelation: opposite\ntemplate: The opposite of {} is\nhot -> cold\n big ->  small \n\n"
      "relation: plural\ntemplate: one {}, two\ncat -> cats\ndog -> dogs\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].name, "opposite");
  EXPECT_EQ((*r)[0].prompt_template, "The opposite of {} is");
  EXPECT_EQ((*r)[0].pairs[1].subject, "big");
  EXPECT_EQ((*r)[0].pairs[1].object, "small");
  EXPECT_EQ((*r)[1].pairs.size(), 2u);

  EXPECT_FALSE(parse_relations("hot -> cold\n").ok());                                  // no relation first
  EXPECT_FALSE(parse_relations("relation: a\ntemplate: no slot\nx -> y\nz -> w\n").ok());  // no {}
  EXPECT_FALSE(parse_relations("relation: a\ntemplate: {} is\nx -> y\n").ok());           // one pair
  EXPECT_FALSE(parse_relations("relation: a\nx -> y\nz -> w\n").ok());                    // no template
  EXPECT_FALSE(parse_relations("relation: a\ntemplate: {} is\nx y\n").ok());              // no arrow
  EXPECT_FALSE(parse_relations("").ok());
}

TEST(EvalRelations, StageJacobianMatchesFiniteDifferences) {
  const Model m = gpt2(7);
  const Trace t = trace_of(m, {4, 9, 13, 2, 30});
  const int out = 4, in = 2;
  const MatD j0 = stage_jacobian(m, t, 0, out, in);
  ASSERT_EQ(j0.rows(), 16);
  ASSERT_EQ(j0.cols(), 16);
  // Stage 0 against central differences of the whole model (input: hidden_state(0) row `in`).
  const double h = 1e-5;
  MatD fd(16, 16);
  for (int e = 0; e < 16; ++e) {
    ForwardInput plus, minus;
    plus.ids = minus.ids = t.ids;
    // GPT-2: hidden_state(0) = token row + position row, so perturbing the token row (inputs_embeds)
    // perturbs hidden_state(0) by the same amount.
    MatD rows = MatD::Zero(5, 16);
    for (int i = 0; i < 5; ++i) rows.row(i) = m.weights.token_embedding.row(t.ids[size_t(i)]).cast<double>();
    plus.inputs_embeds = rows;
    minus.inputs_embeds = rows;
    plus.inputs_embeds(in, e) += h;
    minus.inputs_embeds(in, e) -= h;
    auto tp = forward(m, plus, ForwardOptions{Precision::Float64});
    auto tm = forward(m, minus, ForwardOptions{Precision::Float64});
    ASSERT_TRUE(tp.ok() && tm.ok());
    fd.col(e) = (tp->blocks.back().output.row(out) - tm->blocks.back().output.row(out)).transpose() / (2 * h);
  }
  EXPECT_LT((fd - j0).norm(), 1e-6 * std::max(1.0, j0.norm()));
}

TEST(EvalRelations, StageLensBlockMatchesTheEngineAndTheOperator) {
  const Model m = gpt2(8);
  const Trace t = trace_of(m, {4, 9, 13, 2, 30});
  CpuBackend backend(1);
  // Stage 0: blocks 1..L, the engine's pair block through(L).
  auto b0 = stage_lens_block(m, t, 0, 4, 1, backend);
  ASSERT_TRUE(b0.ok()) << b0.error().message;
  lens::PairBlockRequest req;
  req.output_token = 4;
  req.input_token = 1;
  req.scope = ScopeAt::through(3);
  req.precision = Precision::Float64;
  auto pb = lens::compute_pair_block(m, t, req, backend);
  ASSERT_TRUE(pb.ok());
  EXPECT_LT((*b0 - pb->block).norm(), 1e-9 * std::max(1.0, pb->block.norm()));
  // Stage 1: blocks 2..3 applied directly (reference operator, no bias) to unit vectors at token 1.
  auto b1 = stage_lens_block(m, t, 1, 4, 1, backend);
  ASSERT_TRUE(b1.ok());
  MatD direct(16, 16);
  for (int e = 0; e < 16; ++e) {
    MatD x = MatD::Zero(5, 16);
    x(1, e) = 1;
    for (int layer = 2; layer <= 3; ++layer) {
      auto op = lens::build_block_operator(m, t, layer, lens::GatedFfn::Gate);
      ASSERT_TRUE(op.ok());
      x = lens::apply_block_reference(*op, x, false);
    }
    direct.col(e) = x.row(4).transpose();
  }
  EXPECT_LT((*b1 - direct).norm(), 1e-9 * std::max(1.0, direct.norm()));
  // Causal: a later input token has no block.
  auto later = stage_lens_block(m, t, 1, 1, 4, backend);
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(later->norm(), 0.0);
}

TEST(EvalRelations, DecodingTheLastBlockReproducesTheLogits) {
  const Model m = gpt2(9);
  const Trace t = trace_of(m, {4, 9, 13});
  const Eigen::VectorXd logits = decode_last_block(m, t.blocks.back().output.row(2).transpose());
  EXPECT_LT((logits - t.logits.row(2).transpose()).cwiseAbs().maxCoeff(), 1e-4);
}

TEST(EvalRelations, RunsOnTheEmbeddedModel) {
  auto model = load_embedded_model();
  auto tok = Tokenizer::embedded();
  ASSERT_TRUE(model.ok() && tok.ok());
  auto rel = parse_relations("relation: mom\ntemplate: {} went to her\nLily -> mom\nSue -> mom\nAnna -> mom\n");
  ASSERT_TRUE(rel.ok());
  RelationOptions o;
  o.layers = {0, 2};
  auto r = run_relations(**model, *tok, *rel, o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->relations.size(), 1u);
  const RelationResult& rr = r->relations[0];
  EXPECT_EQ(rr.pairs.size(), 3u);
  EXPECT_EQ(rr.lre_faithfulness.size(), 2u);
  for (double v : rr.lens_faithfulness) EXPECT_TRUE(v >= 0 && v <= 1);
  for (const PairOutcome& p : rr.pairs) EXPECT_GE(p.object_token, 0);
  EXPECT_NE(to_markdown(*r).find("| mom |"), std::string::npos);
}

}  // namespace
}  // namespace tl::eval
