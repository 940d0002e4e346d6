#pragma once
// The singular values of a D x D block (a TensorLens pair block or a true Jacobian block) and its
// top singular directions decoded through the unembedding: which output tokens the block pushes
// toward. One implementation for compute_pair_block and the app's Jacobian view, so both blocks
// of a pair are read the same way.
#include "core/lens/analysis.h"

namespace tl::lens {

struct BlockSpectrum {
  VecD singular_values;                      // descending
  std::vector<SingularDirection> directions;  // the top `directions`, decoded
};

// block(d, e): output feature d, input feature e. Decoding uses the model's unembedding [V, D]
// (logit-lens style: no final norm).
BlockSpectrum block_spectrum(const Model& model, const MatD& block, int directions, int top_tokens);

}  // namespace tl::lens
