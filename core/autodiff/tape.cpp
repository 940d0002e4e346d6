#include "core/autodiff/tape.h"

#include "core/util/assert.h"

namespace tl::autodiff {

DoubleWeights::DoubleWeights(const Model& model) : model_(&model), blocks_(model.weights.blocks.size()) {
  const Weights& w = model.weights;
  embedding_gamma_ = w.embedding_norm.gamma.cast<double>();
  final_gamma_ = w.final_norm.gamma.cast<double>();
  if (w.mlm) {
    mlm_gamma_ = w.mlm->norm.gamma.cast<double>();
    mlm_dense_ = w.mlm->dense.W.cast<double>();
  }
}

const BlockWeightsD& DoubleWeights::block(int layer) const {
  TL_ASSERT(layer >= 1 && layer <= int(blocks_.size()), "DoubleWeights::block: layer outside 1..L");
  std::lock_guard<std::mutex> lock(mutex_);
  std::unique_ptr<BlockWeightsD>& slot = blocks_[size_t(layer - 1)];
  if (!slot) {
    const BlockWeights& w = model_->weights.blocks[size_t(layer - 1)];
    auto d = std::make_unique<BlockWeightsD>();
    d->wq = w.attn.q.W.cast<double>();
    d->wk = w.attn.k.W.cast<double>();
    d->wv = w.attn.v.W.cast<double>();
    d->wo = w.attn.o.W.cast<double>();
    d->w_up = w.ffn.up.W.cast<double>();
    if (w.ffn.gate.W.size()) d->w_gate = w.ffn.gate.W.cast<double>();
    d->w_down = w.ffn.down.W.cast<double>();
    d->ln1_gamma = w.ln1.gamma.cast<double>();
    d->ln2_gamma = w.ln2.gamma.cast<double>();
    slot = std::move(d);
  }
  return *slot;
}

Tape::Tape(const Model& model, const Trace& trace, std::shared_ptr<const DoubleWeights> weights)
    : model_(&model), trace_(&trace), weights_(std::move(weights)) {
  TL_ASSERT(trace.num_layers() == model.spec.num_layers, "Tape: trace and model disagree on the layer count");
  TL_ASSERT(!weights_ || &weights_->model() == &model, "Tape: shared weights of another model");
  if (!weights_) weights_ = std::make_shared<const DoubleWeights>(model);
}

int Tape::batch_of(const MatD& stacked, int first_row) const {
  const Eigen::Index n = num_tokens() - first_row;
  TL_ASSERT(n > 0 && stacked.rows() % n == 0, "Tape: stacked rows are not a multiple of the token count");
  return int(stacked.rows() / n);
}

}  // namespace tl::autodiff
