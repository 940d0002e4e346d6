// Derivative- and perturbation-based methods: jacobian, hidden-token-attribution, saliency,
// input x gradient, integrated gradients, occlusion.
// - jacobian's pair block = the torch reference Jacobian (float32 reference: 1e-4 abs + 1e-4 rel)
//   and float64 central finite differences (1e-7 relative);
// - jacobian map entries are the pair blocks' Frobenius norms; a block-alone map composes with
//   the map up to the previous layer by the chain rule over tokens (1e-10);
// - hidden-token-attribution = row-normalised jacobian (rows sum to 1);
// - saliency and input x gradient against a finite-difference gradient of the logit (1e-6);
// - integrated gradients complete: sum = f(x) - f(baseline) within 1% (64 steps), zero and
//   neutral baselines, decoder and encoder;
// - occlusion = the logit drop of a forward pass with the token replaced (exact), causal zeros.
#include <gtest/gtest.h>

#include "core/forward/forward.h"
#include "core/io/npy.h"
#include "core/methods/method_common.h"
#include "core/methods/registry.h"
#include "tests/support/synthetic_model.h"

namespace tl {
namespace {

using Eigen::MatrixXd;

const std::filesystem::path kData = TL_TEST_DATA_DIR;

Model small_model(Family f, int layers = 2) {
  SyntheticShape shape;
  shape.hidden = 16;
  shape.heads = 4;
  shape.layers = layers;
  shape.kv_heads = f == Family::Llama ? 2 : 0;
  return make_synthetic_model(synthetic_spec(f, shape), 21);
}

ForwardInput input_of(const Model& m, int n) {
  ForwardInput in;
  for (int i = 0; i < n; ++i) in.ids.push_back(3 + (11 * i) % (m.spec.vocab_size - 3));
  if (m.spec.type_vocab_size == 2) in.token_types.assign(size_t(n), 0);
  return in;
}

Trace run(const Model& m, const ForwardInput& in) {
  auto t = forward(m, in, ForwardOptions{Precision::Float64});
  EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().message);
  return std::move(t).value();
}

Result<MethodOutput> try_compute(const char* name, const Model& m, const Trace& t, const MethodRequest& req,
                                 const ForwardInput& input = {}) {
  MethodInputs in;
  in.model = &m;
  in.trace = &t;
  in.input = input;
  return compute_method(name, in, req);
}

MethodOutput compute(const char* name, const Model& m, const Trace& t, const MethodRequest& req = {},
                     const ForwardInput& input = {}) {
  auto out = try_compute(name, m, t, req, input);
  EXPECT_TRUE(out.ok()) << name << ": " << (out.ok() ? "" : out.error().message);
  return out.ok() ? std::move(out).value() : MethodOutput{};
}

MethodRequest request(Scope s, int layer = 0, nlohmann::json options = nlohmann::json::object()) {
  MethodRequest r;
  r.scope = s;
  r.layer = layer;
  r.options = std::move(options);
  return r;
}

MethodRequest pair_request(Scope s, int layer, int i, int j, const char* wrt = "embeddings") {
  MethodRequest r = request(s, layer, {{"wrt", wrt}});
  r.pair = std::make_pair(i, j);
  return r;
}

class JacobianReference : public ::testing::TestWithParam<const char*> {};

TEST_P(JacobianReference, PairBlockIsTheTorchJacobian) {
  const auto dir = kData / "reference-models" / GetParam() / "reference";
  auto model = load_model(kData / "reference-models" / GetParam());
  ASSERT_TRUE(model.ok()) << model.error().message;
  auto ids = read_npy(dir / "seq1_input_ids.npy");
  auto jac = read_npy(dir / "seq1_jacobian.npy");
  ASSERT_TRUE(ids.ok() && jac.ok());
  ForwardInput in;
  for (double v : ids->data) in.ids.push_back(int(v));
  if (auto types = read_npy(dir / "seq1_token_type_ids.npy"); types.ok()) {
    for (double v : types->data) in.token_types.push_back(int(v));
  }
  const Trace t = run(**model, in);
  const int n = t.num_tokens(), D = (*model)->spec.hidden_size;
  for (int j = 0; j < n; ++j) {
    const MethodOutput out = compute("jacobian", **model, t, pair_request(Scope::EndToEnd, 0, n - 1, j, "tokens"));
    ASSERT_TRUE(out.block.has_value());
    ASSERT_EQ(out.block->rows(), D);
    double worst = -1;
    for (int d = 0; d < D; ++d) {
      for (int e = 0; e < D; ++e) {
        const double want = jac->at({d, j, e});
        worst = std::max(worst, std::abs((*out.block)(d, e) - want) - (1e-4 + 1e-4 * std::abs(want)));
      }
    }
    EXPECT_LE(worst, 0.0) << GetParam() << " input token " << j;
  }
}

INSTANTIATE_TEST_SUITE_P(TinyModels, JacobianReference,
                         ::testing::Values("tiny-gpt2", "tiny-bert", "tiny-roberta", "tiny-gpt-neox", "tiny-llama-gqa"),
                         [](const auto& info) {
                           std::string s = info.param;
                           for (char& c : s) {
                             if (c == '-') c = '_';
                           }
                           return s;
                         });

TEST(Jacobian, PairBlockMatchesFiniteDifferences) {
  for (Family f : {Family::Bert, Family::Llama}) {
    const Model m = small_model(f);
    const ForwardInput in = input_of(m, 5);
    const Trace t = run(m, in);
    const int i = 3, j = 1, D = m.spec.hidden_size;
    const MethodOutput out = compute("jacobian", m, t, pair_request(Scope::EndToEnd, 0, i, j, "tokens"));
    ASSERT_TRUE(out.block.has_value());
    const double h = 1e-5;
    for (int e = 0; e < D; ++e) {
      ForwardInput p = in, q = in;
      p.inputs_embeds = q.inputs_embeds = t.token_embeddings;
      p.inputs_embeds(j, e) += h;
      q.inputs_embeds(j, e) -= h;
      const Eigen::VectorXd fd = (run(m, p).final_hidden.row(i) - run(m, q).final_hidden.row(i)).transpose() / (2 * h);
      EXPECT_LE((out.block->col(e) - fd).norm(), 1e-7 * (1 + fd.norm())) << to_string(f) << " feature " << e;
    }
  }
}

TEST(Jacobian, MapEntriesAreBlockNormsAndComposeByTheChainRule) {
  const Model m = small_model(Family::Gpt2, 2);
  const ForwardInput in = input_of(m, 4);
  const Trace t = run(m, in);
  const int n = 4;
  const Map end = compute("jacobian", m, t).maps.at(0);
  const Map upto1 = compute("jacobian", m, t, request(Scope::Through, 1)).maps.at(0);
  const Map block1 = compute("jacobian", m, t, request(Scope::Block, 1)).maps.at(0);
  EXPECT_LE((upto1.values - block1.values).cwiseAbs().maxCoeff(), 1e-12);  // wrt = embeddings: the same map
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      const auto blk = compute("jacobian", m, t, pair_request(Scope::EndToEnd, 0, i, j)).block;
      EXPECT_NEAR(end.values(i, j), blk->norm(), 1e-10);
      if (j > i) {
        EXPECT_EQ(end.values(i, j), 0.0);  // causal
      }
      // Chain rule over tokens: J_{2}[i, j] = sum_k B_2[i, k] J_{1}[k, j].
      MatrixXd chained = MatrixXd::Zero(m.spec.hidden_size, m.spec.hidden_size);
      for (int k = 0; k < n; ++k) {
        chained += *compute("jacobian", m, t, pair_request(Scope::Block, 2, i, k)).block *
                   *compute("jacobian", m, t, pair_request(Scope::Through, 1, k, j)).block;
      }
      const MatrixXd direct = *compute("jacobian", m, t, pair_request(Scope::Through, 2, i, j)).block;
      EXPECT_LE((chained - direct).norm(), 1e-10 * (1 + direct.norm()));
    }
  }
  const MethodOutput all = compute("hidden-token-attribution", m, t, request(Scope::Through, 0));
  ASSERT_EQ(all.maps.size(), 2u);
  for (const Map& map : all.maps) EXPECT_LE((map.values.rowwise().sum().array() - 1.0).abs().maxCoeff(), 1e-12);
  const Map hta_end = compute("hidden-token-attribution", m, t).maps.at(0);
  EXPECT_LE((hta_end.values - methods::row_normalised(end.values)).cwiseAbs().maxCoeff(), 1e-12);
}

// d logit / d token rows by central differences over every coordinate.
MatrixXd fd_gradient(const Model& m, const ForwardInput& in, const Trace& t, int position, int token) {
  const double h = 1e-5;
  MatrixXd g(t.token_embeddings.rows(), t.token_embeddings.cols());
  for (Eigen::Index r = 0; r < g.rows(); ++r) {
    for (Eigen::Index c = 0; c < g.cols(); ++c) {
      ForwardInput p = in, q = in;
      p.inputs_embeds = q.inputs_embeds = t.token_embeddings;
      p.inputs_embeds(r, c) += h;
      q.inputs_embeds(r, c) -= h;
      g(r, c) = (run(m, p).logits(position, token) - run(m, q).logits(position, token)) / (2 * h);
    }
  }
  return g;
}

TEST(GradientAttributions, SaliencyAndInputTimesGradientMatchFiniteDifferences) {
  const Model m = small_model(Family::GptNeox);
  const ForwardInput in = input_of(m, 5);
  const Trace t = run(m, in);
  const MethodOutput sal = compute("saliency", m, t);
  ASSERT_EQ(sal.explained_position, 4);
  const MatrixXd g = fd_gradient(m, in, t, 4, sal.explained_token);
  const Map& s = sal.maps.at(0);
  ASSERT_EQ(s.rows(), 1);
  ASSERT_EQ(s.cols(), 5);
  const Map ixg = compute("input-x-gradient", m, t).maps.at(0);
  for (int j = 0; j < 5; ++j) {
    EXPECT_NEAR(s.values(0, j), g.row(j).norm(), 1e-6);
    EXPECT_NEAR(ixg.values(0, j), g.row(j).dot(t.token_embeddings.row(j)), 1e-6);
  }
  // Every row: row i explains position i's own argmax; the last row is the explained one.
  const Map all = compute("saliency", m, t, request(Scope::EndToEnd, 0, {{"rows", "all"}})).maps.at(0);
  ASSERT_EQ(all.rows(), 5);
  EXPECT_LE((all.values.row(4) - s.values.row(0)).cwiseAbs().maxCoeff(), 1e-12);
  EXPECT_EQ(all.values(1, 3), 0.0);  // causal: position 1 does not see token 3
}

TEST(GradientAttributions, EncodersNeedAMaskedPosition) {
  const Model m = small_model(Family::Bert);
  const ForwardInput in = input_of(m, 5);
  const Trace t = run(m, in);
  auto missing = try_compute("saliency", m, t, {});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("position"), std::string::npos);
  MethodRequest r;
  r.position = 2;
  r.target_token = 7;
  const MethodOutput out = compute("saliency", m, t, r);
  EXPECT_EQ(out.explained_position, 2);
  EXPECT_EQ(out.explained_token, 7);
  EXPECT_GT(out.maps.at(0).values(0, 4), 0.0);  // bidirectional: a later token matters
  r.scope = Scope::Block;
  r.layer = 1;
  EXPECT_FALSE(try_compute("saliency", m, t, r).ok());  // end to end only
}

TEST(IntegratedGradients, CompleteWithinOnePercent) {
  struct Case {
    Family family;
    const char* baseline;
  };
  for (const Case c : {Case{Family::Gpt2, "zero"}, Case{Family::Llama, "neutral"}, Case{Family::Bert, "zero"}}) {
    const Model m = small_model(c.family);
    const ForwardInput in = input_of(m, 6);
    const Trace t = run(m, in);
    MethodRequest r = request(Scope::EndToEnd, 0, {{"steps", 64}, {"baseline", c.baseline}, {"replacement_token", 5}});
    r.position = m.spec.causal ? -1 : 2;
    const MethodOutput out = compute("integrated-gradients", m, t, r, in);
    const Map& map = out.maps.at(0);
    ASSERT_EQ(map.bias.size(), 1);
    ForwardInput b = in;
    b.inputs_embeds = MatrixXd::Zero(6, m.spec.hidden_size);
    if (std::string(c.baseline) == "neutral") b.inputs_embeds.rowwise() = m.weights.token_embedding.row(5).cast<double>();
    const double f_baseline = run(m, b).logits(out.explained_position, out.explained_token);
    const double f_input = t.logits(out.explained_position, out.explained_token);
    EXPECT_NEAR(map.bias[0], f_baseline, 1e-9);
    const double sum = map.values.sum();
    EXPECT_LE(std::abs(sum - (f_input - f_baseline)), 0.01 * std::abs(f_input - f_baseline))
        << to_string(c.family) << " " << c.baseline << ": sum " << sum << " vs " << f_input - f_baseline;
  }
}

TEST(Occlusion, IsTheLogitDropWithTheTokenReplaced) {
  const Model m = small_model(Family::Gpt2);
  const ForwardInput in = input_of(m, 5);
  const Trace t = run(m, in);
  const MethodOutput out = compute("occlusion", m, t, request(Scope::EndToEnd, 0, {{"replacement_token", 2}}), in);
  const Map& map = out.maps.at(0);
  for (int j = 0; j < 5; ++j) {
    ForwardInput o = in;
    o.ids[size_t(j)] = 2;
    const double want = t.logits(4, out.explained_token) - run(m, o).logits(4, out.explained_token);
    EXPECT_NEAR(map.values(0, j), want, 1e-12) << j;
  }
  const Map all = compute("occlusion", m, t, request(Scope::EndToEnd, 0, {{"rows", "all"}}), in).maps.at(0);
  ASSERT_EQ(all.rows(), 5);
  for (int i = 0; i < 5; ++i) {
    for (int j = i + 1; j < 5; ++j) EXPECT_EQ(all.values(i, j), 0.0);
  }
}

}  // namespace
}  // namespace tl
