#include "core/lens/propagate.h"

#include <utility>

#include "core/util/assert.h"

namespace tl::lens {

// A TokenStep on the device. A fused step has k_stack (N*D x D) and no other factors.
struct Propagator::DeviceStep {
  Buffer scale, w_in, coef, w_out, bias, k_stack;
  bool residual = false;
  std::int64_t width = 0;
};

struct Propagator::DeviceBlock {
  Topology topology = Topology::PreNorm;
  HeadShape shape;
  Buffer w_v, pre_scale, probs, w_o, attn_bias;
  std::vector<DeviceStep> steps;
};

// Scratch buffers of one state (sized by its rows): y (R x D) is the out-of-place partner of the
// state, v/ctx the attention's value and context, z the FFN hidden layer.
struct StateScratch {
  Buffer y, v, ctx, z;
};

namespace {

// Reallocates `b` unless it already has this shape.
Status ensure(Backend& be, Buffer& b, std::int64_t rows, std::int64_t cols, Precision p) {
  if (b && b->rows() == rows && b->cols() == cols) return Status::Ok();
  b.reset();
  auto r = be.allocate(rows, cols, p);
  if (!r) return r.error();
  b = std::move(r.value());
  return Status::Ok();
}

void check_cancel(Progress* progress) {
  if (progress && progress->cancelled()) throw Cancelled{};
}

}  // namespace

Propagator::Propagator(Backend& backend, const Model& model, const Trace& trace, const LensSegment& segment,
                       const PropagationOptions& options)
    : backend_(backend), model_(model), trace_(trace), segment_(segment), options_(options),
      host_(std::make_unique<BlockOperator>()) {
  blocks_.resize(segment.last_layer - segment.first_layer + 1);
}

Propagator::~Propagator() = default;

Result<Buffer> Propagator::upload(const MatD& m) {
  Buffer b;
  if (auto st = upload_into(m, b); !st) return st.error();
  return b;
}

// Writes into the existing buffer when the shape matches (no new allocation), else replaces it;
// an empty host matrix clears it (the factor is absent).
Status Propagator::upload_into(const MatD& m, Buffer& dst) {
  if (m.size() == 0) {
    dst.reset();
    return Status::Ok();
  }
  if (!dst || dst->rows() != m.rows() || dst->cols() != m.cols()) {
    dst.reset();
    auto r = backend_.allocate(m.rows(), m.cols(), options_.precision);
    if (!r) return r.error();
    dst = std::move(r.value());
  }
  backend_.upload_rows(m, *dst);
  return Status::Ok();
}

Status Propagator::upload_step(const TokenStep& step, DeviceStep& ds) {
  ds.residual = step.residual;
  ds.width = step.width();
  ds.k_stack.reset();
  for (auto st : {upload_into(step.scale, ds.scale), upload_into(step.w_in, ds.w_in), upload_into(step.coef, ds.coef),
                  upload_into(step.w_out, ds.w_out), upload_into(step.bias, ds.bias)}) {
    if (!st) return st;
  }
  return Status::Ok();
}

Status Propagator::upload_steps(const std::vector<TokenStep>& host, std::vector<DeviceStep>& dev) {
  dev.resize(host.size());
  for (std::size_t i = 0; i < host.size(); ++i) {
    if (auto st = upload_step(host[i], dev[i]); !st) return st;
  }
  return Status::Ok();
}

Result<StreamState> Propagator::make_state(std::vector<std::int64_t> counts, bool bias_row) {
  StreamState s;
  s.layout = TokenLayout::from_counts(std::move(counts));
  s.bias_row = bias_row;
  auto r = backend_.allocate(s.layout.total_rows, segment_.hidden, options_.precision);
  if (!r) return r.error();
  s.x = std::move(r.value());
  return s;
}

StateScratch& Propagator::scratch(StreamState& s) {
  if (!s.scratch) s.scratch = std::make_shared<StateScratch>();
  return *s.scratch;
}

Status Propagator::ensure_workspace(StreamState& s, std::int64_t ffn_width) {
  const std::int64_t rows = s.layout.total_rows;
  const Precision p = options_.precision;
  StateScratch& w = scratch(s);
  if (auto st = ensure(backend_, w.y, rows, segment_.hidden, p); !st) return st;
  if (ffn_width > 0) {
    if (auto st = ensure(backend_, w.z, rows, ffn_width, p); !st) return st;
  }
  return Status::Ok();
}

void Propagator::swap_with_scratch(StreamState& s) { std::swap(s.x, scratch(s).y); }

// ---- Token steps ---------------------------------------------------------------------------

Status Propagator::forward_step(const DeviceStep& st, StreamState& s) {
  Backend& be = backend_;
  if (st.k_stack) {
    if (auto r = ensure_workspace(s, 0); !r) return r;
    be.gemm_per_token(*s.x, s.layout, *st.k_stack, false, *scratch(s).y, false);
    swap_with_scratch(s);
  } else if (st.residual) {
    TL_ASSERT(st.w_in && st.w_out, "forward_step: a residual step without its two weight matrices");
    if (auto r = ensure_workspace(s, st.width); !r) return r;
    BackendBuffer& z = *scratch(s).z;
    be.gemm(*s.x, *st.w_in, false, z, false);
    if (st.scale) be.scale_rows(z, s.layout, *st.scale);
    if (st.coef) be.scale_columns(z, s.layout, *st.coef);
    be.gemm(z, *st.w_out, false, *s.x, true);
  } else {
    if (st.w_in) {
      if (auto r = ensure_workspace(s, 0); !r) return r;
      be.gemm(*s.x, *st.w_in, false, *scratch(s).y, false);
      swap_with_scratch(s);
    }
    if (st.scale) be.scale_rows(*s.x, s.layout, *st.scale);
    if (st.coef) be.scale_columns(*s.x, s.layout, *st.coef);
  }
  if (s.bias_row && st.bias) be.add_to_row(*s.x, s.layout, 0, *st.bias);
  return Status::Ok();
}

Status Propagator::backward_step(const DeviceStep& st, StreamState& s) {
  Backend& be = backend_;
  if (st.k_stack) {
    if (auto r = ensure_workspace(s, 0); !r) return r;
    be.gemm_per_token(*s.x, s.layout, *st.k_stack, true, *scratch(s).y, false);
    swap_with_scratch(s);
  } else if (st.residual) {
    if (auto r = ensure_workspace(s, st.width); !r) return r;
    BackendBuffer& z = *scratch(s).z;
    be.gemm(*s.x, *st.w_out, true, z, false);
    if (st.coef) be.scale_columns(z, s.layout, *st.coef);
    if (st.scale) be.scale_rows(z, s.layout, *st.scale);
    be.gemm(z, *st.w_in, true, *s.x, true);
  } else {
    if (st.coef) be.scale_columns(*s.x, s.layout, *st.coef);
    if (st.scale) be.scale_rows(*s.x, s.layout, *st.scale);
    if (st.w_in) {
      if (auto r = ensure_workspace(s, 0); !r) return r;
      be.gemm(*s.x, *st.w_in, true, *scratch(s).y, false);
      swap_with_scratch(s);
    }
  }
  return Status::Ok();
}

Status Propagator::forward_steps(const std::vector<DeviceStep>& steps, StreamState& s) {
  for (const DeviceStep& st : steps) {
    if (auto r = forward_step(st, s); !r) return r;
  }
  return Status::Ok();
}

Status Propagator::backward_steps(const std::vector<DeviceStep>& steps, StreamState& s) {
  for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
    if (auto r = backward_step(*it, s); !r) return r;
  }
  return Status::Ok();
}

// ---- Blocks --------------------------------------------------------------------------------

Status Propagator::build_fused(const std::vector<TokenStep>& host_steps, DeviceBlock& block) {
  const int n = segment_.num_tokens;
  const std::int64_t d = segment_.hidden;
  // K_n = the steps applied to the identity at token n. The first step is written down directly
  // (its product with the identity is its own factor), the rest are applied as usual.
  auto ks = make_state(std::vector<std::int64_t>(n, d), false);
  if (!ks) return ks.error();
  StreamState& k = ks.value();
  const TokenStep& first = host_steps.front();
  const MatD eye = MatD::Identity(d, d);
  DeviceStep first_dev;
  if (auto st = upload_step(first, first_dev); !st) return st;
  if (first.residual) {
    auto z = backend_.allocate(std::int64_t(n) * d, first.width(), options_.precision);
    if (!z) return z.error();
    for (int t = 0; t < n; ++t) {
      backend_.upload_rows(first.w_in, *z.value(), std::int64_t(t) * d);
      backend_.upload_rows(eye, *k.x, std::int64_t(t) * d);
    }
    if (first_dev.scale) backend_.scale_rows(*z.value(), k.layout, *first_dev.scale);
    if (first_dev.coef) backend_.scale_columns(*z.value(), k.layout, *first_dev.coef);
    backend_.gemm(*z.value(), *first_dev.w_out, false, *k.x, true);
  } else {
    for (int t = 0; t < n; ++t) backend_.upload_rows(first.w_in.size() ? first.w_in : eye, *k.x, std::int64_t(t) * d);
    if (first_dev.scale) backend_.scale_rows(*k.x, k.layout, *first_dev.scale);
    if (first_dev.coef) backend_.scale_columns(*k.x, k.layout, *first_dev.coef);
  }
  for (std::size_t i = 1; i < host_steps.size(); ++i) {
    DeviceStep ds;
    if (auto st = upload_step(host_steps[i], ds); !st) return st;
    if (auto st = forward_step(ds, k); !st) return st;
  }

  DeviceStep fused;
  fused.k_stack = std::move(k.x);
  fused.width = d;
  auto bias = upload(apply_steps_reference(host_steps, MatD::Zero(n, d), true));
  if (!bias) return bias.error();
  fused.bias = std::move(bias.value());
  block.steps.clear();
  block.steps.push_back(std::move(fused));
  return Status::Ok();
}

Result<std::shared_ptr<Propagator::DeviceBlock>> Propagator::device_block(int layer) {
  auto& slot = blocks_[layer - segment_.first_layer];
  if (slot) return slot;
  if (auto st = fill_block_operator(model_, trace_, layer, options_.gated, *host_); !st) return st.error();
  const BlockOperator& op = *host_;
  // Without keep_blocks one transient block is refilled in place for every layer.
  std::shared_ptr<DeviceBlock> block = options_.keep_blocks ? std::make_shared<DeviceBlock>() : transient_;
  if (!block) block = transient_ = std::make_shared<DeviceBlock>();
  block->topology = op.topology;
  block->shape = op.attention.shape;
  const AttentionOperator& at = op.attention;
  for (auto st : {upload_into(at.w_v, block->w_v), upload_into(at.probs, block->probs), upload_into(at.w_o, block->w_o),
                  upload_into(at.bias, block->attn_bias), upload_into(at.pre_scale, block->pre_scale)}) {
    if (!st) return st.error();
  }
  if (options_.fuse_token_steps) {
    if (auto st = build_fused(op.steps, *block); !st) return st.error();
  } else {
    if (auto st = upload_steps(op.steps, block->steps); !st) return st.error();
  }
  if (options_.keep_blocks) slot = block;
  return block;
}

Status Propagator::forward_block(const DeviceBlock& b, StreamState& s) {
  Backend& be = backend_;
  const HeadShape& sh = b.shape;
  const std::int64_t rows = s.layout.total_rows;
  StateScratch& w = scratch(s);
  if (auto st = ensure(be, w.v, rows, std::int64_t(sh.kv_heads) * sh.head_dim, options_.precision); !st) return st;
  if (auto st = ensure(be, w.ctx, rows, std::int64_t(sh.heads) * sh.head_dim, options_.precision); !st) return st;
  // Attention context from the block input (kept in ctx while a parallel block's steps run).
  be.gemm(*s.x, *b.w_v, false, *w.v, false);
  if (b.pre_scale) be.scale_rows(*w.v, s.layout, *b.pre_scale);
  be.set_zero(*w.ctx);
  be.attention_mix(*w.v, *w.ctx, s.layout, *b.probs, sh, false);
  if (b.topology == Topology::Parallel) {
    if (auto st = forward_steps(b.steps, s); !st) return st;
    be.gemm(*w.ctx, *b.w_o, false, *s.x, true);
    if (s.bias_row) be.add_to_row(*s.x, s.layout, 0, *b.attn_bias);
  } else {
    be.gemm(*w.ctx, *b.w_o, false, *s.x, true);
    if (s.bias_row) be.add_to_row(*s.x, s.layout, 0, *b.attn_bias);
    if (auto st = forward_steps(b.steps, s); !st) return st;
  }
  return Status::Ok();
}

Status Propagator::backward_block(const DeviceBlock& b, StreamState& s) {
  Backend& be = backend_;
  const HeadShape& sh = b.shape;
  const std::int64_t rows = s.layout.total_rows;
  StateScratch& w = scratch(s);
  if (auto st = ensure(be, w.v, rows, std::int64_t(sh.kv_heads) * sh.head_dim, options_.precision); !st) return st;
  if (auto st = ensure(be, w.ctx, rows, std::int64_t(sh.heads) * sh.head_dim, options_.precision); !st) return st;
  // attn^T(G) up to the value space, kept in v while a parallel block's steps run.
  auto attention_adjoint_values = [&] {
    be.gemm(*s.x, *b.w_o, true, *w.ctx, false);
    be.set_zero(*w.v);
    be.attention_mix(*w.ctx, *w.v, s.layout, *b.probs, sh, true);
    if (b.pre_scale) be.scale_rows(*w.v, s.layout, *b.pre_scale);
  };
  if (b.topology == Topology::Parallel) {
    attention_adjoint_values();
    if (auto st = backward_steps(b.steps, s); !st) return st;
  } else {
    if (auto st = backward_steps(b.steps, s); !st) return st;
    attention_adjoint_values();
  }
  be.gemm(*w.v, *b.w_v, true, *s.x, true);
  return Status::Ok();
}

Status Propagator::forward(StreamState& s, const CheckpointFn& at_checkpoint, Progress* progress,
                           double progress_from, double progress_to) {
  StreamState* states[] = {&s};
  return forward(states, at_checkpoint ? ManyCheckpointFn([&](const Checkpoint& cp, int, StreamState& st) {
                                           return at_checkpoint(cp, st);
                                         })
                                       : ManyCheckpointFn(),
                 progress, progress_from, progress_to);
}

Status Propagator::forward(std::span<StreamState* const> states, const ManyCheckpointFn& at_checkpoint,
                           Progress* progress, double progress_from, double progress_to) {
  if (prologue_.empty() && !segment_.prologue.empty()) {
    if (auto st = upload_steps(segment_.prologue, prologue_); !st) return st;
  }
  auto report = [&](const Checkpoint& cp) -> Status {
    if (!at_checkpoint) return Status::Ok();
    for (std::size_t k = 0; k < states.size(); ++k) {
      if (auto st = at_checkpoint(cp, static_cast<int>(k), *states[k]); !st) return st;
    }
    return Status::Ok();
  };
  for (StreamState* s : states) {
    if (auto r = forward_steps(prologue_, *s); !r) return r;
  }
  const int count = segment_.last_layer - segment_.first_layer + 1;
  for (int l = segment_.first_layer; l <= segment_.last_layer; ++l) {
    check_cancel(progress);
    if (progress) {
      progress->report(progress_from + (progress_to - progress_from) * (l - segment_.first_layer) / count,
                       "block " + std::to_string(l) + "/" + std::to_string(segment_.last_layer));
    }
    auto blk = device_block(l);
    if (!blk) return blk.error();
    for (StreamState* s : states) {
      if (auto st = forward_block(*blk.value(), *s); !st) return st;
    }
    if (auto st = report(Checkpoint{l, false}); !st) return st;
  }
  if (!segment_.epilogue.empty()) {
    if (epilogue_.empty()) {
      if (auto st = upload_steps(segment_.epilogue, epilogue_); !st) return st;
    }
    for (StreamState* s : states) {
      if (auto r = forward_steps(epilogue_, *s); !r) return r;
    }
    if (auto st = report(Checkpoint{segment_.last_layer, true}); !st) return st;
  }
  if (progress) progress->report(progress_to, "done");
  return Status::Ok();
}

Status Propagator::backward(StreamState& s, Progress* progress, double progress_from, double progress_to) {
  auto upload_all = [&](const std::vector<TokenStep>& host, std::vector<DeviceStep>& dev) -> Status {
    if (!dev.empty() || host.empty()) return Status::Ok();
    return upload_steps(host, dev);
  };
  if (auto st = upload_all(segment_.epilogue, epilogue_); !st) return st;
  if (auto st = upload_all(segment_.prologue, prologue_); !st) return st;
  if (auto r = backward_steps(epilogue_, s); !r) return r;
  const int count = segment_.last_layer - segment_.first_layer + 1;
  for (int l = segment_.last_layer; l >= segment_.first_layer; --l) {
    check_cancel(progress);
    if (progress) {
      progress->report(progress_from + (progress_to - progress_from) * (segment_.last_layer - l) / count,
                       "block " + std::to_string(l) + " (adjoint)");
    }
    auto blk = device_block(l);
    if (!blk) return blk.error();
    if (auto st = backward_block(*blk.value(), s); !st) return st;
  }
  if (auto r = backward_steps(prologue_, s); !r) return r;
  if (progress) progress->report(progress_to, "done");
  return Status::Ok();
}

}  // namespace tl::lens
