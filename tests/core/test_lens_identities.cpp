// TensorLens identities (docs/TENSORLENS.md §5) on small models of every family built in code:
// exactness at every layer, the detached Jacobian by finite differences, causality zeros, the
// rollout special case, the logit decomposition, and every strategy giving the same maps.
// Tolerances: float64 engine on a float64 trace, relative error < 1e-9 (exactness, logits);
// finite differences of an affine function with eps = 1e-3, relative error < 1e-7.
#include "tests/core/lens_test_util.h"

namespace tl {
namespace {

using namespace lens_test;
using lens::InputEnd;
using lens::LensMethod;
using tl::ScopeAt;
using lens::MapRequest;
using lens::Strategy;

struct FamilyCase {
  Family family;
  Activation act;
  const char* name;
};

const FamilyCase kFamilies[] = {
    {Family::Gpt2, Activation::GeluTanh, "gpt2"},     {Family::Gpt2, Activation::Relu, "gpt2_relu"},
    {Family::Bert, Activation::GeluErf, "bert"},      {Family::Roberta, Activation::GeluErf, "roberta"},
    {Family::GptNeox, Activation::GeluErf, "neox"},   {Family::Llama, Activation::Silu, "llama_gqa"},
};

class LensFamily : public ::testing::TestWithParam<FamilyCase> {};

// 1. T[X] + c equals the forward pass's hidden states after every block and the final norm.
TEST_P(LensFamily, ExactAtEveryLayerFloat64) {
  const Model m = make_family_model(GetParam().family, 11, GetParam().act);
  const Trace t = run_forward(m, make_input(m, 7, 3));
  const int layers = m.spec.num_layers;
  for (bool fused : {false, true}) {
    const auto dec = decompose(m, t, 1, layers, true, InputEnd::ResidualStream, GatedFfn::Gate, Precision::Float64, fused);
    ASSERT_EQ(static_cast<int>(dec.at.size()), layers + (m.spec.final_norm ? 1 : 0));
    for (std::size_t k = 0; k < dec.at.size(); ++k) {
      const MatD& want = dec.at[k].final_norm ? t.final_hidden : t.blocks[dec.at[k].layer - 1].output;
      EXPECT_LT(rel_err(dec.sums[k], want), 1e-9) << "layer " << dec.at[k].layer << " fused " << fused;
    }
  }
  // Each block alone, from its own input.
  for (int l = 1; l <= layers; ++l) {
    const auto dec = decompose(m, t, l, l, false, InputEnd::ResidualStream, GatedFfn::Gate, Precision::Float64);
    EXPECT_LT(rel_err(dec.sums.back(), t.blocks[l - 1].output), 1e-9) << "block " << l;
  }
}

// The token-embedding In end: positions/segments (and BERT's embedding LayerNorm) join c.
TEST_P(LensFamily, ExactFromTokenEmbeddings) {
  const Model m = make_family_model(GetParam().family, 12, GetParam().act);
  const Trace t = run_forward(m, make_input(m, 6, 4));
  const auto dec = decompose(m, t, 1, m.spec.num_layers, true, InputEnd::TokenEmbeddings, GatedFfn::Gate,
                             Precision::Float64);
  EXPECT_LT(rel_err(dec.sums.back(), t.final_hidden), 1e-9);
}

TEST_P(LensFamily, ExactFloat32Engine) {
  const Model m = make_family_model(GetParam().family, 13, GetParam().act);
  const Trace t = run_forward(m, make_input(m, 7, 5), Precision::Float32);
  const auto dec = decompose(m, t, 1, m.spec.num_layers, true, InputEnd::ResidualStream, GatedFfn::Gate,
                             Precision::Float32, true);
  EXPECT_LT(rel_err(dec.sums.back(), t.final_hidden), 1e-5);
}

// 2. T equals the Jacobian of the detached model (finite differences), for every pair, end to end
// and for one block alone; the pair block view returns the same D x D blocks.
TEST_P(LensFamily, DetachedJacobian) {
  const Model m = make_family_model(GetParam().family, 14, GetParam().act);
  const Trace t = run_forward(m, make_input(m, 5, 6));
  const int n = t.num_tokens(), d = m.spec.hidden_size, layers = m.spec.num_layers;
  CpuBackend be;
  struct ScopeCase { ScopeAt scope; int first, last; bool final_norm; };
  for (const ScopeCase& sc : {ScopeCase{ScopeAt::end_to_end(), 1, layers, true},
                              ScopeCase{ScopeAt::block(2), 2, 2, false}}) {
    const MatD x0 = t.blocks[sc.first - 1].input;
    ASSERT_LT(rel_err(detached_forward(m, t, x0, sc.first, sc.last, sc.final_norm),
                      sc.final_norm ? t.final_hidden : t.blocks[sc.last - 1].output), 1e-9);
    const MatD jac = detached_jacobian(m, t, x0, sc.first, sc.last, sc.final_norm);
    MapRequest req;
    req.scope = sc.scope;
    req.precision = Precision::Float64;
    auto map = lens::compute_map(m, t, req, be);
    ASSERT_TRUE(map.ok()) << map.error().message;
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < n; ++j) {
        const MatD blk = jac.block(i * d, j * d, d, d);
        EXPECT_NEAR(map->values(i, j), blk.norm(), 1e-7 * (1 + blk.norm())) << i << "," << j;
      }
    }
    for (auto [i, j] : {std::pair{n - 1, 0}, std::pair{2, 2}, std::pair{1, 3}}) {
      lens::PairBlockRequest pr;
      pr.output_token = i;
      pr.input_token = j;
      pr.scope = sc.scope;
      pr.precision = Precision::Float64;
      auto blk = lens::compute_pair_block(m, t, pr, be);
      ASSERT_TRUE(blk.ok()) << blk.error().message;
      const MatD want = jac.block(i * d, j * d, d, d);
      EXPECT_LT((blk->block - want).norm(), 1e-7 * (1 + want.norm())) << i << "," << j;
      ASSERT_EQ(blk->singular_values.size(), d);
      if (want.norm() > 0) {
        EXPECT_NEAR(blk->singular_values[0], want.jacobiSvd().singularValues()[0], 1e-7 * want.norm());
        const auto& dir = blk->directions.front();
        EXPECT_LT((blk->block * dir.input - dir.value * dir.output).norm(), 1e-9 * (1 + want.norm()));
        EXPECT_EQ(static_cast<int>(dir.push.size()), 10);
      }
    }
  }
}

// 3. Decoder models: T[i, :, j, :] = 0 for j > i. The engine is run with every row present
// (an encoder layout), so the zeros come from the operator, not from the layout. Encoders attend
// both ways: every block is non-zero.
TEST_P(LensFamily, CausalityZeros) {
  const Model m = make_family_model(GetParam().family, 15, GetParam().act);
  const bool causal = m.spec.causal;
  const Trace t = run_forward(m, make_input(m, 5, 7));
  CpuBackend be;
  auto seg = lens::build_segment(m, t, 1, m.spec.num_layers, true, InputEnd::ResidualStream);
  ASSERT_TRUE(seg.ok());
  lens::Propagator prop(be, m, t, seg.value(), lens::PropagationOptions{Precision::Float64});
  const int n = t.num_tokens(), d = m.spec.hidden_size;
  for (int j = 0; j < n; ++j) {
    auto st = prop.make_state(std::vector<std::int64_t>(n, d), false);
    ASSERT_TRUE(st.ok());
    be.upload_rows(MatD::Identity(d, d), *st->x, st->layout.offset[j]);
    ASSERT_TRUE(prop.forward(st.value(), {}).ok());
    for (int i = 0; i < n; ++i) {
      const double norm = be.download_rows(*st->x, st->layout.offset[i], d).norm();
      if (causal && i < j) EXPECT_EQ(norm, 0.0) << i << "," << j;
      else EXPECT_GT(norm, 0.0) << i << "," << j;
    }
  }
}

// 5. sum_j tensorlens-in-out[i, j] + bias[i] = the logit of the target at position i.
TEST_P(LensFamily, LogitDecomposition) {
  const Model m = make_family_model(GetParam().family, 16, GetParam().act);
  const Trace t = run_forward(m, make_input(m, 6, 8));
  CpuBackend be;
  for (int target : {-1, 7}) {
    MapRequest req;
    req.method = LensMethod::InOut;
    req.precision = Precision::Float64;
    req.target_token = target;
    auto map = lens::compute_map(m, t, req, be);
    ASSERT_TRUE(map.ok()) << map.error().message;
    EXPECT_TRUE(map->is_signed);
    for (int i = 0; i < t.num_tokens(); ++i) {
      int v = target;
      if (v < 0) t.logits.row(i).maxCoeff(&v);
      const double logit = t.logits(i, v);
      EXPECT_NEAR(map->values.row(i).sum() + map->bias[i], logit, 1e-9 * (1 + std::abs(logit))) << i;
    }
  }
}

// All strategies (and batch sizes, fused or not) give the same maps.
TEST_P(LensFamily, StrategiesAgree) {
  const Model m = make_family_model(GetParam().family, 17, GetParam().act);
  const Trace t = run_forward(m, make_input(m, 6, 9));
  CpuBackend be;
  for (LensMethod method : {LensMethod::TensorLens, LensMethod::In, LensMethod::Out, LensMethod::InOut}) {
    for (ScopeAt scope : {ScopeAt::end_to_end(), ScopeAt::block(2), ScopeAt::through(1)}) {
      MapRequest base;
      base.method = method;
      base.scope = scope;
      base.precision = Precision::Float64;
      base.strategy = Strategy::Full;
      base.fusion = lens::Fusion::Off;
      auto ref = lens::compute_map(m, t, base, be);
      ASSERT_TRUE(ref.ok()) << ref.error().message;
      struct Variant { Strategy s; int batch; lens::Fusion f; };
      for (Variant v : {Variant{Strategy::Full, 0, lens::Fusion::On}, Variant{Strategy::ColumnSlices, 1, lens::Fusion::Off},
                        Variant{Strategy::ColumnSlices, 4, lens::Fusion::On}, Variant{Strategy::InputContracted, 0, lens::Fusion::Off},
                        Variant{Strategy::InputContracted, 2, lens::Fusion::On}, Variant{Strategy::RowSlices, 1, lens::Fusion::Off},
                        Variant{Strategy::RowSlices, 3, lens::Fusion::On}, Variant{Strategy::Auto, 0, lens::Fusion::Auto}}) {
        if (v.s == Strategy::InputContracted && !lens::uses_inputs(method)) continue;
        MapRequest req = base;
        req.strategy = v.s;
        req.batch = v.batch;
        req.fusion = v.f;
        auto map = lens::compute_map(m, t, req, be);
        ASSERT_TRUE(map.ok()) << map.error().message;
        EXPECT_LT((map->values - ref->values).norm(), 1e-9 * (1 + ref->values.norm()))
            << to_string(method) << " " << scope.describe() << " " << to_string(v.s) << " batch " << v.batch;
        EXPECT_LT((map->bias - ref->bias).norm(), 1e-9 * (1 + ref->bias.norm()));
      }
    }
  }
}

// A cumulative series equals the maps computed one by one.
TEST_P(LensFamily, SeriesMatchesSingleMaps) {
  const Model m = make_family_model(GetParam().family, 18, GetParam().act);
  const Trace t = run_forward(m, make_input(m, 5, 10));
  CpuBackend be;
  for (lens::Series series : {lens::Series::Cumulative, lens::Series::PerBlock}) {
    for (Strategy s : {Strategy::ColumnSlices, Strategy::RowSlices}) {
      MapRequest req;
      req.method = LensMethod::Out;
      req.precision = Precision::Float64;
      req.strategy = s;
      auto maps = lens::compute_map_series(m, t, req, series, be);
      ASSERT_TRUE(maps.ok()) << maps.error().message;
      const int layers = m.spec.num_layers;
      ASSERT_EQ(static_cast<int>(maps->size()),
                layers + (series == lens::Series::Cumulative && m.spec.final_norm ? 1 : 0));
      for (std::size_t k = 0; k < maps->size(); ++k) {
        const int l = static_cast<int>(k) + 1;
        req.scope = l > layers ? ScopeAt::end_to_end()
                               : series == lens::Series::PerBlock ? ScopeAt::block(l) : ScopeAt::through(l);
        auto single = lens::compute_map(m, t, req, be);
        ASSERT_TRUE(single.ok());
        EXPECT_EQ((*maps)[k].provenance.layers, req.scope.describe());
        EXPECT_LT(((*maps)[k].values - single->values).norm(), 1e-10 * (1 + single->values.norm())) << k;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Families, LensFamily, ::testing::ValuesIn(kFamilies),
                         [](const auto& info) { return std::string(info.param.name); });

// Gated FFN: the three linearisations are exact, and differ from each other.
TEST(LensGated, AllOptionsExact) {
  const Model m = make_family_model(Family::Llama, 21);
  const Trace t = run_forward(m, make_input(m, 6, 11));
  CpuBackend be;
  MatD previous;
  for (GatedFfn g : {GatedFfn::Gate, GatedFfn::Up, GatedFfn::Symmetric}) {
    const auto dec = decompose(m, t, 1, m.spec.num_layers, true, InputEnd::ResidualStream, g, Precision::Float64);
    EXPECT_LT(rel_err(dec.sums.back(), t.final_hidden), 1e-9) << to_string(g);
    const MatD jac = detached_jacobian(m, t, t.embeddings, 1, m.spec.num_layers, true, g);
    lens::PairBlockRequest pr;
    pr.output_token = 5;
    pr.input_token = 2;
    pr.gated = g;
    pr.precision = Precision::Float64;
    auto blk = lens::compute_pair_block(m, t, pr, be);
    ASSERT_TRUE(blk.ok());
    const int d = m.spec.hidden_size;
    EXPECT_LT((blk->block - jac.block(5 * d, 2 * d, d, d)).norm(), 1e-7 * (1 + blk->block.norm())) << to_string(g);
    if (previous.size()) {
      EXPECT_GT((blk->block - previous).norm(), 1e-6);
    }
    previous = blk->block;
  }
}

// Padding: an attention mask only changes A; the identities still hold.
TEST(LensPadding, ExactWithPaddingMask) {
  const Model m = make_family_model(Family::Bert, 22);
  ForwardInput in = make_input(m, 6, 12);
  in.attention_mask = {1, 1, 1, 1, 0, 0};
  const Trace t = run_forward(m, in);
  const auto dec = decompose(m, t, 1, m.spec.num_layers, true, InputEnd::ResidualStream, GatedFfn::Gate,
                             Precision::Float64);
  EXPECT_LT(rel_err(dec.sums.back(), t.final_hidden), 1e-9);
}

}  // namespace
}  // namespace tl
