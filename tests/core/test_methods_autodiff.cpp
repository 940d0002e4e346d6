// Derivatives of the forward pass (core/autodiff) for all five families:
// - forward mode (JVP) against float64 central finite differences of forward() fed perturbed
//   inputs_embeds, at every stage (embeddings, each block's output, after the final norm) (step 1e-5: truncation ~1e-10, rounding ~1e-11;
//   tolerance 1e-7 relative to the tangent's size);
// - reverse mode (VJP) as the exact transpose of forward mode (<g, J v> = <J^T g, v> to 1e-10);
// - gradients of a logit against finite differences (1e-7);
// - gradients w.r.t. attention probabilities, checked through two weight scalings whose first-order
//   effects are closed forms of them (value scaling: sum gP*P; query scaling: sum gS*S);
// - the reference Jacobians J[i,t,j] = d hidden_states[-1][T-1, i] / d inputs_embeds[t, j] written
//   by torch.autograd (tests/data/reference-models, float32: tolerance 1e-4 abs + 1e-4 rel).
#include <gtest/gtest.h>

#include <random>

#include "core/autodiff/components.h"
#include "core/autodiff/derivatives.h"
#include "core/forward/forward.h"
#include "core/forward/ops.h"
#include "core/io/npy.h"
#include "tests/support/synthetic_model.h"

namespace tl {
namespace {

using autodiff::InputVariable;
using autodiff::Tape;

const std::filesystem::path kData = TL_TEST_DATA_DIR;
constexpr Family kFamilies[] = {Family::Gpt2, Family::Bert, Family::Roberta, Family::GptNeox, Family::Llama};

MatD random_mat(Eigen::Index rows, Eigen::Index cols, std::mt19937& rng) {
  std::normal_distribution<double> dist(0.0, 1.0);
  MatD m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = dist(rng);
  return m;
}

Model family_model(Family f, std::uint32_t seed = 7) {
  SyntheticShape shape;
  shape.hidden = 16;
  shape.heads = 4;
  shape.kv_heads = f == Family::Llama ? 2 : 0;  // GQA 2:1
  shape.ffn = 24;
  shape.layers = 2;
  return make_synthetic_model(synthetic_spec(f, shape), seed);
}

ForwardInput family_input(const Model& m, int n) {
  ForwardInput in;
  for (int i = 0; i < n; ++i) in.ids.push_back(3 + (7 * i) % (m.spec.vocab_size - 3));
  if (m.spec.type_vocab_size == 2) {
    for (int i = 0; i < n; ++i) in.token_types.push_back(i >= n / 2 ? 1 : 0);
  }
  return in;
}

Trace run64(const Model& m, const ForwardInput& in) {
  auto t = forward(m, in, ForwardOptions{Precision::Float64});
  EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().message);
  return std::move(t).value();
}

// Every stage (embeddings, each block's output, after the final norm) for token rows `rows`.
std::vector<MatD> stages_at(const Model& m, ForwardInput in, const MatD& rows) {
  in.inputs_embeds = rows;
  const Trace t = run64(m, in);
  std::vector<MatD> out{t.embeddings};
  for (const BlockTrace& b : t.blocks) out.push_back(b.output);
  out.push_back(t.final_hidden);
  return out;
}

class DerivativesPerFamily : public ::testing::TestWithParam<Family> {};

TEST_P(DerivativesPerFamily, ForwardModeMatchesFiniteDifferencesAtEveryLayer) {
  const Model m = family_model(GetParam());
  const ForwardInput in = family_input(m, 6);
  const Trace trace = run64(m, in);
  const Tape tape(m, trace);
  std::mt19937 rng(3);
  const MatD v = random_mat(6, m.spec.hidden_size, rng);
  std::vector<MatD> jvp;
  autodiff::hidden_states_jvp(tape, v, InputVariable::TokenEmbeddings, [&](int, const MatD& d) { jvp.push_back(d); });
  const double h = 1e-5;
  const auto plus = stages_at(m, in, trace.token_embeddings + h * v);
  const auto minus = stages_at(m, in, trace.token_embeddings - h * v);
  ASSERT_EQ(jvp.size(), plus.size());
  for (size_t l = 0; l < jvp.size(); ++l) {
    const MatD fd = (plus[l] - minus[l]) / (2 * h);
    EXPECT_LE((jvp[l] - fd).norm(), 1e-7 * (1 + fd.norm())) << "stage " << l;
  }
}

TEST_P(DerivativesPerFamily, ReverseModeIsTheTransposeOfForwardMode) {
  const Model m = family_model(GetParam());
  const Trace trace = run64(m, family_input(m, 5));
  const Tape tape(m, trace);
  std::mt19937 rng(4);
  const int B = 3, n = 5, D = m.spec.hidden_size, L = m.spec.num_layers;
  const MatD v = random_mat(B * n, D, rng);
  for (int target = 0; target <= L + 1; ++target) {
    const MatD g = random_mat(B * n, D, rng);
    MatD jv;
    autodiff::hidden_states_jvp(tape, v, InputVariable::TokenEmbeddings, [&](int l, const MatD& d) {
      if (l == target) jv = d;
    });
    std::vector<MatD> seeds(size_t(L + 2));
    seeds[size_t(target)] = g;
    const autodiff::Gradients grads = autodiff::hidden_states_vjp(tape, seeds);
    for (int b = 0; b < B; ++b) {
      const double lhs = (g.middleRows(b * n, n).array() * jv.middleRows(b * n, n).array()).sum();
      const double rhs = (grads.token_embeddings.middleRows(b * n, n).array() * v.middleRows(b * n, n).array()).sum();
      EXPECT_NEAR(lhs, rhs, 1e-10 * (1 + std::abs(lhs))) << "target " << target << " direction " << b;
    }
  }
}

TEST_P(DerivativesPerFamily, BlockMapsAreTransposes) {
  const Model m = family_model(GetParam());
  const Trace trace = run64(m, family_input(m, 4));
  const Tape tape(m, trace);
  std::mt19937 rng(5);
  for (int layer = 1; layer <= m.spec.num_layers; ++layer) {
    const MatD v = random_mat(4, m.spec.hidden_size, rng), g = random_mat(4, m.spec.hidden_size, rng);
    const double lhs = (g.array() * autodiff::block_jvp(tape, layer, v).array()).sum();
    const double rhs = (autodiff::block_vjp(tape, layer, g).array() * v.array()).sum();
    EXPECT_NEAR(lhs, rhs, 1e-10 * (1 + std::abs(lhs))) << "block " << layer;
  }
}

TEST_P(DerivativesPerFamily, LogitGradientMatchesFiniteDifferences) {
  const Model m = family_model(GetParam());
  const ForwardInput in = family_input(m, 5);
  const Trace trace = run64(m, in);
  const Tape tape(m, trace);
  const int position = 3, token = 11;
  const autodiff::Gradients g = autodiff::logits_vjp(tape, {{position, token}});
  std::mt19937 rng(6);
  const double h = 1e-5;
  for (int trial = 0; trial < 3; ++trial) {
    const MatD v = random_mat(5, m.spec.hidden_size, rng);
    ForwardInput p = in, q = in;
    p.inputs_embeds = trace.token_embeddings + h * v;
    q.inputs_embeds = trace.token_embeddings - h * v;
    const double fd = (run64(m, p).logits(position, token) - run64(m, q).logits(position, token)) / (2 * h);
    const double ad = (g.token_embeddings.array() * v.array()).sum();
    EXPECT_NEAR(ad, fd, 1e-7 * (1 + std::abs(fd)));
  }
}

// Row windows (causal models): tangents that are zero before row f, run on rows f..N-1 only,
// equal the full computation's rows (and the full computation's earlier rows stay zero).
// Encoders are why windows are causal-only: there the earlier rows do not stay zero.
TEST_P(DerivativesPerFamily, RowWindowsMatchTheFullComputation) {
  const Model m = family_model(GetParam());
  const int n = 6, f = 2, m_rows = n - f, B = 2, D = m.spec.hidden_size;
  if (!m.spec.causal) {
    const Trace trace = run64(m, family_input(m, n));
    const Tape tape(m, trace);
    std::mt19937 rng(8);
    MatD full = MatD::Zero(B * n, D);
    for (int b = 0; b < B; ++b) full.middleRows(b * n + f, m_rows) = random_mat(m_rows, D, rng);
    MatD last;
    autodiff::hidden_states_jvp(tape, full, InputVariable::TokenEmbeddings, [&](int, const MatD& d) { last = d; });
    for (int b = 0; b < B; ++b) EXPECT_GT(last.middleRows(b * n, f).norm(), 0.0);
    return;
  }
  const Trace trace = run64(m, family_input(m, n));
  const Tape tape(m, trace);
  std::mt19937 rng(8);
  const MatD window = random_mat(B * m_rows, D, rng);
  MatD full = MatD::Zero(B * n, D);
  for (int b = 0; b < B; ++b) full.middleRows(b * n + f, m_rows) = window.middleRows(b * m_rows, m_rows);
  std::vector<MatD> full_stages, window_stages;
  autodiff::hidden_states_jvp(tape, full, InputVariable::TokenEmbeddings, [&](int, const MatD& d) { full_stages.push_back(d); });
  autodiff::hidden_states_jvp(
      tape, window, InputVariable::TokenEmbeddings, [&](int, const MatD& d) { window_stages.push_back(d); }, f);
  ASSERT_EQ(full_stages.size(), window_stages.size());
  for (size_t s = 0; s < full_stages.size(); ++s) {
    for (int b = 0; b < B; ++b) {
      EXPECT_EQ(full_stages[s].middleRows(b * n, f).cwiseAbs().maxCoeff(), 0.0) << "stage " << s;
      EXPECT_LE((full_stages[s].middleRows(b * n + f, m_rows) - window_stages[s].middleRows(b * m_rows, m_rows)).cwiseAbs().maxCoeff(),
                1e-12 * (1 + full_stages[s].cwiseAbs().maxCoeff()))
          << "stage " << s;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllFamilies, DerivativesPerFamily, ::testing::ValuesIn(kFamilies),
                         [](const auto& info) { return std::string(to_string(info.param)); });

// A logit's gradient w.r.t. the attention probabilities of one head, checked through exact
// first-order effects: scaling that head's values by (1 + e) changes the logit by
// e * sum(gP * P); scaling its queries by (1 + e) changes it by e * sum(gS * S), with
// gS = P * (gP - rowsum(P * gP)) and S the pre-softmax scores.
TEST(Derivatives, AttentionProbabilityGradientMatchesWeightScalings) {
  Model m = family_model(Family::Gpt2);
  const ForwardInput in = family_input(m, 6);
  const Trace trace = run64(m, in);
  const Tape tape(m, trace);
  const int position = 5, token = 9, layer = 1, head = 2, hd = m.spec.head_dim;
  const autodiff::Gradients g = autodiff::logits_vjp(tape, {{position, token}}, true);
  const MatD& gP = g.attention[layer - 1][head];
  const MatD& P = trace.blocks[layer - 1].attn_probs[head];
  const BlockTrace& bt = trace.blocks[layer - 1];
  const MatD S = bt.q.middleCols(head * hd, hd) * bt.k.middleCols(head * hd, hd).transpose() / std::sqrt(double(hd));
  MatD gS = P.cwiseProduct(gP);
  const VecD along = gS.rowwise().sum();
  gS.array() -= P.array().colwise() * along.array();
  const double want_v = (gP.array() * P.array()).sum();
  const double want_q = (gS.array() * S.array()).sum();

  auto logit_with_scaled = [&](bool values, double factor) {
    Model scaled = m;
    Linear& lin = values ? scaled.weights.blocks[layer - 1].attn.v : scaled.weights.blocks[layer - 1].attn.q;
    lin.W.middleCols(head * hd, hd) *= float(factor);
    lin.b.segment(head * hd, hd) *= float(factor);
    return run64(scaled, in).logits(position, token);
  };
  // Float weights: the scaling is exact only to float rounding, so use a large step and a second
  // order difference-free estimate (central differences, error ~e^2).
  const double e = 1e-3;
  const double fd_v = (logit_with_scaled(true, 1 + e) - logit_with_scaled(true, 1 - e)) / (2 * e);
  const double fd_q = (logit_with_scaled(false, 1 + e) - logit_with_scaled(false, 1 - e)) / (2 * e);
  EXPECT_NEAR(want_v, fd_v, 1e-4 * (1 + std::abs(fd_v)));
  EXPECT_NEAR(want_q, fd_q, 1e-4 * (1 + std::abs(fd_q)));
}

TEST(Derivatives, ActivationDerivativesMatchFiniteDifferences) {
  MatD z(1, 9);
  z << -7.0, -2.5, -0.7, -1e-3, 0.0, 1e-3, 0.4, 1.9, 6.0;
  for (Activation act : {Activation::GeluErf, Activation::GeluTanh, Activation::Silu, Activation::Relu}) {
    const MatD d = autodiff::detail::activation_derivative(act, z);
    const double h = 1e-6;
    const MatD fd = (ops::activate<double>(act, (z.array() + h).matrix()) - ops::activate<double>(act, (z.array() - h).matrix())) / (2 * h);
    for (int j = 0; j < z.cols(); ++j) {
      if (act == Activation::Relu && std::abs(z(0, j)) <= h) continue;  // kink
      EXPECT_NEAR(d(0, j), fd(0, j), 1e-8) << to_string(act) << " at " << z(0, j);
    }
  }
}

// ---- Reference Jacobians (torch.autograd on the Hugging Face models) ------------------------------

struct ReferenceCase {
  std::string model;
  int seq;
};

class ReferenceJacobian : public ::testing::TestWithParam<ReferenceCase> {};

TEST_P(ReferenceJacobian, ForwardAndReverseModeMatchTorch) {
  const auto& c = GetParam();
  const auto dir = kData / "reference-models" / c.model;
  auto model = load_model(dir);
  ASSERT_TRUE(model.ok()) << model.error().message;
  const std::string prefix = "seq" + std::to_string(c.seq) + "_";
  auto ids = read_npy(dir / "reference" / (prefix + "input_ids.npy"));
  auto jac = read_npy(dir / "reference" / (prefix + "jacobian.npy"));
  ASSERT_TRUE(ids.ok() && jac.ok());
  ForwardInput in;
  for (double v : ids->data) in.ids.push_back(int(v));
  if (auto types = read_npy(dir / "reference" / (prefix + "token_type_ids.npy")); types.ok()) {
    for (double v : types->data) in.token_types.push_back(int(v));
  }
  const Trace trace = run64(**model, in);
  const Tape tape(**model, trace);
  const int n = trace.num_tokens(), D = (*model)->spec.hidden_size;
  ASSERT_EQ(jac->shape, (std::vector<std::int64_t>{D, n, D}));
  auto check = [&](const char* mode, auto entry) {
    double worst = -1;
    std::string where;
    for (int i = 0; i < D; ++i) {
      for (int t = 0; t < n; ++t) {
        for (int j = 0; j < D; ++j) {
          const double want = jac->at({i, t, j}), got = entry(i, t, j);
          const double excess = std::abs(got - want) - (1e-4 + 1e-4 * std::abs(want));
          if (excess > worst) {
            worst = excess;
            where = "J[" + std::to_string(i) + "," + std::to_string(t) + "," + std::to_string(j) + "] got " +
                    std::to_string(got) + " want " + std::to_string(want);
          }
        }
      }
    }
    EXPECT_LE(worst, 0.0) << mode << ": " << where;
  };
  // Forward mode: one tangent per input feature (t, j), batched.
  MatD tangents = MatD::Zero(Eigen::Index(n) * D * n, D);
  for (int t = 0; t < n; ++t) {
    for (int j = 0; j < D; ++j) tangents((t * D + j) * n + t, j) = 1.0;
  }
  const MatD out = autodiff::final_hidden_jvp(tape, tangents, InputVariable::TokenEmbeddings);
  check("forward mode", [&](int i, int t, int j) { return out((t * D + j) * n + (n - 1), i); });
  // Reverse mode: one cotangent per output feature i of the last token.
  std::vector<MatD> seeds(size_t(trace.num_layers() + 2));
  seeds.back() = MatD::Zero(Eigen::Index(D) * n, D);
  for (int i = 0; i < D; ++i) seeds.back()(i * n + n - 1, i) = 1.0;
  const MatD grad = autodiff::hidden_states_vjp(tape, seeds).token_embeddings;
  check("reverse mode", [&](int i, int t, int j) { return grad(i * n + t, j); });
}

std::vector<ReferenceCase> reference_cases() {
  std::vector<ReferenceCase> cases;
  for (const char* m : {"tiny-gpt2", "tiny-bert", "tiny-roberta", "tiny-gpt-neox", "tiny-llama-gqa"}) {
    for (int seq : {0, 1}) cases.push_back({m, seq});
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(TinyModels, ReferenceJacobian, ::testing::ValuesIn(reference_cases()), [](const auto& info) {
  std::string name = info.param.model + "_seq" + std::to_string(info.param.seq);
  for (char& ch : name) {
    if (ch == '-') ch = '_';
  }
  return name;
});

}  // namespace
}  // namespace tl
