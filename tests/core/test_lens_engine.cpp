// TensorLens engine behaviour beyond the model identities: the rollout special case
// (docs/TENSORLENS.md §5.4) on a hand-built operator, the planner's estimates and budget refusals,
// progress and cancellation, and request validation.
#include <numeric>

#include "tests/core/lens_test_util.h"

namespace tl {
namespace {

using namespace lens_test;
using lens::LensMethod;
using tl::ScopeAt;
using lens::MapRequest;
using lens::Strategy;

// A causal row-stochastic matrix with random positive entries.
MatD random_causal_attention(int n, std::mt19937& rng) {
  std::uniform_real_distribution<double> u(0.1, 1.0);
  MatD a = MatD::Zero(n, n);
  for (int i = 0; i < n; ++i) {
    for (int k = 0; k <= i; ++k) a(i, k) = u(rng);
    a.row(i) /= a.row(i).sum();
  }
  return a;
}

// A model whose lens operator is T_blk = I + mean_h A_h: per head W_V W_O = I / H (head_dim = D),
// RMSNorm with gamma = 1 and frozen scale 1, and an FFN whose down projection is zero. Its trace
// is written by hand (only what the lens reads).
struct RolloutCase {
  Model model;
  Trace trace;
  std::vector<MatD> head_mean;  // per layer
};

RolloutCase make_rollout_case(int n, int layers, int heads, int d, std::uint32_t seed) {
  std::mt19937 rng(seed);
  RolloutCase rc;
  ModelSpec& s = rc.model.spec;
  s.family = Family::Llama;
  s.vocab_size = 10;
  s.hidden_size = d;
  s.num_layers = layers;
  s.num_heads = heads;
  s.num_kv_heads = heads;
  s.head_dim = d;
  s.intermediate_size = 3;
  s.norm = NormKind::RMSNorm;
  s.topology = Topology::PreNorm;
  s.final_norm = false;
  Weights& w = rc.model.weights;
  w.token_embedding = MatF::Zero(s.vocab_size, d);
  for (int l = 0; l < layers; ++l) {
    BlockWeights b;
    b.ln1.gamma = b.ln2.gamma = VecF::Ones(d);
    b.attn.v.W = MatF(d, heads * d);
    b.attn.o.W = MatF(heads * d, d);
    for (int h = 0; h < heads; ++h) {
      b.attn.v.W.middleCols(h * d, d) = MatF::Identity(d, d);
      b.attn.o.W.middleRows(h * d, d) = MatF::Identity(d, d) / float(heads);
    }
    b.ffn.up.W = random_matrix(d, 3, rng);
    b.ffn.down.W = MatF::Zero(3, d);
    w.blocks.push_back(b);
  }
  Trace& t = rc.trace;
  t.precision = Precision::Float64;
  t.ids.assign(n, 1);
  t.embeddings = MatD::Zero(n, d);
  t.final_hidden = MatD::Zero(n, d);
  for (int l = 0; l < layers; ++l) {
    BlockTrace bt;
    bt.input = bt.output = MatD::Zero(n, d);
    bt.ln1_inv_scale = bt.ln2_inv_scale = VecD::Ones(n);
    MatD mean = MatD::Zero(n, n);
    for (int h = 0; h < heads; ++h) {
      bt.attn_probs.push_back(random_causal_attention(n, rng));
      mean += bt.attn_probs.back() / heads;
    }
    bt.ffn_pre = MatD::Zero(n, 3);
    bt.ffn_ratio = MatD::Ones(n, 3);
    t.blocks.push_back(bt);
    rc.head_mean.push_back(mean);
  }
  return rc;
}

// 4. With W_V W_O = I/H, no FFN and no norms, T[i,d,j,e] = delta_de prod_l (I + mean A_l)[i,j]
// = 2^L delta_de R[i,j] with R attention rollout (A_hat = (mean A + I) / 2, rows sum to 1).
TEST(LensRollout, EqualsAttentionRollout) {
  const int n = 6, layers = 3, heads = 2, d = 4;
  const RolloutCase rc = make_rollout_case(n, layers, heads, d, 5);
  MatD rollout = MatD::Identity(n, n);
  for (int l = 0; l < layers; ++l) rollout = ((rc.head_mean[l] + MatD::Identity(n, n)) / 2) * rollout;
  const double scale = std::pow(2.0, layers);
  CpuBackend be;
  MapRequest req;
  req.scope = ScopeAt::through(layers);
  req.precision = Precision::Float64;
  for (Strategy s : {Strategy::Full, Strategy::RowSlices}) {
    req.strategy = s;
    auto map = lens::compute_map(rc.model, rc.trace, req, be);
    ASSERT_TRUE(map.ok()) << map.error().message;
    EXPECT_LT((map->values - scale * std::sqrt(double(d)) * rollout).norm(), 1e-12 * map->values.norm());
    EXPECT_LT(map->bias.norm(), 1e-15);
  }
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      lens::PairBlockRequest pr;
      pr.output_token = i;
      pr.input_token = j;
      pr.scope = ScopeAt::through(layers);
      pr.precision = Precision::Float64;
      auto blk = lens::compute_pair_block(rc.model, rc.trace, pr, be);
      ASSERT_TRUE(blk.ok()) << blk.error().message;
      EXPECT_LT((blk->block - scale * rollout(i, j) * MatD::Identity(d, d)).norm(), 1e-12) << i << "," << j;
    }
  }
}

// A model and trace with GPT-2-small's shapes, enough for the planner (no weights are read).
struct ShapeOnly {
  Model model;
  Trace trace;
};

ShapeOnly gpt2_small_shapes(int n) {
  ShapeOnly so;
  ModelSpec& s = so.model.spec;
  s.family = Family::Gpt2;
  s.hidden_size = 768;
  s.num_layers = 12;
  s.num_heads = s.num_kv_heads = 12;
  s.head_dim = 64;
  s.intermediate_size = 3072;
  s.vocab_size = 50257;
  s.final_norm = true;
  so.trace.ids.assign(n, 0);
  so.trace.blocks.resize(12);
  return so;
}

// The FLOP count of column slices over causal pairs at N = 16 (about 1.5e13, docs/LENS_FLOPS.md), and the
// fused factors' saving.
TEST(LensPlanner, Gpt2SmallColumnSliceFlops) {
  const ShapeOnly so = gpt2_small_shapes(16);
  MapRequest req;
  req.strategy = Strategy::ColumnSlices;
  req.batch = 1;
  req.fusion = lens::Fusion::Off;
  auto unfused = lens::estimate(so.model, so.trace, req);
  ASSERT_TRUE(unfused.ok()) << unfused.error().message;
  EXPECT_GT(unfused->flops, 1.45e13);
  EXPECT_LT(unfused->flops, 1.55e13);
  EXPECT_EQ(unfused->passes, 16);
  req.fusion = lens::Fusion::Auto;
  req.batch = 0;
  req.strategy = Strategy::Auto;
  auto best = lens::estimate(so.model, so.trace, req);
  ASSERT_TRUE(best.ok());
  EXPECT_LT(best->flops, 0.5 * unfused->flops);
  EXPECT_LE(best->peak_bytes, req.memory_budget);
  EXPECT_FALSE(best->summary().empty());
}

// Over the budget: an Error that carries the smallest plan's estimate, never an allocation.
TEST(LensPlanner, RefusesOverBudget) {
  const ShapeOnly so = gpt2_small_shapes(64);
  MapRequest req;
  req.memory_budget = 1 << 20;
  auto e = lens::estimate(so.model, so.trace, req);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("over the memory budget"), std::string::npos) << e.error().message;
  EXPECT_NE(e.error().message.find("FLOP"), std::string::npos) << e.error().message;
  req.strategy = Strategy::Full;
  req.memory_budget = std::int64_t(1) << 30;
  EXPECT_FALSE(lens::estimate(so.model, so.trace, req).ok());  // the whole causal tensor is ~40 GB
  req.strategy = Strategy::InputContracted;  // cannot compute the Frobenius map
  EXPECT_FALSE(lens::estimate(so.model, so.trace, req).ok());
}

TEST(LensPlanner, ComputeRefusesOverBudget) {
  const Model m = make_family_model(Family::Gpt2, 31);
  const Trace t = run_forward(m, make_input(m, 6, 1));
  CpuBackend be;
  MapRequest req;
  req.memory_budget = 1000;
  auto map = lens::compute_map(m, t, req, be);
  ASSERT_FALSE(map.ok());
  EXPECT_NE(map.error().message.find("over the memory budget"), std::string::npos);
}

struct RecordingProgress : Progress {
  std::vector<double> fractions;
  bool cancel_after_first = false;
  void report(double f, std::string_view) override { fractions.push_back(f); }
  bool cancelled() const override { return cancel_after_first && !fractions.empty(); }
};

TEST(LensProgress, ReportsAndCancels) {
  const Model m = make_family_model(Family::GptNeox, 32);
  const Trace t = run_forward(m, make_input(m, 5, 2));
  CpuBackend be;
  MapRequest req;
  req.strategy = Strategy::ColumnSlices;
  req.batch = 2;
  RecordingProgress progress;
  ASSERT_TRUE(lens::compute_map(m, t, req, be, &progress).ok());
  ASSERT_FALSE(progress.fractions.empty());
  EXPECT_TRUE(std::is_sorted(progress.fractions.begin(), progress.fractions.end()));
  EXPECT_NEAR(progress.fractions.back(), 1.0, 1e-12);

  RecordingProgress cancelling;
  cancelling.cancel_after_first = true;
  EXPECT_THROW((void)lens::compute_map(m, t, req, be, &cancelling), Cancelled);
}

TEST(LensRequest, Validation) {
  const Model m = make_family_model(Family::Gpt2, 33);
  const Trace t = run_forward(m, make_input(m, 4, 3));
  CpuBackend be;
  MapRequest req;
  req.scope = ScopeAt::block(3);  // 2 blocks
  EXPECT_FALSE(lens::compute_map(m, t, req, be).ok());
  req.scope = ScopeAt::block(2);
  req.input = lens::InputEnd::TokenEmbeddings;
  EXPECT_FALSE(lens::compute_map(m, t, req, be).ok());
  req = MapRequest{};
  req.method = LensMethod::Out;
  req.target_token = m.spec.vocab_size;
  EXPECT_FALSE(lens::compute_map(m, t, req, be).ok());
  EXPECT_TRUE(lens::parse_lens_method("tensorlens-in-out").ok());
  EXPECT_FALSE(lens::parse_lens_method("tensorlens-sideways").ok());
  EXPECT_TRUE(lens::parse_strategy("row-slices").ok());
  lens::PairBlockRequest pr;
  pr.output_token = 4;
  EXPECT_FALSE(lens::compute_pair_block(m, t, pr, be).ok());
}

// Map metadata: labels, provenance, signedness.
TEST(LensMap, LabelsAndProvenance) {
  const Model m = make_family_model(Family::Gpt2, 34);
  const Trace t = run_forward(m, make_input(m, 3, 4));
  CpuBackend be;
  MapRequest req;
  req.method = LensMethod::InOut;
  req.scope = ScopeAt::through(1);
  req.token_labels = {"a", "b", "c"};
  auto map = lens::compute_map(m, t, req, be);
  ASSERT_TRUE(map.ok());
  EXPECT_EQ(map->row_labels, req.token_labels);
  EXPECT_EQ(map->provenance.method, "tensorlens-in-out");
  EXPECT_EQ(map->provenance.layers, "blocks 1..1");
  EXPECT_EQ(map->provenance.options["targets"].size(), 3u);
  EXPECT_TRUE(map->is_signed);
  EXPECT_EQ(map->bias.size(), 3);
}

}  // namespace
}  // namespace tl
