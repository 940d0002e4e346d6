#pragma once
// Applies a LensSegment (operator.h) to stream states on a Backend, forwards (T) or as the adjoint
// (T^T), block by block. A stream state holds many copies of the residual stream at once (one per
// row of each token block, see backend.h): the identity at one source token (column slices), the
// inputs x_j (input-contracted decomposition) or output directions (row slices, adjoint). Every
// component is one large product over all rows, so batching streams is what makes this fast.
//
// Optionally the per-token factors of a block (everything after the attention residual) are fused
// into one D x D matrix per token, K_n, built once per block by applying the steps to identity
// blocks: worth it when a state has more rows per token than about D (column slices), not for
// input-contracted states (about N rows per token).
//
// The bias row: when a state has one, row 0 of every token block carries the affine part c (biases
// are added only there), so sum of rows = the actual hidden states when the other rows hold x_j.
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "core/backend/backend.h"
#include "core/lens/operator.h"
#include "core/util/progress.h"

namespace tl::lens {

struct StateScratch;  // the propagator's scratch buffers for one state (sized by its rows)

struct StreamState {
  Buffer x;             // total_rows x D
  TokenLayout layout;
  bool bias_row = false;
  std::shared_ptr<StateScratch> scratch;  // created by the Propagator on first use
};

struct PropagationOptions {
  Precision precision = Precision::Float32;
  GatedFfn gated = GatedFfn::Gate;
  bool fuse_token_steps = false;  // per-token K_n (see above)
  bool keep_blocks = true;        // keep uploaded block factors for later passes (memory for speed)
};

// Where a forward pass stands when it reports a state: after block `layer` (1-based), or after the
// final norm (final_norm = true, layer = L).
struct Checkpoint {
  int layer = 0;
  bool final_norm = false;
};

class Propagator {
 public:
  Propagator(Backend& backend, const Model& model, const Trace& trace, const LensSegment& segment,
             const PropagationOptions& options);
  ~Propagator();
  Propagator(const Propagator&) = delete;
  Propagator& operator=(const Propagator&) = delete;

  // A zero state with the given token blocks.
  Result<StreamState> make_state(std::vector<std::int64_t> counts, bool bias_row);

  // Prologue, blocks first..last, epilogue. `at_checkpoint` (may be empty) sees the state after
  // every block and after the epilogue (when the segment has one). Throws Cancelled.
  using CheckpointFn = std::function<Status(const Checkpoint&, StreamState&)>;
  Status forward(StreamState& state, const CheckpointFn& at_checkpoint, Progress* progress = nullptr,
                 double progress_from = 0, double progress_to = 1);
  // Several states through the same pass (each block's factors are built once for all of them);
  // the callback also gets the state's index.
  using ManyCheckpointFn = std::function<Status(const Checkpoint&, int, StreamState&)>;
  Status forward(std::span<StreamState* const> states, const ManyCheckpointFn& at_checkpoint,
                 Progress* progress = nullptr, double progress_from = 0, double progress_to = 1);
  // The adjoint: epilogue^T, blocks last..first, prologue^T. Biases play no part. Throws Cancelled.
  Status backward(StreamState& state, Progress* progress = nullptr, double progress_from = 0, double progress_to = 1);

  Backend& backend() { return backend_; }
  const LensSegment& segment() const { return segment_; }
  Precision precision() const { return options_.precision; }

 private:
  struct DeviceStep;
  struct DeviceBlock;

  Result<std::shared_ptr<DeviceBlock>> device_block(int layer);
  Status upload_step(const TokenStep& step, DeviceStep& dst);
  Status upload_steps(const std::vector<TokenStep>& host, std::vector<DeviceStep>& dev);
  Status upload_into(const MatD& m, Buffer& dst);
  Result<Buffer> upload(const MatD& m);
  StateScratch& scratch(StreamState& s);
  Status ensure_workspace(StreamState& state, std::int64_t ffn_width);
  Status forward_block(const DeviceBlock& b, StreamState& s);
  Status backward_block(const DeviceBlock& b, StreamState& s);
  Status build_fused(const std::vector<TokenStep>& host_steps, DeviceBlock& block);

  Status forward_steps(const std::vector<DeviceStep>& steps, StreamState& s);
  Status backward_steps(const std::vector<DeviceStep>& steps, StreamState& s);
  Status forward_step(const DeviceStep& step, StreamState& s);
  Status backward_step(const DeviceStep& step, StreamState& s);
  void swap_with_scratch(StreamState& s);

  Backend& backend_;
  const Model& model_;
  const Trace& trace_;
  const LensSegment& segment_;
  PropagationOptions options_;
  std::vector<DeviceStep> prologue_, epilogue_;
  std::vector<std::shared_ptr<DeviceBlock>> blocks_;  // indexed by layer - first_layer
  std::shared_ptr<DeviceBlock> transient_;            // reused when blocks are not kept
  std::unique_ptr<BlockOperator> host_;  // host-side factors of the block being uploaded (storage reused)
};

}  // namespace tl::lens
