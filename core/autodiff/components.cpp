#include "core/autodiff/components.h"

#include <array>
#include <cmath>

#include "core/forward/ops.h"
#include "core/util/assert.h"

namespace tl::autodiff::detail {
namespace {

// The centred projection r * (d - [mean d] - xhat * mean(xhat * d)) of every direction in `d`
// (each direction holding rows first_row..N-1).
MatD norm_projection(const NormPoint& p, const MatD& d, int first_row) {
  const Eigen::Index n = p.input->rows() - first_row, width = p.input->cols();
  const MatD x = p.input->bottomRows(n);
  const VecD r = p.inv_scale->tail(n);
  TL_ASSERT(d.cols() == width && d.rows() % n == 0,
            "norm derivative: tangent shape differs from the norm input");
  const bool centred = p.kind == NormKind::LayerNorm;
  MatD xhat = x;
  if (centred) xhat.colwise() -= x.rowwise().mean();
  xhat = xhat.array().colwise() * r.array();
  MatD out(d.rows(), width);
  for (Eigen::Index b = 0; b < d.rows() / n; ++b) {
    auto db = d.middleRows(b * n, n);
    const VecD along = (xhat.array() * db.array()).rowwise().mean();
    MatD t = db;
    if (centred) t.colwise() -= db.rowwise().mean();
    t.array() -= xhat.array().colwise() * along.array();
    out.middleRows(b * n, n) = t.array().colwise() * r.array();
  }
  return out;
}

// Multiplies each direction of the stacked [B*M, W] matrix element-wise by the last M rows of
// coef [N, W] (M = N - first_row).
void scale_each_direction(MatD& stacked, const MatD& coef, int first_row = 0) {
  const Eigen::Index n = coef.rows() - first_row;
  for (Eigen::Index b = 0; b < stacked.rows() / n; ++b) {
    stacked.middleRows(b * n, n).array() *= coef.bottomRows(n).array();
  }
}

// Per-thread scratch for the forward-mode products' widest intermediates. A fresh multi-megabyte
// Eigen matrix is a fresh mmap from glibc, zero-filled page by page on first touch; with many
// directions per batch those page faults cost about as much as the products themselves (perf on
// stories260K's Jacobian map). Each slot has one user below; memory stays with the thread.
enum ScratchSlot { kScratchQ, kScratchK, kScratchV, kScratchContext, kScratchUp, kScratchGate, kScratchSlots };

MatD& scratch(ScratchSlot slot, Eigen::Index rows, Eigen::Index cols) {
  thread_local std::array<MatD, kScratchSlots> pool;
  MatD& m = pool[slot];
  m.resize(rows, cols);  // keeps the allocation when the size repeats
  return m;
}

std::vector<int> repeated_positions(const Tape& tape, int batch, bool inverse, int first_row) {
  const std::vector<int>& pos = tape.trace().positions;
  std::vector<int> out;
  out.reserve(pos.size() * size_t(batch));
  for (int b = 0; b < batch; ++b) {
    for (size_t i = size_t(first_row); i < pos.size(); ++i) out.push_back(inverse ? -pos[i] : pos[i]);
  }
  return out;
}

// RoPE is a fixed rotation per position; its transpose is the rotation by the negated angle.
void rotate(const Tape& tape, MatD& x, int heads, int batch, bool inverse, int first_row = 0) {
  const ModelSpec& s = tape.spec();
  if (s.positions != Positions::Rotary) return;
  const int rotary_dim = s.rotary_dim > 0 ? s.rotary_dim : s.head_dim;
  ops::apply_rope<double>(x, heads, s.head_dim, rotary_dim, s.rope_theta,
                          repeated_positions(tape, batch, inverse, first_row));
}

}  // namespace

MatD norm_jvp(const NormPoint& p, const MatD& dx, int first_row) {
  MatD out = norm_projection(p, dx, first_row);
  out.array().rowwise() *= p.gamma->transpose().array();
  return out;
}

MatD norm_vjp(const NormPoint& p, const MatD& gy) {
  MatD scaled = gy;
  scaled.array().rowwise() *= p.gamma->transpose().array();
  return norm_projection(p, scaled, 0);
}

MatD activation_derivative(Activation act, const MatD& z) {
  const auto a = z.array();
  const MatD phi = ops::activation_ratio<double>(act, z);
  switch (act) {
    case Activation::GeluErf:
      return (phi.array() + a * (-0.5 * a.square()).exp() / std::sqrt(2.0 * M_PI)).matrix();
    case Activation::GeluTanh: {
      const double k = 0.7978845608028654, c = 0.044715;  // sqrt(2 / pi), as in ops.cpp
      const Eigen::ArrayXXd t = (k * (a + c * a.cube())).tanh();
      return (phi.array() + 0.5 * a * (1.0 - t.square()) * k * (1.0 + 3.0 * c * a.square())).matrix();
    }
    case Activation::Silu:
      return (phi.array() + a * phi.array() * (1.0 - phi.array())).matrix();
    case Activation::Relu:
      return phi;
  }
  TL_ASSERT(false, "activation_derivative: unknown activation");
  return MatD();
}

NormPoint ln1_point(const Tape& tape, int layer) {
  const BlockTrace& bt = tape.trace().blocks[size_t(layer - 1)];
  return {tape.spec().norm, &bt.ln1_input, &bt.ln1_inv_scale, &tape.block(layer).ln1_gamma};
}

NormPoint ln2_point(const Tape& tape, int layer) {
  const BlockTrace& bt = tape.trace().blocks[size_t(layer - 1)];
  return {tape.spec().norm, &bt.ln2_input, &bt.ln2_inv_scale, &tape.block(layer).ln2_gamma};
}

MatD attention_jvp(const Tape& tape, int layer, const MatD& d_in, int first_row) {
  const ModelSpec& s = tape.spec();
  TL_ASSERT(first_row == 0 || s.causal, "attention_jvp: a row window needs causal attention");
  const BlockTrace& bt = tape.trace().blocks[size_t(layer - 1)];
  const BlockWeightsD& w = tape.block(layer);
  // m rows per direction (first_row..n-1); queries see every key, but key/value tangents of the
  // rows before the window are zero.
  const Eigen::Index n = tape.num_tokens(), m = n - first_row, hd = s.head_dim;
  const int batch = tape.batch_of(d_in, first_row), group = s.num_heads / s.num_kv_heads;
  const Eigen::Index rows = d_in.rows(), q_cols = w.wq.cols(), kv_cols = w.wk.cols();
  MatD& dq = scratch(kScratchQ, rows, q_cols);
  MatD& dk = scratch(kScratchK, rows, kv_cols);
  MatD& dv = scratch(kScratchV, rows, kv_cols);
  dq.noalias() = d_in * w.wq;
  dk.noalias() = d_in * w.wk;
  dv.noalias() = d_in * w.wv;
  rotate(tape, dq, s.num_heads, batch, false, first_row);
  rotate(tape, dk, s.num_kv_heads, batch, false, first_row);
  const double scale = 1.0 / std::sqrt(double(hd));
  MatD& dctx = scratch(kScratchContext, rows, q_cols);
  MatD dS(m, n), dP(m, n);
  for (int h = 0; h < s.num_heads; ++h) {
    const Eigen::Index qc = h * hd, kc = (h / group) * hd;
    const auto P = bt.attn_probs[size_t(h)].bottomRows(m);
    const auto q = bt.q.middleCols(qc, hd).bottomRows(m);
    const auto k = bt.k.middleCols(kc, hd);
    const auto v = bt.v.middleCols(kc, hd);
    for (Eigen::Index b = 0; b < batch; ++b) {
      dS.noalias() = dq.block(b * m, qc, m, hd) * k.transpose();
      dS.rightCols(m).noalias() += q * dk.block(b * m, kc, m, hd).transpose();
      dP = P.cwiseProduct(dS) * scale;
      const VecD along = dP.rowwise().sum();
      dP.array() -= P.array().colwise() * along.array();
      dctx.block(b * m, qc, m, hd).noalias() = dP * v;
      dctx.block(b * m, qc, m, hd).noalias() += P.rightCols(m) * dv.block(b * m, kc, m, hd);
    }
  }
  return dctx * w.wo;
}

MatD attention_vjp(const Tape& tape, int layer, const MatD& g_out, std::vector<MatD>* g_probs) {
  const ModelSpec& s = tape.spec();
  const BlockTrace& bt = tape.trace().blocks[size_t(layer - 1)];
  const BlockWeightsD& w = tape.block(layer);
  const Eigen::Index n = tape.num_tokens(), hd = s.head_dim, rows = g_out.rows();
  const int batch = tape.batch_of(g_out), group = s.num_heads / s.num_kv_heads;
  const MatD gctx = g_out * w.wo.transpose();
  MatD gq = MatD::Zero(rows, Eigen::Index(s.num_heads) * hd);
  MatD gk = MatD::Zero(rows, Eigen::Index(s.num_kv_heads) * hd);
  MatD gv = MatD::Zero(rows, Eigen::Index(s.num_kv_heads) * hd);
  if (g_probs) g_probs->assign(size_t(s.num_heads), MatD(rows, n));
  const double scale = 1.0 / std::sqrt(double(hd));
  for (int h = 0; h < s.num_heads; ++h) {
    const Eigen::Index qc = h * hd, kc = (h / group) * hd;
    const MatD& P = bt.attn_probs[size_t(h)];
    const auto q = bt.q.middleCols(qc, hd);
    const auto k = bt.k.middleCols(kc, hd);
    const auto v = bt.v.middleCols(kc, hd);
    for (Eigen::Index b = 0; b < batch; ++b) {
      const auto gc = gctx.block(b * n, qc, n, hd);
      const MatD gP = gc * v.transpose();
      if (g_probs) (*g_probs)[size_t(h)].middleRows(b * n, n) = gP;
      gv.block(b * n, kc, n, hd).noalias() += P.transpose() * gc;
      MatD gS = P.cwiseProduct(gP);
      const VecD along = gS.rowwise().sum();
      gS.array() -= P.array().colwise() * along.array();
      gS *= scale;
      gq.block(b * n, qc, n, hd).noalias() = gS * k;
      gk.block(b * n, kc, n, hd).noalias() += gS.transpose() * q;
    }
  }
  rotate(tape, gq, s.num_heads, batch, true);
  rotate(tape, gk, s.num_kv_heads, batch, true);
  MatD g_in = gq * w.wq.transpose();
  g_in.noalias() += gk * w.wk.transpose();
  g_in.noalias() += gv * w.wv.transpose();
  return g_in;
}

MatD ffn_jvp(const Tape& tape, int layer, const MatD& d_in, int first_row) {
  const ModelSpec& s = tape.spec();
  const BlockTrace& bt = tape.trace().blocks[size_t(layer - 1)];
  const BlockWeightsD& w = tape.block(layer);
  const MatD act_prime = activation_derivative(s.activation, bt.ffn_pre);
  if (!s.gated_ffn) {
    MatD& dz = scratch(kScratchUp, d_in.rows(), w.w_up.cols());
    dz.noalias() = d_in * w.w_up;
    scale_each_direction(dz, act_prime, first_row);
    return dz * w.w_down;
  }
  MatD& dg = scratch(kScratchGate, d_in.rows(), w.w_gate.cols());
  MatD& du = scratch(kScratchUp, d_in.rows(), w.w_up.cols());
  dg.noalias() = d_in * w.w_gate;
  du.noalias() = d_in * w.w_up;
  scale_each_direction(dg, act_prime.cwiseProduct(bt.ffn_up), first_row);
  scale_each_direction(du, bt.ffn_pre.cwiseProduct(bt.ffn_ratio), first_row);  // act(g)
  dg += du;
  return dg * w.w_down;
}

MatD ffn_vjp(const Tape& tape, int layer, const MatD& g_out) {
  const ModelSpec& s = tape.spec();
  const BlockTrace& bt = tape.trace().blocks[size_t(layer - 1)];
  const BlockWeightsD& w = tape.block(layer);
  const MatD act_prime = activation_derivative(s.activation, bt.ffn_pre);
  MatD gh = g_out * w.w_down.transpose();
  if (!s.gated_ffn) {
    scale_each_direction(gh, act_prime);
    return gh * w.w_up.transpose();
  }
  MatD gu = gh;
  scale_each_direction(gh, act_prime.cwiseProduct(bt.ffn_up));
  scale_each_direction(gu, bt.ffn_pre.cwiseProduct(bt.ffn_ratio));
  MatD g_in = gh * w.w_gate.transpose();
  g_in.noalias() += gu * w.w_up.transpose();
  return g_in;
}

}  // namespace tl::autodiff::detail
