#include "core/lens/block_spectrum.h"

#include <Eigen/SVD>
#include <algorithm>
#include <numeric>

namespace tl::lens {
namespace {

// The `count` highest (descending) or lowest (ascending) scores as (id, score).
std::vector<std::pair<int, double>> extreme_tokens(const VecD& scores, int count, bool highest) {
  std::vector<int> idx(scores.size());
  std::iota(idx.begin(), idx.end(), 0);
  count = std::min<int>(count, static_cast<int>(idx.size()));
  auto better = [&](int a, int b) { return highest ? scores[a] > scores[b] : scores[a] < scores[b]; };
  std::partial_sort(idx.begin(), idx.begin() + count, idx.end(), better);
  std::vector<std::pair<int, double>> out;
  for (int k = 0; k < count; ++k) out.emplace_back(idx[k], scores[idx[k]]);
  return out;
}

}  // namespace

BlockSpectrum block_spectrum(const Model& model, const MatD& block, int directions, int top_tokens) {
  BlockSpectrum out;
  Eigen::BDCSVD<MatD> svd(block, Eigen::ComputeThinU | Eigen::ComputeThinV);
  out.singular_values = svd.singularValues();
  const MatF& unembedding = model.weights.unembedding();
  const int count = std::min<int>(directions, static_cast<int>(out.singular_values.size()));
  for (int k = 0; k < count; ++k) {
    SingularDirection dir;
    dir.value = out.singular_values[k];
    dir.output = svd.matrixU().col(k);
    dir.input = svd.matrixV().col(k);
    const VecD scores = (unembedding * dir.output.cast<float>()).cast<double>();
    dir.push = extreme_tokens(scores, top_tokens, true);
    dir.pull = extreme_tokens(scores, top_tokens, false);
    out.directions.push_back(std::move(dir));
  }
  return out;
}

}  // namespace tl::lens
