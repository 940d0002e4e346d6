// Attention-based and value-aware baselines: hand-computed cases and properties.
// - rollout / flow / grad-rollout on 2-token, 2-layer examples worked out by hand (exact to 1e-12);
// - rollout rows sum to 1; flow: every edge within capacity, conservation, and max-flow = min-cut;
// - norm-based = A[i,j] ||x_j|| when W_V = W_O = I (one head, no biases);
// - ALTI rows normalised; the attention + residual (+ LN) decomposition sums to the real sub-layer
//   output minus its bias (pre-norm and post-norm, 1e-10 in float64);
// - GlobEnc rows normalised;
// - effective attention = attention when N <= head dim; head output unchanged when N > head dim.
#include <gtest/gtest.h>

#include "core/forward/forward.h"
#include "core/methods/attention_flow.h"
#include "core/methods/baselines.h"
#include "core/methods/method_common.h"
#include "core/methods/registry.h"
#include "tests/support/synthetic_model.h"

namespace tl {
namespace {

using Eigen::MatrixXd;

Model small_model(Family f, int layers = 2, int hidden = 16, int heads = 4) {
  SyntheticShape shape;
  shape.hidden = hidden;
  shape.heads = heads;
  shape.layers = layers;
  shape.kv_heads = f == Family::Llama ? heads / 2 : 0;
  return make_synthetic_model(synthetic_spec(f, shape), 11);
}

Trace run(const Model& m, int n, Precision p = Precision::Float64) {
  ForwardInput in;
  for (int i = 0; i < n; ++i) in.ids.push_back(3 + (5 * i) % (m.spec.vocab_size - 3));
  if (m.spec.type_vocab_size == 2) in.token_types.assign(size_t(n), 0);
  auto t = forward(m, in, ForwardOptions{p});
  EXPECT_TRUE(t.ok());
  return std::move(t).value();
}

MethodOutput compute(const char* name, const Model& m, const Trace& t, MethodRequest req = {}) {
  MethodInputs in;
  in.model = &m;
  in.trace = &t;
  auto out = compute_method(name, in, req);
  EXPECT_TRUE(out.ok()) << name << ": " << (out.ok() ? "" : out.error().message);
  return out.ok() ? std::move(out).value() : MethodOutput{};
}

MethodRequest scoped(Scope s, int layer) {
  MethodRequest r;
  r.scope = s;
  r.layer = layer;
  return r;
}

TEST(Rollout, HandComputedTwoLayers) {
  MatrixXd a(2, 2);
  a << 1.0, 0.0, 0.5, 0.5;
  const MatrixXd hat = methods::residual_augmented(a);
  MatrixXd want_hat(2, 2);
  want_hat << 1.0, 0.0, 0.25, 0.75;
  EXPECT_LE((hat - want_hat).cwiseAbs().maxCoeff(), 1e-15);
  MatrixXd want(2, 2);
  want << 1.0, 0.0, 0.4375, 0.5625;  // hat * hat
  EXPECT_LE((methods::rollout_product({hat, hat}) - want).cwiseAbs().maxCoeff(), 1e-15);
}

TEST(Rollout, RowsSumToOneAtEveryDepth) {
  for (Family f : {Family::Gpt2, Family::Bert, Family::Llama}) {
    const Model m = small_model(f, 3);
    const Trace t = run(m, 7);
    for (Scope s : {Scope::Block, Scope::Through}) {
      const MethodOutput out = compute("rollout", m, t, scoped(s, 0));
      ASSERT_EQ(out.maps.size(), 3u);
      for (const Map& map : out.maps) {
        EXPECT_LE((map.values.rowwise().sum().array() - 1.0).abs().maxCoeff(), 1e-12) << map.provenance.layers;
        EXPECT_GE(map.values.minCoeff(), 0.0);
      }
    }
    const Map end = compute("rollout", m, t).maps.at(0);
    EXPECT_LE((end.values.rowwise().sum().array() - 1.0).abs().maxCoeff(), 1e-12);
    if (m.spec.causal) {
      EXPECT_EQ(end.values.triangularView<Eigen::StrictlyUpper>().toDenseMatrix().cwiseAbs().maxCoeff(), 0.0);
    }
  }
}

TEST(Flow, HandComputedTwoLayers) {
  MatrixXd c1(2, 2), c2(2, 2);
  c1 << 1.0, 0.0, 0.5, 0.5;
  c2 << 0.5, 0.5, 0.0, 1.0;
  // From top token 0: to input 0 via (1,0) [min(.5, 1)] and (1,1) [min(.5, .5)] = 1; to input 1
  // only via (1,1): .5. From top token 1: all through (1,1), which splits .5/.5.
  MatrixXd want(2, 2);
  want << 1.0, 0.5, 0.5, 0.5;
  EXPECT_LE((methods::attention_flow({c1, c2}) - want).cwiseAbs().maxCoeff(), 1e-12);
  // One layer: the flow is the capacity itself.
  EXPECT_LE((methods::attention_flow({c1}) - c1).cwiseAbs().maxCoeff(), 1e-12);
}

TEST(Flow, FlowsWithinCapacitiesConservedAndEqualToTheMinCut) {
  const Model m = small_model(Family::Gpt2, 3);
  const Trace t = run(m, 6);
  std::vector<MatrixXd> caps;
  for (int l = 1; l <= 3; ++l) caps.push_back(methods::residual_augmented(methods::mean_attention(t, l)));
  methods::FlowNetwork net = methods::layered_attention_network(caps);
  const int n = 6;
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      const int source = 3 * n + i, sink = j;
      const double value = net.max_flow(source, sink);
      EXPECT_LE(value, 1.0 + 1e-12);  // the source's out-capacity (a row of capacities sums to 1)
      std::vector<double> balance(size_t(net.num_nodes()), 0.0);
      for (int e = 0; e < net.num_edges(); ++e) {
        EXPECT_GE(net.flow(e), -1e-12);
        EXPECT_LE(net.flow(e), net.capacity(e) + 1e-12);
        balance[size_t(net.edge_from(e))] -= net.flow(e);
        balance[size_t(net.edge_to(e))] += net.flow(e);
      }
      for (int v = 0; v < net.num_nodes(); ++v) {
        const double want = v == source ? -value : v == sink ? value : 0.0;
        EXPECT_NEAR(balance[size_t(v)], want, 1e-12);
      }
      // Min-cut certificate: S = nodes reachable from the source in the residual graph; the
      // capacity of the edges leaving S equals the flow value, and none of them has slack.
      std::vector<bool> reach(size_t(net.num_nodes()), false);
      reach[size_t(source)] = true;
      for (bool grew = true; grew;) {
        grew = false;
        for (int e = 0; e < net.num_edges(); ++e) {
          const int a = net.edge_from(e), b = net.edge_to(e);
          if (reach[size_t(a)] && !reach[size_t(b)] && net.capacity(e) - net.flow(e) > methods::FlowNetwork::kEpsilon) reach[size_t(b)] = grew = true;
          if (reach[size_t(b)] && !reach[size_t(a)] && net.flow(e) > methods::FlowNetwork::kEpsilon) reach[size_t(a)] = grew = true;
        }
      }
      ASSERT_FALSE(reach[size_t(sink)]);
      double cut = 0;
      for (int e = 0; e < net.num_edges(); ++e) {
        if (reach[size_t(net.edge_from(e))] && !reach[size_t(net.edge_to(e))]) cut += net.capacity(e);
      }
      EXPECT_NEAR(cut, value, 1e-10) << "source " << i << " sink " << j;
    }
  }
  // The registry's map is the same computation.
  const Map map = compute("flow", m, t).maps.at(0);
  EXPECT_LE((map.values - methods::attention_flow(caps)).cwiseAbs().maxCoeff(), 1e-12);
}

TEST(GradRollout, HandComputed) {
  MatrixXd a0(2, 2), a1(2, 2), g0(2, 2), g1(2, 2);
  a0 << 1.0, 0.0, 0.4, 0.6;
  a1 << 1.0, 0.0, 0.5, 0.5;
  g0 << 2.0, 5.0, -1.0, 1.0;
  g1 << 0.0, 1.0, 3.0, 1.0;
  // mean_h((g * a)^+) = ([[2,0],[0,.6]] + [[0,0],[1.5,.5]]) / 2
  MatrixXd want(2, 2);
  want << 1.0, 0.0, 0.75, 0.55;
  const MatrixXd abar = methods::gradient_weighted_attention({a0, a1}, {g0, g1});
  EXPECT_LE((abar - want).cwiseAbs().maxCoeff(), 1e-15);
  // R = I + abar; then R + abar R.
  const MatrixXd r1 = MatrixXd::Identity(2, 2) + abar;
  EXPECT_LE((methods::gradient_weighted_rollout({abar, abar}) - (r1 + abar * r1)).cwiseAbs().maxCoeff(), 1e-15);
}

TEST(GradRollout, RegistryExplainsTheLastTokenOfADecoder) {
  const Model m = small_model(Family::Llama, 2);
  const Trace t = run(m, 5);
  const MethodOutput out = compute("grad-rollout", m, t);
  EXPECT_EQ(out.explained_position, 4);
  Eigen::Index argmax;
  t.logits.row(4).maxCoeff(&argmax);
  EXPECT_EQ(out.explained_token, int(argmax));
  ASSERT_EQ(out.maps.size(), 1u);
  // R = I + (non-negative terms).
  EXPECT_GE((out.maps[0].values - MatrixXd::Identity(5, 5)).minCoeff(), 0.0);
}

TEST(Attention, MapsAreTheTraceProbabilities) {
  const Model m = small_model(Family::Gpt2, 2);
  const Trace t = run(m, 5);
  MethodRequest req = scoped(Scope::Block, 2);
  req.head = 3;
  const MethodOutput one = compute("attention", m, t, req);
  ASSERT_EQ(one.maps.size(), 1u);
  EXPECT_EQ(one.maps[0].values, t.blocks[1].attn_probs[3]);
  EXPECT_EQ(compute("attention", m, t, scoped(Scope::Block, 0)).maps.size(), 8u);  // every layer and head
  const Map mean = compute("attention-mean", m, t, scoped(Scope::Block, 1)).maps.at(0);
  EXPECT_LE((mean.values - methods::mean_attention(t, 1)).cwiseAbs().maxCoeff(), 1e-15);
  req.head = 4;
  MethodInputs in;
  in.model = &m;
  in.trace = &t;
  EXPECT_FALSE(compute_method("attention", in, req).ok());  // only 4 heads
}

// One head, W_V = W_O = I, no biases: the transformed vector of token j is ln1(x_j) itself.
TEST(NormBased, EqualsAttentionTimesInputNormForIdentityValues) {
  SyntheticShape shape;
  shape.hidden = 8;
  shape.heads = 1;
  shape.layers = 1;
  Model m = make_synthetic_model(synthetic_spec(Family::Gpt2, shape), 3);
  AttentionWeights& a = m.weights.blocks[0].attn;
  a.v.W = MatF::Identity(8, 8);
  a.o.W = MatF::Identity(8, 8);
  a.v.b.setZero();
  const Trace t = run(m, 5);
  const Map map = compute("norm", m, t, scoped(Scope::Block, 1)).maps.at(0);
  const BlockTrace& bt = t.blocks[0];
  for (int i = 0; i < 5; ++i) {
    for (int j = 0; j < 5; ++j) EXPECT_NEAR(map.values(i, j), bt.attn_probs[0](i, j) * bt.ln1_out.row(j).norm(), 1e-12);
  }
}

TEST(NormBased, OneHeadIsAttentionTimesValueNorm) {
  const Model m = small_model(Family::Llama, 1);
  const Trace t = run(m, 6);
  const auto f = methods::head_value_outputs(m, t, 1);
  const MatrixXd n2 = methods::kobayashi_norms(m, t, 1, 2);
  for (int i = 0; i < 6; ++i) {
    for (int j = 0; j < 6; ++j) EXPECT_NEAR(n2(i, j), t.blocks[0].attn_probs[2](i, j) * f[2].row(j).norm(), 1e-12);
  }
}

TEST(Alti, HandComputedContributions) {
  MatrixXd p0(2, 2), p1(2, 2);
  p0 << 1.0, 0.0, 0.0, 1.0;   // y = (1, 1): each part removes 1 of 2 -> 1, 1 -> 0.5, 0.5
  p1 << 2.0, 0.0, -0.5, 0.0;  // y = (1.5, 0): c = max(0, 1.5 - 0.5) = 1, max(0, 1.5 - 2) = 0
  const MatrixXd c = methods::alti_contributions({p0, p1});
  MatrixXd want(2, 2);
  want << 0.5, 0.5, 1.0, 0.0;
  EXPECT_LE((c - want).cwiseAbs().maxCoeff(), 1e-15);
}

// The decomposition is exact: sum_j T_i(x_j) + bias = the sub-layer's real output.
TEST(Alti, DecompositionSumsToTheSubLayerOutput) {
  for (Family f : {Family::Gpt2, Family::Bert, Family::GptNeox, Family::Llama}) {
    const Model m = small_model(f, 2);
    const Trace t = run(m, 6);
    for (int l = 1; l <= 2; ++l) {
      const auto parts = methods::attention_residual_decomposition(m, t, l);
      const BlockTrace& bt = t.blocks[size_t(l - 1)];
      const BlockWeights& w = m.weights.blocks[size_t(l - 1)];
      for (int i = 0; i < 6; ++i) {
        Eigen::RowVectorXd sum = parts[size_t(i)].colwise().sum();
        Eigen::RowVectorXd want;
        if (m.spec.topology == Topology::PostNorm) {
          // ln1(x + attn) = sum_j T_i + gamma r_i centre(b_O) + beta
          Eigen::RowVectorXd bo = w.attn.o.b.cast<double>().transpose();
          bo.array() -= bo.mean();
          sum += (bo.array() * w.ln1.gamma.cast<double>().transpose().array() * bt.ln1_inv_scale[i]).matrix();
          sum += w.ln1.beta.cast<double>().transpose();
          want = bt.ln1_out.row(i);
        } else {
          if (w.attn.o.b.size()) sum += w.attn.o.b.cast<double>().transpose();
          want = bt.input.row(i) + bt.attn_out.row(i);
        }
        EXPECT_LE((sum - want).norm(), 1e-10 * (1 + want.norm())) << to_string(f) << " layer " << l << " row " << i;
      }
    }
    for (const char* name : {"alti", "globenc"}) {
      for (const Map& map : compute(name, m, t, scoped(Scope::Block, 0)).maps) {
        EXPECT_LE((map.values.rowwise().sum().array() - 1.0).abs().maxCoeff(), 1e-12) << name;
        EXPECT_GE(map.values.minCoeff(), 0.0) << name;
      }
      const Map end = compute(name, m, t).maps.at(0);  // rollout of row-stochastic matrices
      EXPECT_LE((end.values.rowwise().sum().array() - 1.0).abs().maxCoeff(), 1e-12) << name;
    }
  }
}

TEST(EffectiveAttention, EqualsAttentionWhenTokensFitTheHeadDimension) {
  const Model m = small_model(Family::Gpt2, 1, 16, 2);  // head dim 8
  const Trace t = run(m, 6);                            // N = 6 <= 8: the values span R^N
  const MethodOutput out = compute("effective-attention", m, t, scoped(Scope::Block, 1));
  ASSERT_EQ(out.maps.size(), 2u);
  for (int h = 0; h < 2; ++h) EXPECT_LE((out.maps[size_t(h)].values - t.blocks[0].attn_probs[size_t(h)]).cwiseAbs().maxCoeff(), 1e-10);
}

TEST(EffectiveAttention, KeepsEveryHeadOutputWhenItDiffers) {
  const Model m = small_model(Family::Llama, 1, 16, 4);  // head dim 4, GQA
  const Trace t = run(m, 10);                            // N = 10 > 4
  const auto values = methods::head_value_outputs(m, t, 1);
  const MethodOutput out = compute("effective-attention", m, t, scoped(Scope::Block, 1));
  ASSERT_EQ(out.maps.size(), 4u);
  for (int h = 0; h < 4; ++h) {
    const MatrixXd& a = t.blocks[0].attn_probs[size_t(h)];
    const MatrixXd& e = out.maps[size_t(h)].values;
    EXPECT_LE((e * values[size_t(h)] - a * values[size_t(h)]).norm(), 1e-10 * (a * values[size_t(h)]).norm()) << "head " << h;
    EXPECT_GT((e - a).norm(), 1e-3) << "head " << h;
  }
}

}  // namespace
}  // namespace tl
