#include "core/forward/ops.h"

#include <unsupported/Eigen/SpecialFunctions>

#include <cmath>
#include <limits>

#include "core/util/assert.h"

namespace tl::ops {

template <class T>
void layer_norm(const Mat<T>& x, const Vec<T>& gamma, const Vec<T>& beta, double eps, Mat<T>& out,
                Vec<T>& inv_scale) {
  TL_ASSERT(gamma.size() == x.cols(), "layer_norm: gamma size differs from the row width");
  const Vec<T> mean = x.rowwise().mean();
  Mat<T> centered = x.colwise() - mean;
  const Vec<T> var = centered.array().square().rowwise().mean().matrix();
  // 1 / sqrt (not an approximate rsqrt) so fp32 matches PyTorch to rounding.
  inv_scale = (var.array() + T(eps)).sqrt().inverse().matrix();
  out = (centered.array().colwise() * inv_scale.array()).rowwise() * gamma.transpose().array();
  if (beta.size()) out.rowwise() += beta.transpose();
}

template <class T>
void rms_norm(const Mat<T>& x, const Vec<T>& gamma, double eps, Mat<T>& out, Vec<T>& inv_scale) {
  TL_ASSERT(gamma.size() == x.cols(), "rms_norm: gamma size differs from the row width");
  const Vec<T> mean_square = x.array().square().rowwise().mean().matrix();
  inv_scale = (mean_square.array() + T(eps)).sqrt().inverse().matrix();
  out = (x.array().colwise() * inv_scale.array()).rowwise() * gamma.transpose().array();
}

template <class T>
void normalize(NormKind kind, const Mat<T>& x, const Vec<T>& gamma, const Vec<T>& beta, double eps,
               Mat<T>& out, Vec<T>& inv_scale) {
  if (kind == NormKind::RMSNorm) {
    rms_norm(x, gamma, eps, out, inv_scale);
  } else {
    layer_norm(x, gamma, beta, eps, out, inv_scale);
  }
}

template <class T>
Mat<T> activation_ratio(Activation act, const Mat<T>& z) {
  const auto a = z.array();
  switch (act) {
    case Activation::GeluErf:
      return (T(0.5) * (T(1) + (a * T(M_SQRT1_2)).erf())).matrix();
    case Activation::GeluTanh: {
      const T k = T(0.7978845608028654);  // sqrt(2 / pi)
      return (T(0.5) * (T(1) + (k * (a + T(0.044715) * a.cube())).tanh())).matrix();
    }
    case Activation::Silu:
      return (T(1) + (-a).exp()).inverse().matrix();  // exp overflow gives inf -> ratio 0, as wanted
    case Activation::Relu:
      return (a > T(0)).template cast<T>().matrix();
  }
  TL_ASSERT(false, "activation_ratio: unknown activation");
  return Mat<T>();
}

template <class T>
Mat<T> activate(Activation act, const Mat<T>& z) {
  return z.cwiseProduct(activation_ratio(act, z));
}

template <class T>
void apply_rope(Mat<T>& x, int num_heads, int head_dim, int rotary_dim, double theta,
                const std::vector<int>& positions) {
  TL_ASSERT(x.cols() == Eigen::Index(num_heads) * head_dim, "apply_rope: width is not heads * head_dim");
  TL_ASSERT(rotary_dim % 2 == 0 && rotary_dim <= head_dim, "apply_rope: bad rotary_dim");
  TL_ASSERT(positions.size() == size_t(x.rows()), "apply_rope: one position per row");
  const int half = rotary_dim / 2;
  if (half == 0) return;
  const Eigen::Index n = x.rows();
  Mat<T> cos_table, sin_table;
  rope_tables(rotary_dim, theta, positions, cos_table, sin_table);
  Mat<T> first(n, half);
  for (int h = 0; h < num_heads; ++h) {
    auto lo = x.middleCols(Eigen::Index(h) * head_dim, half);
    auto hi = x.middleCols(Eigen::Index(h) * head_dim + half, half);
    first = lo;
    lo = (first.array() * cos_table.array() - hi.array() * sin_table.array()).matrix();
    hi = (hi.array() * cos_table.array() + first.array() * sin_table.array()).matrix();
  }
}

template <class T>
void rope_tables(int rotary_dim, double theta, const std::vector<int>& positions, Mat<T>& cos_table,
                 Mat<T>& sin_table) {
  const int half = rotary_dim / 2;
  const Eigen::Index n = Eigen::Index(positions.size());
  // Angles in double whatever T, then rounded once: the tables are the exact rotation to T's precision.
  cos_table.resize(n, half);
  sin_table.resize(n, half);
  for (int k = 0; k < half; ++k) {
    const double inv_freq = std::pow(theta, -2.0 * k / rotary_dim);
    for (Eigen::Index i = 0; i < n; ++i) {
      const double angle = positions[size_t(i)] * inv_freq;
      cos_table(i, k) = T(std::cos(angle));
      sin_table(i, k) = T(std::sin(angle));
    }
  }
}

template <class T>
Mat<T> attention_mask(int n, bool causal, const std::vector<int>& key_mask) {
  TL_ASSERT(key_mask.empty() || key_mask.size() == size_t(n), "attention_mask: one flag per key");
  const T masked = -std::numeric_limits<T>::infinity();
  Mat<T> causal_only = Mat<T>::Zero(n, n);
  if (causal) causal_only.template triangularView<Eigen::StrictlyUpper>().setConstant(masked);
  if (key_mask.empty()) return causal_only;
  Mat<T> mask = causal_only;
  for (int j = 0; j < n; ++j) {
    if (key_mask[size_t(j)] == 0) mask.col(j).setConstant(masked);
  }
  for (int i = 0; i < n; ++i) {
    if ((mask.row(i).array() == T(0)).count() == 0) mask.row(i) = causal_only.row(i);
  }
  return mask;
}

template <class T>
void masked_softmax_rows(Mat<T>& scores, const Mat<T>& additive_mask) {
  TL_ASSERT(scores.rows() == additive_mask.rows() && scores.cols() == additive_mask.cols(),
            "masked_softmax_rows: the mask and the scores have different shapes");
  scores += additive_mask;
  const Vec<T> row_max = scores.rowwise().maxCoeff();
  scores = (scores.colwise() - row_max).array().exp().matrix();
  // Vectorised exp clamps -inf to a tiny positive value: zero masked entries explicitly.
  scores = (additive_mask.array() == T(0)).select(scores, T(0));
  const Vec<T> row_sum = scores.rowwise().sum();
  scores = (scores.array().colwise() / row_sum.array()).matrix();
}

template <class T>
Mat<T> linear(const Mat<T>& x, const Linear& layer) {
  TL_ASSERT(x.cols() == layer.W.rows(), "linear: input width differs from W's rows");
  const auto& W = weights_as(layer.W, T{});
  Mat<T> y = x * W;
  if (layer.b.size()) y.rowwise() += weights_as(layer.b, T{}).transpose();
  return y;
}

#define TL_INSTANTIATE_OPS(T)                                                                          \
  template void layer_norm<T>(const Mat<T>&, const Vec<T>&, const Vec<T>&, double, Mat<T>&, Vec<T>&); \
  template void rms_norm<T>(const Mat<T>&, const Vec<T>&, double, Mat<T>&, Vec<T>&);                  \
  template void normalize<T>(NormKind, const Mat<T>&, const Vec<T>&, const Vec<T>&, double, Mat<T>&,  \
                             Vec<T>&);                                                                \
  template Mat<T> activation_ratio<T>(Activation, const Mat<T>&);                                     \
  template Mat<T> activate<T>(Activation, const Mat<T>&);                                             \
  template void apply_rope<T>(Mat<T>&, int, int, int, double, const std::vector<int>&);               \
  template void rope_tables<T>(int, double, const std::vector<int>&, Mat<T>&, Mat<T>&);                \
  template Mat<T> attention_mask<T>(int, bool, const std::vector<int>&);                              \
  template void masked_softmax_rows<T>(Mat<T>&, const Mat<T>&);                                       \
  template Mat<T> linear<T>(const Mat<T>&, const Linear&);

TL_INSTANTIATE_OPS(float)
TL_INSTANTIATE_OPS(double)
#undef TL_INSTANTIATE_OPS

}  // namespace tl::ops
