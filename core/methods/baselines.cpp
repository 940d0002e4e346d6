#include "core/methods/baselines.h"

#include <Eigen/SVD>
#include <limits>

#include "core/util/assert.h"

namespace tl::methods {

using Eigen::MatrixXd;

MatrixXd rollout_product(const std::vector<MatrixXd>& per_layer) {
  TL_ASSERT(!per_layer.empty(), "rollout_product: no layers");
  MatrixXd r = per_layer.front();
  for (size_t k = 1; k < per_layer.size(); ++k) r = per_layer[k] * r;
  return r;
}

MatrixXd gradient_weighted_attention(const std::vector<MatrixXd>& attention, const std::vector<MatrixXd>& gradients) {
  TL_ASSERT(!attention.empty() && attention.size() == gradients.size(),
            "gradient_weighted_attention: no heads, or not one gradient per attention map");
  MatrixXd mean = MatrixXd::Zero(attention.front().rows(), attention.front().cols());
  for (size_t h = 0; h < attention.size(); ++h) mean += gradients[h].cwiseProduct(attention[h]).cwiseMax(0.0);
  return mean / double(attention.size());
}

MatrixXd gradient_weighted_rollout(const std::vector<MatrixXd>& per_layer) {
  TL_ASSERT(!per_layer.empty(), "gradient_weighted_rollout: no layers");
  MatrixXd r = MatrixXd::Identity(per_layer.front().rows(), per_layer.front().cols());
  for (const MatrixXd& a : per_layer) r += a * r;
  return r;
}

std::vector<MatrixXd> head_value_outputs(const Model& model, const Trace& trace, int layer) {
  const ModelSpec& s = model.spec;
  const BlockTrace& bt = trace.blocks[size_t(layer - 1)];
  const MatF& wo = model.weights.blocks[size_t(layer - 1)].attn.o.W;
  const int hd = s.head_dim, group = s.num_heads / s.num_kv_heads;
  std::vector<MatrixXd> out;
  for (int h = 0; h < s.num_heads; ++h) {
    out.push_back(bt.v.middleCols(Eigen::Index(h / group) * hd, hd) *
                  wo.middleRows(Eigen::Index(h) * hd, hd).cast<double>());
  }
  return out;
}

MatrixXd kobayashi_norms(const Model& model, const Trace& trace, int layer, int head) {
  const BlockTrace& bt = trace.blocks[size_t(layer - 1)];
  const std::vector<MatrixXd> f = head_value_outputs(model, trace, layer);
  const Eigen::Index n = trace.num_tokens();
  MatrixXd norms(n, n);
  if (head >= 0) {
    const Eigen::VectorXd value_norms = f[size_t(head)].rowwise().norm();
    for (Eigen::Index i = 0; i < n; ++i) norms.row(i) = bt.attn_probs[size_t(head)].row(i).cwiseProduct(value_norms.transpose());
    return norms;
  }
  Eigen::VectorXd sum(f.front().cols());
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < n; ++j) {
      sum.setZero();
      for (size_t h = 0; h < f.size(); ++h) sum += bt.attn_probs[h](i, j) * f[h].row(j).transpose();
      norms(i, j) = sum.norm();
    }
  }
  return norms;
}

namespace {

// gamma * r * (v - mean v) for every row of `rows` (a norm's linear part with its scale r frozen;
// RMSNorm does not centre).
void apply_frozen_norm(NormKind kind, const VecF& gamma, double inv_scale, MatrixXd& rows) {
  if (kind == NormKind::LayerNorm) rows.colwise() -= rows.rowwise().mean();
  rows.array().rowwise() *= (inv_scale * gamma.cast<double>().transpose()).array();
}

}  // namespace

std::vector<MatrixXd> attention_residual_decomposition(const Model& model, const Trace& trace, int layer) {
  const ModelSpec& s = model.spec;
  const BlockTrace& bt = trace.blocks[size_t(layer - 1)];
  const std::vector<MatrixXd> f = head_value_outputs(model, trace, layer);
  const Eigen::Index n = trace.num_tokens();
  std::vector<MatrixXd> parts(size_t(n), MatrixXd::Zero(n, s.hidden_size));
  for (Eigen::Index i = 0; i < n; ++i) {
    MatrixXd& p = parts[size_t(i)];
    for (size_t h = 0; h < f.size(); ++h) p += bt.attn_probs[h].row(i).transpose().asDiagonal() * f[h];
    p.row(i) += bt.input.row(i);
    if (s.topology == Topology::PostNorm) {
      apply_frozen_norm(s.norm, model.weights.blocks[size_t(layer - 1)].ln1.gamma, bt.ln1_inv_scale[i], p);
    }
  }
  return parts;
}

MatrixXd alti_contributions(const std::vector<MatrixXd>& parts) {
  const Eigen::Index n = Eigen::Index(parts.size());
  MatrixXd c(n, n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const Eigen::RowVectorXd y = parts[size_t(i)].colwise().sum();
    const double y_norm = y.lpNorm<1>();
    for (Eigen::Index j = 0; j < n; ++j) c(i, j) = std::max(0.0, y_norm - (y - parts[size_t(i)].row(j)).lpNorm<1>());
  }
  for (Eigen::Index i = 0; i < n; ++i) {
    const double sum = c.row(i).sum();
    if (sum > 0) c.row(i) /= sum;
  }
  return c;
}

MatrixXd globenc_contributions(const Model& model, const Trace& trace, int layer, const std::vector<MatrixXd>& parts) {
  const ModelSpec& s = model.spec;
  const BlockTrace& bt = trace.blocks[size_t(layer - 1)];
  const Eigen::Index n = Eigen::Index(parts.size());
  MatrixXd c(n, n);
  for (Eigen::Index i = 0; i < n; ++i) {
    MatrixXd o = parts[size_t(i)];
    if (s.topology == Topology::PostNorm) {
      apply_frozen_norm(s.norm, model.weights.blocks[size_t(layer - 1)].ln2.gamma, bt.ln2_inv_scale[i], o);
    }
    c.row(i) = o.rowwise().norm().transpose();
    const double sum = c.row(i).sum();
    if (sum > 0) c.row(i) /= sum;
  }
  return c;
}

MatrixXd effective_attention(const MatrixXd& attention, const MatrixXd& values) {
  Eigen::BDCSVD<MatrixXd> svd(values, Eigen::ComputeThinU);
  const Eigen::VectorXd& sv = svd.singularValues();
  if (sv.size() == 0 || sv[0] == 0) return MatrixXd::Zero(attention.rows(), attention.cols());
  const double tol = double(std::max(values.rows(), values.cols())) * std::numeric_limits<double>::epsilon() * sv[0];
  Eigen::Index rank = 0;
  while (rank < sv.size() && sv[rank] > tol) ++rank;
  const MatrixXd u = svd.matrixU().leftCols(rank);
  return (attention * u) * u.transpose();
}

}  // namespace tl::methods
