#pragma once
// Tape: the operating point that derivatives are taken at. A forward pass's Trace already holds
// every intermediate the hand-written derivatives need (norm inputs and scales, activation inputs,
// q/k/v after RoPE, attention probabilities), so the Trace *is* the tape; this class adds the
// model's weights converted to double, once per block and only when a block is first used (a
// GPT-2-small block is 57 MB in double; methods that touch one layer should not pay for twelve).
//
// Derivatives are computed in double whatever precision produced the Trace. Thread-safe: several
// threads may share one Tape (the lazy conversion is guarded by a mutex).
#include <memory>
#include <mutex>
#include <vector>

#include "core/forward/trace.h"
#include "core/model/model.h"

namespace tl::autodiff {

// Weight matrices of one block in double (W [in, out], as in Weights). Biases are not needed:
// they do not enter any derivative.
struct BlockWeightsD {
  MatD wq, wk, wv, wo;
  MatD w_up, w_gate, w_down;  // w_gate empty for non-gated FFNs
  VecD ln1_gamma, ln2_gamma;
};

class Tape {
 public:
  // `model` and `trace` must outlive the Tape. The trace must come from forward() on this model.
  Tape(const Model& model, const Trace& trace);

  const Model& model() const { return *model_; }
  const ModelSpec& spec() const { return model_->spec; }
  const Trace& trace() const { return *trace_; }
  int num_tokens() const { return trace_->num_tokens(); }
  int num_layers() const { return trace_->num_layers(); }
  int hidden_size() const { return model_->spec.hidden_size; }
  // Number of stacked directions in a batched [B*M, W] tangent or cotangent, M = N - first_row
  // rows per direction (components.h: row windows).
  int batch_of(const MatD& stacked, int first_row = 0) const;

  // Block `layer` (1..L) in double, converted on first use.
  const BlockWeightsD& block(int layer) const;
  // Gains of the embedding norm (BERT/RoBERTa), the final norm and the masked-LM head's norm, and
  // the MLM head's dense weight; empty when the model has none.
  const VecD& embedding_norm_gamma() const { return embedding_gamma_; }
  const VecD& final_norm_gamma() const { return final_gamma_; }
  const VecD& mlm_norm_gamma() const { return mlm_gamma_; }
  const MatD& mlm_dense() const { return mlm_dense_; }

 private:
  const Model* model_;
  const Trace* trace_;
  VecD embedding_gamma_, final_gamma_, mlm_gamma_;
  MatD mlm_dense_;
  mutable std::mutex mutex_;
  mutable std::vector<std::unique_ptr<BlockWeightsD>> blocks_;
};

}  // namespace tl::autodiff
