#pragma once
// Shared by the TensorLens tests: small models of every family built in code, a "detached
// forward" written independently of the engine (the model with A_h, sigma/rms, Phi and gates
// frozen at a trace's values, applied straight from the weights), its finite-difference
// Jacobian, and the input-contracted decomposition with a bias row (sum of rows = the hidden
// states) run through the engine's Propagator.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/backend/cpu_backend.h"
#include "core/forward/forward.h"
#include "core/lens/analysis.h"
#include "core/lens/propagate.h"

namespace tl::lens_test {

using lens::GatedFfn;

inline MatF random_matrix(int rows, int cols, std::mt19937& rng, float stddev = 0.3f) {
  std::normal_distribution<float> dist(0.0f, stddev);
  MatF m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = dist(rng);
  return m;
}

inline VecF random_vector(int n, std::mt19937& rng, float mean, float stddev) {
  std::normal_distribution<float> dist(mean, stddev);
  VecF v(n);
  for (Eigen::Index i = 0; i < n; ++i) v[i] = dist(rng);
  return v;
}

// Small random models shaped like each family (hidden 16, 2-3 blocks). `act` overrides the
// activation (ReLU, GELU variants) where the family allows.
inline Model make_family_model(Family family, std::uint32_t seed, Activation act = Activation::GeluTanh) {
  std::mt19937 rng(seed);
  Model m;
  ModelSpec& s = m.spec;
  s.family = family;
  s.vocab_size = 40;
  s.hidden_size = 16;
  s.num_layers = family == Family::GptNeox || family == Family::Llama ? 3 : 2;
  s.num_heads = 4;
  s.head_dim = 4;
  s.intermediate_size = 24;
  s.max_positions = 32;
  s.num_kv_heads = 4;
  s.norm = NormKind::LayerNorm;
  s.norm_eps = 1e-5;
  s.positions = Positions::Learned;
  s.topology = Topology::PreNorm;
  s.attention_bias = s.output_bias = s.mlp_bias = true;
  s.final_norm = true;
  s.tied_embeddings = true;
  switch (family) {
    case Family::Gpt2: s.activation = act; break;
    case Family::Bert:
    case Family::Roberta:
      s.activation = Activation::GeluErf;
      s.topology = Topology::PostNorm;
      s.causal = false;
      s.final_norm = false;
      s.embedding_norm = true;
      s.mlm_head = true;
      s.type_vocab_size = family == Family::Bert ? 2 : 1;
      s.position_offset = family == Family::Roberta ? 2 : 0;
      s.pad_token_id = family == Family::Roberta ? 1 : 0;
      break;
    case Family::GptNeox:
      s.activation = Activation::GeluErf;
      s.topology = Topology::Parallel;
      s.positions = Positions::Rotary;
      s.rotary_dim = 2;
      s.tied_embeddings = false;
      break;
    case Family::Llama:
      s.activation = Activation::Silu;
      s.norm = NormKind::RMSNorm;
      s.positions = Positions::Rotary;
      s.rotary_dim = 4;
      s.gated_ffn = true;
      s.num_kv_heads = 2;
      s.attention_bias = s.output_bias = s.mlp_bias = false;
      s.tied_embeddings = false;
      break;
  }
  const int D = s.hidden_size, F = s.intermediate_size, kv = s.num_kv_heads * s.head_dim;
  const bool rms = s.norm == NormKind::RMSNorm;
  Weights& w = m.weights;
  w.token_embedding = random_matrix(s.vocab_size, D, rng, 1.0f);
  if (s.positions == Positions::Learned) w.position_embedding = random_matrix(s.max_positions, D, rng, 0.5f);
  if (s.type_vocab_size) w.token_type_embedding = random_matrix(s.type_vocab_size, D, rng, 0.5f);
  auto norm = [&] {
    NormWeights n{random_vector(D, rng, 1.0f, 0.1f), VecF()};
    if (!rms) n.beta = random_vector(D, rng, 0.0f, 0.1f);
    return n;
  };
  auto lin = [&](int in, int out, bool bias) {
    return Linear{random_matrix(in, out, rng), bias ? random_vector(out, rng, 0, 0.1f) : VecF()};
  };
  if (s.embedding_norm) w.embedding_norm = norm();
  for (int l = 0; l < s.num_layers; ++l) {
    BlockWeights b;
    b.ln1 = norm();
    b.ln2 = norm();
    b.attn = AttentionWeights{lin(D, D, s.attention_bias), lin(D, kv, s.attention_bias), lin(D, kv, s.attention_bias),
                              lin(D, D, s.output_bias)};
    b.ffn.up = lin(D, F, s.mlp_bias);
    if (s.gated_ffn) b.ffn.gate = lin(D, F, s.mlp_bias);
    b.ffn.down = lin(F, D, s.mlp_bias);
    w.blocks.push_back(std::move(b));
  }
  if (s.final_norm) w.final_norm = norm();
  if (!s.tied_embeddings) w.lm_head = random_matrix(s.vocab_size, D, rng);
  if (s.mlm_head) {
    MlmHeadWeights head;
    head.dense = lin(D, D, true);
    head.norm = norm();
    head.decoder_bias = random_vector(s.vocab_size, rng, 0, 0.1f);
    w.mlm = head;
  }
  m.name = std::string("tiny-") + to_string(family);
  m.source = "in-code";
  return m;
}

inline ForwardInput make_input(const Model& m, int n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> id(3, m.spec.vocab_size - 1);
  ForwardInput in;
  for (int i = 0; i < n; ++i) in.ids.push_back(id(rng));
  if (m.spec.type_vocab_size > 1) {
    for (int i = 0; i < n; ++i) in.token_types.push_back(i < n / 2 ? 0 : 1);
  }
  return in;
}

inline Trace run_forward(const Model& m, const ForwardInput& in, Precision p = Precision::Float64) {
  auto t = forward(m, in, ForwardOptions{p});
  EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().message);
  return std::move(t.value());
}

// ---- Detached forward (independent of core/lens) -------------------------------------------

inline MatD frozen_norm(const ModelSpec& s, const NormWeights& w, const MatD& x, const VecD& inv) {
  MatD y = x;
  if (s.norm == NormKind::LayerNorm) y.colwise() -= x.rowwise().mean();
  y = inv.asDiagonal() * y;
  y = y * w.gamma.cast<double>().asDiagonal();
  if (w.beta.size()) y.rowwise() += w.beta.cast<double>().transpose();
  return y;
}

inline MatD linear(const MatD& x, const Linear& l) {
  MatD y = x * l.W.cast<double>();
  if (l.b.size()) y.rowwise() += l.b.cast<double>().transpose();
  return y;
}

inline MatD frozen_attention(const ModelSpec& s, const BlockWeights& w, const BlockTrace& bt, const MatD& xn) {
  const MatD v = linear(xn, w.attn.v);
  const int hd = s.head_dim, group = s.num_heads / s.num_kv_heads;
  MatD ctx(xn.rows(), s.num_heads * hd);
  for (int h = 0; h < s.num_heads; ++h) ctx.middleCols(h * hd, hd) = bt.attn_probs[h] * v.middleCols((h / group) * hd, hd);
  return linear(ctx, w.attn.o);
}

inline MatD frozen_ffn(const ModelSpec& s, const BlockWeights& w, const BlockTrace& bt, const MatD& xn, GatedFfn g) {
  if (!s.gated_ffn) return linear(linear(xn, w.ffn.up).cwiseProduct(bt.ffn_ratio), w.ffn.down);
  const MatD gate_value = bt.ffn_pre.cwiseProduct(bt.ffn_ratio);
  const MatD via_up = linear(xn, w.ffn.up).cwiseProduct(gate_value);
  const MatD via_gate = linear(xn, w.ffn.gate).cwiseProduct(bt.ffn_ratio).cwiseProduct(bt.ffn_up);
  const MatD hidden = g == GatedFfn::Gate ? via_up : g == GatedFfn::Up ? via_gate : MatD(0.5 * (via_up + via_gate));
  return linear(hidden, w.ffn.down);
}

// Blocks first..last (1-based) and optionally the final norm, from the residual stream x entering
// block `first`, with every nonlinear coefficient frozen at the trace.
inline MatD detached_forward(const Model& m, const Trace& t, const MatD& x0, int first, int last, bool final_norm,
                             GatedFfn g = GatedFfn::Gate) {
  const ModelSpec& s = m.spec;
  MatD x = x0;
  for (int l = first; l <= last; ++l) {
    const BlockWeights& w = m.weights.blocks[l - 1];
    const BlockTrace& bt = t.blocks[l - 1];
    switch (s.topology) {
      case Topology::PreNorm: {
        const MatD h = x + frozen_attention(s, w, bt, frozen_norm(s, w.ln1, x, bt.ln1_inv_scale));
        x = h + frozen_ffn(s, w, bt, frozen_norm(s, w.ln2, h, bt.ln2_inv_scale), g);
        break;
      }
      case Topology::Parallel:
        x = x + frozen_attention(s, w, bt, frozen_norm(s, w.ln1, x, bt.ln1_inv_scale)) +
            frozen_ffn(s, w, bt, frozen_norm(s, w.ln2, x, bt.ln2_inv_scale), g);
        break;
      case Topology::PostNorm: {
        const MatD h = frozen_norm(s, w.ln1, x + frozen_attention(s, w, bt, x), bt.ln1_inv_scale);
        x = frozen_norm(s, w.ln2, h + frozen_ffn(s, w, bt, h, g), bt.ln2_inv_scale);
        break;
      }
    }
  }
  if (final_norm && s.final_norm) x = frozen_norm(s, m.weights.final_norm, x, t.final_inv_scale);
  return x;
}

// J[(i, d), (j, e)] = d out[i, d] / d x[j, e] of the detached forward, by central differences
// (exact up to rounding: the detached function is affine).
inline MatD detached_jacobian(const Model& m, const Trace& t, const MatD& x0, int first, int last, bool final_norm,
                              GatedFfn g = GatedFfn::Gate, double eps = 1e-3) {
  const Eigen::Index n = x0.rows(), d = x0.cols();
  MatD jac(n * d, n * d);
  for (Eigen::Index j = 0; j < n; ++j) {
    for (Eigen::Index e = 0; e < d; ++e) {
      MatD plus = x0, minus = x0;
      plus(j, e) += eps;
      minus(j, e) -= eps;
      const MatD diff = (detached_forward(m, t, plus, first, last, final_norm, g) -
                         detached_forward(m, t, minus, first, last, final_norm, g)) / (2 * eps);
      for (Eigen::Index i = 0; i < n; ++i) jac.block(i * d, j * d + e, d, 1) = diff.row(i).transpose();
    }
  }
  return jac;
}

// ---- Engine decomposition with a bias row ------------------------------------------------------

// Runs the input-contracted decomposition with a bias row through segment [first, last]: returns,
// per checkpoint, the sum over all rows of each token block (should equal the hidden states) and
// the bias row alone. Non-causal layouts everywhere (uniform counts) when `full_layout`.
struct Decomposition {
  std::vector<lens::Checkpoint> at;
  std::vector<MatD> sums, bias;
};

inline Decomposition decompose(const Model& m, const Trace& t, int first, int last, bool final_norm,
                               lens::InputEnd input, GatedFfn g, Precision p, bool fused = false) {
  CpuBackend be;
  auto seg = lens::build_segment(m, t, first, last, final_norm, input);
  EXPECT_TRUE(seg.ok()) << (seg.ok() ? "" : seg.error().message);
  const lens::LensSegment& segment = seg.value();
  lens::Propagator prop(be, m, t, segment, lens::PropagationOptions{p, g, fused, true});
  const int n = t.num_tokens();
  std::vector<std::int64_t> counts(n);
  for (int i = 0; i < n; ++i) counts[i] = 1 + (m.spec.causal ? i + 1 : n);
  auto st = prop.make_state(counts, true);
  EXPECT_TRUE(st.ok());
  lens::StreamState& s = st.value();
  for (int j = 0; j < n; ++j) be.upload_rows(MatD(segment.inputs.row(j)), *s.x, s.layout.offset[j] + 1 + j);
  Decomposition out;
  auto at_checkpoint = [&](const lens::Checkpoint& cp, lens::StreamState& state) -> Status {
    MatD sums(n, segment.hidden), bias(n, segment.hidden);
    for (int i = 0; i < n; ++i) {
      const MatD rows = be.download_rows(*state.x, state.layout.offset[i], state.layout.count[i]);
      sums.row(i) = rows.colwise().sum();
      bias.row(i) = rows.row(0);
    }
    out.at.push_back(cp);
    out.sums.push_back(sums);
    out.bias.push_back(bias);
    return Status::Ok();
  };
  auto r = prop.forward(s, at_checkpoint);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return out;
}

inline double rel_err(const MatD& a, const MatD& b) { return (a - b).norm() / std::max(1e-300, b.norm()); }

}  // namespace tl::lens_test
