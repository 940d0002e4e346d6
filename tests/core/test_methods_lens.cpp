// TensorLens through the registry, beside the true Jacobian:
// - `jacobian` and `tensorlens` coincide where the frozen coefficients do not depend on the input:
//   zero query/key weights (attention is the constant causal average), ReLU (its ratio equals its
//   derivative almost everywhere) and no norms. The model is GPT-2-shaped with RMSNorm of eps 1e12
//   and gain 1e6, so every norm is the identity up to a relative 1e-11 (a norm cannot be removed
//   from a spec, but it can be made input-independent). Maps agree to 1e-8 relative, per block,
//   up to a layer and end to end, and so do the D x D pair blocks.
// - they differ otherwise (the usual random GPT-2-shaped model: by more than 1% somewhere).
// - the registry passes scope, target and options through: tensorlens-in-out rows plus bias sum
//   to the target logit (docs/TENSORLENS.md §5.5).
#include <gtest/gtest.h>

#include "core/forward/forward.h"
#include "core/methods/registry.h"
#include "tests/support/synthetic_model.h"

namespace tl {
namespace {

using Eigen::MatrixXd;

Model linearisable_model() {
  SyntheticShape shape;
  shape.hidden = 16;
  shape.heads = 4;
  shape.layers = 2;
  shape.ffn = 24;
  ModelSpec spec = synthetic_spec(Family::Gpt2, shape);
  spec.norm = NormKind::RMSNorm;
  spec.norm_eps = 1e12;
  spec.activation = Activation::Relu;
  Model m = make_synthetic_model(spec, 41);
  auto identity_norm = [](NormWeights& n) {
    n.gamma.setConstant(1e6f);
    n.beta = VecF();
  };
  for (BlockWeights& b : m.weights.blocks) {
    b.attn.q.W.setZero();
    b.attn.q.b.setZero();
    b.attn.k.W.setZero();
    b.attn.k.b.setZero();
    identity_norm(b.ln1);
    identity_norm(b.ln2);
  }
  identity_norm(m.weights.final_norm);
  return m;
}

Trace run(const Model& m, int n) {
  ForwardInput in;
  for (int i = 0; i < n; ++i) in.ids.push_back(3 + (17 * i) % (m.spec.vocab_size - 3));
  auto t = forward(m, in, ForwardOptions{Precision::Float64});
  EXPECT_TRUE(t.ok());
  return std::move(t).value();
}

Map compute_one(const char* name, const Model& m, const Trace& t, MethodRequest req) {
  MethodInputs in;
  in.model = &m;
  in.trace = &t;
  // The lens engine takes a precision option; the Jacobian follows the (float64) trace.
  if (find_method(name)->options.find("precision=") != std::string_view::npos) req.options["precision"] = "float64";
  auto out = compute_method(name, in, req);
  EXPECT_TRUE(out.ok()) << name << ": " << (out.ok() ? "" : out.error().message);
  return out.ok() && !out->maps.empty() ? out->maps.front() : Map{};
}

MethodRequest scoped(Scope s, int layer) {
  MethodRequest r;
  r.scope = s;
  r.layer = layer;
  return r;
}

double relative_gap(const MatrixXd& a, const MatrixXd& b) { return (a - b).norm() / std::max(1e-300, b.norm()); }

TEST(JacobianVersusTensorLens, CoincideWhenTheFrozenCoefficientsAreConstant) {
  const Model m = linearisable_model();
  const Trace t = run(m, 6);
  // Attention really is the constant causal average.
  EXPECT_NEAR(t.blocks[0].attn_probs[1](3, 0), 0.25, 1e-15);
  for (const MethodRequest& r : {scoped(Scope::Block, 1), scoped(Scope::Block, 2), scoped(Scope::Through, 1),
                                 scoped(Scope::EndToEnd, 0)}) {
    const Map jac = compute_one("jacobian", m, t, r);
    const Map lens = compute_one("tensorlens", m, t, r);
    ASSERT_EQ(jac.rows(), lens.rows());
    EXPECT_LE(relative_gap(lens.values, jac.values), 1e-8) << lens.provenance.layers;
  }
  MethodRequest pair = scoped(Scope::EndToEnd, 0);
  pair.pair = std::make_pair(4, 2);
  const Map jac_block = compute_one("jacobian", m, t, pair);
  const Map lens_block = compute_one("tensorlens", m, t, pair);
  ASSERT_EQ(jac_block.rows(), m.spec.hidden_size);
  EXPECT_LE(relative_gap(lens_block.values, jac_block.values), 1e-8);
}

TEST(JacobianVersusTensorLens, DifferOtherwise) {
  SyntheticShape shape;
  shape.hidden = 16;
  shape.heads = 4;
  shape.layers = 2;
  const Model m = make_synthetic_model(synthetic_spec(Family::Gpt2, shape), 41);
  const Trace t = run(m, 6);
  const Map jac = compute_one("jacobian", m, t, scoped(Scope::EndToEnd, 0));
  const Map lens = compute_one("tensorlens", m, t, scoped(Scope::EndToEnd, 0));
  EXPECT_GT(relative_gap(lens.values, jac.values), 1e-2);
}

TEST(TensorLensRegistry, InOutRowsPlusBiasAreTheTargetLogit) {
  SyntheticShape shape;
  shape.hidden = 16;
  shape.heads = 4;
  shape.layers = 2;
  shape.kv_heads = 2;
  const Model m = make_synthetic_model(synthetic_spec(Family::Llama, shape), 43);
  const Trace t = run(m, 5);
  MethodRequest r;
  r.target_token = 9;
  const Map map = compute_one("tensorlens-in-out", m, t, r);
  ASSERT_EQ(map.bias.size(), 5);
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(map.values.row(i).sum() + map.bias[i], t.logits(i, 9), 1e-8);
  MethodRequest every = scoped(Scope::Block, 0);
  MethodInputs in;
  in.model = &m;
  in.trace = &t;
  auto series = compute_method("tensorlens", in, every);
  ASSERT_TRUE(series.ok()) << series.error().message;
  EXPECT_EQ(series->maps.size(), 2u);  // one per block
  MethodRequest bad;
  bad.options = {{"gated", "both"}};
  EXPECT_FALSE(compute_method("tensorlens", in, bad).ok());
}

}  // namespace
}  // namespace tl
