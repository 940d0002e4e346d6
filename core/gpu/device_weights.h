#pragma once
// DeviceWeights: device copies of one Model's weights, uploaded once and reused by every device
// forward pass of that model (core/gpu/device_forward.h), so the app and the benchmark pay the
// upload once per model, not per sentence.
//
// Layouts (all row-major, fp32):
// - a linear map W [in, out] (column-major in Weights) is its storage as is: row-major [out, in],
//   i.e. W^T; y = x W is a GEMM with trans_b.
// - embedding tables (token, position, token type) are row-major [rows, D], one row per id (a host
//   transpose at upload), as embedding_gather reads them; the untied unembedding likewise [V, D].
// - norms always have a beta buffer (zeros for RMSNorm or a LayerNorm without shift).
//
// Limits: the Model must outlive its DeviceWeights (it is the cache of that model, and the forward
// reads the spec and validates input through it). Needs the device memory of one float32 copy of
// the model (tied embeddings are uploaded once).
#include <memory>
#include <optional>
#include <vector>

#include "core/gpu/gpu.h"
#include "core/model/model.h"

namespace tl::gpu {

struct DeviceLinear {
  Buffer w;                  // row-major [out, in]
  Buffer b;                  // [out], or empty (no bias)
  std::uint32_t in = 0, out = 0;
  bool present() const { return bool(w); }
};

struct DeviceNorm {
  Buffer gamma, beta;  // [D] each
};

struct DeviceBlock {
  DeviceNorm ln1, ln2;
  DeviceLinear q, k, v, o;
  DeviceLinear up, gate, down;  // gate empty unless the FFN is gated
};

struct DeviceMlmHead {
  DeviceLinear dense;
  DeviceNorm norm;
  Buffer decoder_bias;  // [V] or empty
};

class DeviceWeights {
 public:
  // Uploads every weight the forward pass reads. Errors: out of device memory, device lost (as
  // Context reports them), and a model whose shapes the forward pass rejects.
  static Result<std::shared_ptr<const DeviceWeights>> upload(Context& ctx, const Model& model);

  const Model& model() const { return *model_; }
  const Context& context() const { return *ctx_; }
  std::uint64_t bytes() const { return bytes_; }

  Buffer token_embedding;       // [V, D]
  Buffer position_embedding;    // [P, D] or empty
  Buffer token_type_embedding;  // [T, D] or empty
  DeviceNorm embedding_norm;    // BERT/RoBERTa, else empty buffers
  std::vector<DeviceBlock> blocks;
  DeviceNorm final_norm;        // empty buffers when the family has none
  Buffer lm_head;               // [V, D] untied unembedding; empty when tied (token_embedding serves)
  Buffer lm_head_bias;          // [V] or empty
  std::optional<DeviceMlmHead> mlm;

  // The unembedding [V, D] the logits use (lm_head, or the token embedding when tied / MLM).
  const Buffer& unembedding() const { return lm_head ? lm_head : token_embedding; }

 private:
  DeviceWeights() = default;
  const Model* model_ = nullptr;
  const Context* ctx_ = nullptr;
  std::uint64_t bytes_ = 0;
};

}  // namespace tl::gpu
