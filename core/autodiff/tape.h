#pragma once
// Tape: the operating point that derivatives are taken at. A forward pass's Trace already holds
// every intermediate the hand-written derivatives need (norm inputs and scales, activation inputs,
// q/k/v after RoPE, attention probabilities), so the Trace *is* the tape; the Tape adds the
// model's weights in double (DoubleWeights).
//
// Derivatives are computed in double whatever precision produced the Trace.
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

// A model's weights in double, each block converted when first used (a GPT-2-small block is
// 57 MB in double; methods that touch one layer should not pay for twelve). Share one between
// the Tapes of many operating points of the same model (integrated gradients, repeated GUI
// requests): the conversion of GPT-2 small's 85M block weights costs about a second.
// Thread-safe: the lazy conversion is guarded by a mutex. The model must outlive it.
class DoubleWeights {
 public:
  explicit DoubleWeights(const Model& model);

  const Model& model() const { return *model_; }
  // Block `layer` (1..L), converted on first use.
  const BlockWeightsD& block(int layer) const;
  // Gains of the embedding norm (BERT/RoBERTa), the final norm and the masked-LM head's norm, and
  // the MLM head's dense weight; empty when the model has none.
  const VecD& embedding_norm_gamma() const { return embedding_gamma_; }
  const VecD& final_norm_gamma() const { return final_gamma_; }
  const VecD& mlm_norm_gamma() const { return mlm_gamma_; }
  const MatD& mlm_dense() const { return mlm_dense_; }

 private:
  const Model* model_;
  VecD embedding_gamma_, final_gamma_, mlm_gamma_;
  MatD mlm_dense_;
  mutable std::mutex mutex_;
  mutable std::vector<std::unique_ptr<BlockWeightsD>> blocks_;
};

class Tape {
 public:
  // `model` and `trace` must outlive the Tape. The trace must come from forward() on this model.
  // `weights`: shared double weights of this model, or nullptr for the Tape's own.
  Tape(const Model& model, const Trace& trace, std::shared_ptr<const DoubleWeights> weights = nullptr);

  const Model& model() const { return *model_; }
  const ModelSpec& spec() const { return model_->spec; }
  const Trace& trace() const { return *trace_; }
  int num_tokens() const { return trace_->num_tokens(); }
  int num_layers() const { return trace_->num_layers(); }
  int hidden_size() const { return model_->spec.hidden_size; }
  // Number of stacked directions in a batched [B*M, W] tangent or cotangent, M = N - first_row
  // rows per direction (components.h: row windows).
  int batch_of(const MatD& stacked, int first_row = 0) const;

  const DoubleWeights& weights() const { return *weights_; }
  const BlockWeightsD& block(int layer) const { return weights_->block(layer); }
  const VecD& embedding_norm_gamma() const { return weights_->embedding_norm_gamma(); }
  const VecD& final_norm_gamma() const { return weights_->final_norm_gamma(); }
  const VecD& mlm_norm_gamma() const { return weights_->mlm_norm_gamma(); }
  const MatD& mlm_dense() const { return weights_->mlm_dense(); }

 private:
  const Model* model_;
  const Trace* trace_;
  std::shared_ptr<const DoubleWeights> weights_;
};

}  // namespace tl::autodiff
