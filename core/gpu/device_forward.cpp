// The device forward pass: the structure of core/forward/forward.cpp (embeddings, attention, FFN,
// blocks by topology, heads), each step recorded as kernels into one Batch.
//
// Sections: arenas (Trace fields on the device, downloaded in one transfer each) · the recorder
// (linear maps, norms, embeddings, attention, FFN, blocks, heads) · reading the Trace back ·
// entry points and the CPU fallback.
#include "core/gpu/device_forward.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <span>
#include <tuple>

#include "core/forward/ops.h"
#include "core/gpu/compute_kernels.h"

namespace tl::gpu {
namespace {

using RowMajorF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

#define TL_DEV_TRY(expr)                  \
  do {                                    \
    if (Status tl_st_ = (expr); !tl_st_.ok()) return tl_st_; \
  } while (0)

// ---- Arenas -------------------------------------------------------------------------------------

// A [rows, cols] row-major matrix inside an arena.
struct Slot {
  std::uint64_t offset = 0;
  std::uint32_t rows = 0, cols = 0;
  std::uint64_t size() const { return std::uint64_t(rows) * cols; }
};

// Trace fields that come back to the host: slots are laid out first, then one buffer holds them
// all, and after the batch one download brings them back.
class Arena {
 public:
  Slot add(std::uint32_t rows, std::uint32_t cols) {
    const Slot s{size_, rows, cols};
    size_ += s.size();
    return s;
  }
  Status allocate(Context& ctx, const std::string& label) {
    auto b = ctx.create_buffer(std::max<std::uint64_t>(size_, 1), label);
    if (!b.ok()) return b.error();
    buffer_ = std::move(*b);
    return Status::Ok();
  }
  BufferView view(const Slot& s) const { return BufferView(buffer_, s.offset, s.size()); }
  Status download(Context& ctx) {
    host_.resize(size_);
    return ctx.download(BufferView(buffer_, 0, size_), host_);
  }
  MatD matrix(const Slot& s) const {
    return Eigen::Map<const RowMajorF>(host_.data() + s.offset, s.rows, s.cols).cast<double>();
  }
  VecD vector(const Slot& s) const {
    return Eigen::Map<const Eigen::VectorXf>(host_.data() + s.offset, Eigen::Index(s.size())).cast<double>();
  }

 private:
  std::uint64_t size_ = 0;
  Buffer buffer_;
  std::vector<float> host_;
};

// Where each BlockTrace field lives. Fields that equal another one (ln1_input = input in pre-norm
// blocks, output = ln2_out in post-norm blocks, ...) have no slot of their own: read_block fills
// them from the field they equal, as forward.cpp does.
struct BlockSlots {
  Arena arena;
  Slot ln1_input, ln1_inv, ln1_out, q, k, v, probs, context, attn_out;
  Slot ln2_input, ln2_inv, ln2_out, ffn_pre, ffn_ratio, ffn_up, ffn_hidden, ffn_out, output;
  BufferView output_view() const;
  Topology topology = Topology::PreNorm;
};

BufferView BlockSlots::output_view() const {
  return arena.view(topology == Topology::PostNorm ? ln2_out : output);
}

struct HeadSlots {
  Arena arena;
  Slot token_embeddings, embedding_sum, embedding_inv, embeddings;
  Slot final_inv, final_hidden, mlm_pre, mlm_ratio, mlm_inv, mlm_hidden;
  Arena logits_arena;  // apart: [N, V] can be the largest field
  Slot logits;
};

ActivationKind activation_kind(Activation a) {
  switch (a) {
    case Activation::GeluErf: return ActivationKind::GeluErf;
    case Activation::GeluTanh: return ActivationKind::GeluTanh;
    case Activation::Silu: return ActivationKind::Silu;
    case Activation::Relu: return ActivationKind::Relu;
  }
  return ActivationKind::GeluErf;
}

gpu::NormKind norm_kind(tl::NormKind k) {
  return k == tl::NormKind::RMSNorm ? gpu::NormKind::RmsNorm : gpu::NormKind::LayerNorm;
}

// ---- The recorder -------------------------------------------------------------------------------

class Recorder {
 public:
  Recorder(Context& ctx, const DeviceWeights& w, const ForwardInput& in, const Trace& trace)
      : ctx_(ctx), k_(ctx), w_(w), s_(w.model().spec), in_(in), trace_(trace) {
    n_ = std::uint32_t(trace.ids.size());
    d_ = std::uint32_t(s_.hidden_size);
    // What one dispatch may bind of a buffer (maxStorageBufferRange), less the binding alignment.
    const std::uint64_t align = std::max<std::uint64_t>(ctx.limits().min_storage_buffer_offset_alignment, 4);
    max_view_ = (ctx.limits().max_storage_buffer_range_bytes - 2 * align) / 4;
  }

  Status prepare(HeadSlots& head, std::vector<BlockSlots>& blocks);
  Status record(HeadSlots& head, std::vector<BlockSlots>& blocks);
  Status submit() { return batch_->submit_and_wait(); }

 private:
  Result<Buffer> scratch(std::uint64_t elements, const char* label) {
    return ctx_.create_buffer(std::max<std::uint64_t>(elements, 1), label);
  }
  Result<Buffer> upload_ids(const std::vector<std::uint32_t>& ids, const char* label);

  Status linear(BufferView x, const DeviceLinear& l, BufferView y);
  Status norm(BufferView x, const DeviceNorm& w, gpu::NormKind kind, BufferView y, BufferView inv);
  Status gather(const std::vector<int>& ids, const Buffer& table, std::uint32_t table_rows, BufferView out,
                Buffer& ids_buffer);
  Status embed(HeadSlots& h);
  Status attention(const DeviceBlock& w, BufferView x, const BlockSlots& b);
  Status ffn(const DeviceBlock& w, BufferView x, const BlockSlots& b);
  Status block(const DeviceBlock& w, BufferView x, const BlockSlots& b);
  Status heads(BufferView x, HeadSlots& h);
  Status unembed(BufferView h, BufferView logits);

  Context& ctx_;
  ComputeKernels k_;
  const DeviceWeights& w_;
  const ModelSpec& s_;
  const ForwardInput& in_;
  const Trace& trace_;
  std::uint32_t n_ = 0, d_ = 0;
  std::uint64_t max_view_ = 0;
  std::optional<Batch> batch_;
  // Inputs (filled before the batch runs) and scratch: the batch runs its kernels in order with a
  // barrier after each, so one scratch buffer serves every layer.
  Buffer token_ids_, position_ids_, type_ids_, cos_, sin_, mask_;
  Buffer gather_scratch_, embed_scratch_, q_rot_in_, k_rot_in_, scores_, ffn_act_, mlm_act_;
  bool padding_ = false;
};

Result<Buffer> Recorder::upload_ids(const std::vector<std::uint32_t>& ids, const char* label) {
  auto b = scratch(ids.size(), label);
  if (!b.ok()) return b.error();
  if (Status st = ctx_.upload(*b, ids); !st.ok()) return st.error();
  return std::move(*b);
}

// Lays out the arenas, allocates them and the scratch, uploads the rotary tables and the padding
// mask, and opens the batch (the ids are uploaded as the gathers are recorded).
Status Recorder::prepare(HeadSlots& h, std::vector<BlockSlots>& blocks) {
  const std::uint32_t N = n_, D = d_, F = std::uint32_t(s_.intermediate_size), H = std::uint32_t(s_.num_heads);
  const std::uint32_t qw = H * std::uint32_t(s_.head_dim), kvw = std::uint32_t(s_.num_kv_heads * s_.head_dim);
  h.token_embeddings = h.arena.add(N, D);
  h.embedding_sum = h.arena.add(N, D);
  if (s_.embedding_norm) {
    h.embedding_inv = h.arena.add(N, 1);
    h.embeddings = h.arena.add(N, D);
  }
  if (s_.final_norm) {
    h.final_inv = h.arena.add(N, 1);
    h.final_hidden = h.arena.add(N, D);
  }
  if (s_.mlm_head) {
    h.mlm_pre = h.arena.add(N, D);
    h.mlm_ratio = h.arena.add(N, D);
    h.mlm_inv = h.arena.add(N, 1);
    h.mlm_hidden = h.arena.add(N, D);
  }
  h.logits = h.logits_arena.add(N, std::uint32_t(s_.vocab_size));
  TL_DEV_TRY(h.arena.allocate(ctx_, "trace: embeddings and heads"));
  TL_DEV_TRY(h.logits_arena.allocate(ctx_, "trace: logits"));

  blocks.resize(std::size_t(s_.num_layers));
  for (std::size_t l = 0; l < blocks.size(); ++l) {
    BlockSlots& b = blocks[l];
    Arena& a = b.arena;
    b.topology = s_.topology;
    const bool post = s_.topology == Topology::PostNorm;
    if (post) b.ln1_input = a.add(N, D);
    b.ln1_inv = a.add(N, 1);
    b.ln1_out = a.add(N, D);
    b.q = a.add(N, qw);
    b.k = a.add(N, kvw);
    b.v = a.add(N, kvw);
    b.probs = a.add(H * N, N);
    b.context = a.add(N, qw);
    b.attn_out = a.add(N, D);
    if (s_.topology != Topology::Parallel) b.ln2_input = a.add(N, D);
    b.ln2_inv = a.add(N, 1);
    b.ln2_out = a.add(N, D);
    b.ffn_pre = a.add(N, F);
    b.ffn_ratio = a.add(N, F);
    if (s_.gated_ffn) b.ffn_up = a.add(N, F);
    b.ffn_hidden = a.add(N, F);
    b.ffn_out = a.add(N, D);
    if (!post) b.output = a.add(N, D);
    TL_DEV_TRY(a.allocate(ctx_, "trace: block " + std::to_string(l + 1)));
  }

  if (s_.positions == Positions::Rotary) {
    const int rotary_dim = s_.rotary_dim > 0 ? s_.rotary_dim : s_.head_dim;
    ops::Mat<float> c, sn;
    ops::rope_tables(rotary_dim, s_.rope_theta, trace_.positions, c, sn);
    const RowMajorF cr = c, sr = sn;
    for (auto [table, host, label] : {std::tuple{&cos_, &cr, "rope cos"}, std::tuple{&sin_, &sr, "rope sin"}}) {
      auto b = scratch(std::uint64_t(host->size()), label);
      if (!b.ok()) return b.error();
      if (host->size()) TL_DEV_TRY(ctx_.upload(*b, std::span<const float>(host->data(), host->size())));
      *table = std::move(*b);
    }
    auto qr = scratch(std::uint64_t(N) * qw, "rope input q");
    auto kr = scratch(std::uint64_t(N) * kvw, "rope input k");
    if (!qr.ok()) return qr.error();
    if (!kr.ok()) return kr.error();
    q_rot_in_ = std::move(*qr);
    k_rot_in_ = std::move(*kr);
  }
  padding_ = std::find(in_.attention_mask.begin(), in_.attention_mask.end(), 0) != in_.attention_mask.end();
  if (padding_) {
    // The CPU forward's additive mask, with a finite stand-in for -inf: (score - 1e30) * scale
    // still underflows exp to exactly 0, without relying on the device's handling of infinities.
    const ops::Mat<float> add = ops::attention_mask<float>(int(N), s_.causal, in_.attention_mask);
    const RowMajorF m = add.unaryExpr([](float v) { return std::isfinite(v) ? v : -1e30f; });
    auto b = scratch(m.size(), "attention padding mask");
    if (!b.ok()) return b.error();
    TL_DEV_TRY(ctx_.upload(*b, std::span<const float>(m.data(), m.size())));
    mask_ = std::move(*b);
  }
  for (auto [buf, count, label] :
       {std::tuple{&gather_scratch_, std::uint64_t(N) * D, "embedding gather scratch"},
        std::tuple{&embed_scratch_, std::uint64_t(N) * D, "embedding scratch"},
        std::tuple{&scores_, std::uint64_t(H) * N * N, "attention scores"},
        std::tuple{&ffn_act_, s_.gated_ffn ? std::uint64_t(N) * F : 1, "ffn activation"},
        std::tuple{&mlm_act_, s_.mlm_head ? std::uint64_t(N) * D : 1, "mlm activation"}}) {
    auto b = scratch(count, label);
    if (!b.ok()) return b.error();
    *buf = std::move(*b);
  }
  auto batch = ctx_.begin_batch();
  if (!batch.ok()) return batch.error();
  batch_.emplace(std::move(*batch));
  return Status::Ok();
}

// y = x W + b for the n_ rows of x.
Status Recorder::linear(BufferView x, const DeviceLinear& l, BufferView y) {
  GemmShape g;
  g.m = n_;
  g.n = l.out;
  g.k = l.in;
  g.trans_b = true;  // W^T is stored row-major [out, in]
  TL_DEV_TRY(k_.gemm(*batch_, x, l.w, y, g));
  if (l.b) TL_DEV_TRY(k_.row_bias_add(*batch_, y, l.b, n_, l.out));
  return Status::Ok();
}

Status Recorder::norm(BufferView x, const DeviceNorm& w, gpu::NormKind kind, BufferView y, BufferView inv) {
  return k_.norm_forward(*batch_, x, w.gamma, w.beta, y, inv, kind, n_, d_, float(s_.norm_eps));
}

// out = table[ids] for a [table_rows, D] table. A table larger than one dispatch may bind (GPT-2's
// token embedding on lavapipe) is gathered in row ranges: ids outside a range read as a zero row,
// and the ranges' results are summed (adding zeros is exact).
Status Recorder::gather(const std::vector<int>& ids, const Buffer& table, std::uint32_t table_rows, BufferView out,
                        Buffer& ids_buffer) {
  const std::uint32_t chunk = std::uint32_t(std::min<std::uint64_t>(table_rows, max_view_ / d_));
  if (chunk == 0) return make_error("device forward: one embedding row exceeds the device's buffer range");
  const std::uint32_t chunks = (table_rows + chunk - 1) / chunk;
  std::vector<std::uint32_t> local(std::size_t(chunks) * n_);
  for (std::uint32_t c = 0; c < chunks; ++c) {
    const std::uint32_t r0 = c * chunk, rows = std::min(chunk, table_rows - r0);
    for (std::uint32_t i = 0; i < n_; ++i) {
      const std::uint32_t id = std::uint32_t(ids[i]);
      local[std::size_t(c) * n_ + i] = id >= r0 && id < r0 + rows ? id - r0 : rows;  // rows: a zero row
    }
  }
  auto b = upload_ids(local, "embedding gather ids");
  if (!b.ok()) return b.error();
  ids_buffer = std::move(*b);
  for (std::uint32_t c = 0; c < chunks; ++c) {
    const std::uint32_t r0 = c * chunk, rows = std::min(chunk, table_rows - r0);
    const BufferView ids_view(ids_buffer, std::uint64_t(c) * n_, n_);
    const BufferView table_view(table, std::uint64_t(r0) * d_, std::uint64_t(rows) * d_);
    if (c == 0) {
      TL_DEV_TRY(k_.embedding_gather(*batch_, ids_view, table_view, out, n_, d_, rows));
    } else {
      const BufferView part(gather_scratch_, 0, std::uint64_t(n_) * d_);
      TL_DEV_TRY(k_.embedding_gather(*batch_, ids_view, table_view, part, n_, d_, rows));
      TL_DEV_TRY(k_.axpy(*batch_, 1.0f, part, out));
    }
  }
  return Status::Ok();
}

// forward.cpp embed(): tokens (+ positions) (+ token types), then the embedding norm.
Status Recorder::embed(HeadSlots& h) {
  const BufferView tokens = h.arena.view(h.token_embeddings), sum = h.arena.view(h.embedding_sum);
  if (in_.inputs_embeds.size()) {
    const RowMajorF x = in_.inputs_embeds.cast<float>();
    TL_DEV_TRY(ctx_.upload(tokens, std::span<const float>(x.data(), x.size())));
  } else {
    TL_DEV_TRY(gather(trace_.ids, w_.token_embedding, std::uint32_t(s_.vocab_size), tokens, token_ids_));
  }
  TL_DEV_TRY(batch_->copy(tokens, sum));
  const BufferView part(embed_scratch_, 0, std::uint64_t(n_) * d_);
  if (s_.positions == Positions::Learned) {
    const auto rows = std::uint32_t(w_.model().weights.position_embedding.rows());
    TL_DEV_TRY(gather(trace_.positions, w_.position_embedding, rows, part, position_ids_));
    TL_DEV_TRY(k_.axpy(*batch_, 1.0f, part, sum));
  }
  if (w_.token_type_embedding) {
    const auto rows = std::uint32_t(w_.model().weights.token_type_embedding.rows());
    TL_DEV_TRY(gather(trace_.token_types, w_.token_type_embedding, rows, part, type_ids_));
    TL_DEV_TRY(k_.axpy(*batch_, 1.0f, part, sum));
  }
  if (s_.embedding_norm)
    TL_DEV_TRY(norm(sum, w_.embedding_norm, norm_kind(s_.norm), h.arena.view(h.embeddings), h.arena.view(h.embedding_inv)));
  return Status::Ok();
}

// forward.cpp attention(): q, k, v (RoPE on q and k), per-head scores, masked softmax, context,
// output projection. Query head h reads kv head h / (H / KV).
Status Recorder::attention(const DeviceBlock& w, BufferView x, const BlockSlots& b) {
  const Arena& a = b.arena;
  const std::uint32_t N = n_, H = std::uint32_t(s_.num_heads), KV = std::uint32_t(s_.num_kv_heads);
  const std::uint32_t hd = std::uint32_t(s_.head_dim), group = H / KV, qw = H * hd, kvw = KV * hd;
  const BufferView q = a.view(b.q), k = a.view(b.k), v = a.view(b.v);
  if (s_.positions == Positions::Rotary) {
    RopeShape r;
    r.n_tokens = N;
    r.head_dim = hd;
    r.rotary_dim = std::uint32_t(s_.rotary_dim > 0 ? s_.rotary_dim : s_.head_dim);
    r.table_positions = N;  // one table row per token: the Trace's position ids
    TL_DEV_TRY(linear(x, w.q, q_rot_in_));
    TL_DEV_TRY(linear(x, w.k, k_rot_in_));
    r.n_heads = H;
    TL_DEV_TRY(k_.rope(*batch_, q_rot_in_, cos_, sin_, q, r));
    r.n_heads = KV;
    TL_DEV_TRY(k_.rope(*batch_, k_rot_in_, cos_, sin_, k, r));
  } else {
    TL_DEV_TRY(linear(x, w.q, q));
    TL_DEV_TRY(linear(x, w.k, k));
  }
  TL_DEV_TRY(linear(x, w.v, v));

  // Scores [H][N][N] = q_h k_g^T: one batched GEMM over heads without GQA, one per head with it
  // (the kv head is h / group, which a constant batch stride cannot express).
  const BufferView probs = a.view(b.probs);
  const std::uint64_t nn = std::uint64_t(N) * N;
  auto scores_gemm = [&](std::uint32_t h0, std::uint32_t heads) -> Status {
    GemmShape g;
    g.m = N, g.n = N, g.k = hd, g.batch = heads, g.trans_b = true;
    g.lda = qw, g.ldb = kvw, g.ldc = N;
    g.stride_a = hd, g.stride_b = hd, g.stride_c = std::uint32_t(nn);
    const BufferView qa(*q.buffer, q.offset + std::uint64_t(h0) * hd, q.count - std::uint64_t(h0) * hd);
    const std::uint64_t kv0 = std::uint64_t(h0 / group) * hd;
    const BufferView kb(*k.buffer, k.offset + kv0, k.count - kv0);
    const BufferView sc(scores_, std::uint64_t(h0) * nn, std::uint64_t(heads) * nn);
    return k_.gemm(*batch_, qa, kb, sc, g);
  };
  auto context_gemm = [&](std::uint32_t h0, std::uint32_t heads) -> Status {
    GemmShape g;
    g.m = N, g.n = hd, g.k = N, g.batch = heads;
    g.lda = N, g.ldb = kvw, g.ldc = qw;
    g.stride_a = std::uint32_t(nn), g.stride_b = hd, g.stride_c = hd;
    const BufferView pa(*probs.buffer, probs.offset + std::uint64_t(h0) * nn, std::uint64_t(heads) * nn);
    const std::uint64_t kv0 = std::uint64_t(h0 / group) * hd;
    const BufferView vb(*v.buffer, v.offset + kv0, v.count - kv0);
    const BufferView c = a.view(b.context);
    const BufferView cc(*c.buffer, c.offset + std::uint64_t(h0) * hd, c.count - std::uint64_t(h0) * hd);
    return k_.gemm(*batch_, pa, vb, cc, g);
  };
  const std::uint32_t heads_per_gemm = group == 1 ? H : 1;
  for (std::uint32_t h0 = 0; h0 < H; h0 += heads_per_gemm) TL_DEV_TRY(scores_gemm(h0, heads_per_gemm));
  if (padding_) {
    for (std::uint32_t h = 0; h < H; ++h)
      TL_DEV_TRY(k_.axpy(*batch_, 1.0f, mask_, BufferView(scores_, h * nn, nn)));
  }
  const float scale = float(1.0 / std::sqrt(double(hd)));
  TL_DEV_TRY(k_.masked_softmax(*batch_, BufferView(scores_, 0, std::uint64_t(H) * nn), probs, H * N, N, N, s_.causal, 0, scale));
  for (std::uint32_t h0 = 0; h0 < H; h0 += heads_per_gemm) TL_DEV_TRY(context_gemm(h0, heads_per_gemm));
  return linear(a.view(b.context), w.o, a.view(b.attn_out));
}

// forward.cpp ffn(): z = x W (gate or up), Phi(z), act(z) = z * Phi(z) (times U when gated), down.
Status Recorder::ffn(const DeviceBlock& w, BufferView x, const BlockSlots& b) {
  const Arena& a = b.arena;
  const BufferView pre = a.view(b.ffn_pre), ratio = a.view(b.ffn_ratio), hidden = a.view(b.ffn_hidden);
  TL_DEV_TRY(linear(x, s_.gated_ffn ? w.gate : w.up, pre));
  TL_DEV_TRY(k_.activation(*batch_, pre, ratio, activation_kind(s_.activation), true));
  if (s_.gated_ffn) {
    const BufferView act(ffn_act_, 0, pre.count), up = a.view(b.ffn_up);
    TL_DEV_TRY(k_.elementwise_mul(*batch_, pre, ratio, act));
    TL_DEV_TRY(linear(x, w.up, up));
    TL_DEV_TRY(k_.elementwise_mul(*batch_, act, up, hidden));
  } else {
    TL_DEV_TRY(k_.elementwise_mul(*batch_, pre, ratio, hidden));
  }
  return linear(hidden, w.down, a.view(b.ffn_out));
}

// forward.cpp block(): the three topologies. Residual sums are a copy and an axpy, added in the
// CPU's order.
Status Recorder::block(const DeviceBlock& w, BufferView x, const BlockSlots& b) {
  const Arena& a = b.arena;
  const gpu::NormKind kind = norm_kind(s_.norm);
  const BufferView ln1_out = a.view(b.ln1_out), ln2_out = a.view(b.ln2_out);
  const BufferView ln1_inv = a.view(b.ln1_inv), ln2_inv = a.view(b.ln2_inv);
  const BufferView attn_out = a.view(b.attn_out), ffn_out = a.view(b.ffn_out);
  switch (s_.topology) {
    case Topology::PreNorm: {
      const BufferView mid = a.view(b.ln2_input), out = a.view(b.output);
      TL_DEV_TRY(norm(x, w.ln1, kind, ln1_out, ln1_inv));
      TL_DEV_TRY(attention(w, ln1_out, b));
      TL_DEV_TRY(batch_->copy(x, mid));
      TL_DEV_TRY(k_.axpy(*batch_, 1.0f, attn_out, mid));
      TL_DEV_TRY(norm(mid, w.ln2, kind, ln2_out, ln2_inv));
      TL_DEV_TRY(ffn(w, ln2_out, b));
      TL_DEV_TRY(batch_->copy(mid, out));
      return k_.axpy(*batch_, 1.0f, ffn_out, out);
    }
    case Topology::Parallel: {
      const BufferView out = a.view(b.output);
      TL_DEV_TRY(norm(x, w.ln1, kind, ln1_out, ln1_inv));
      TL_DEV_TRY(norm(x, w.ln2, kind, ln2_out, ln2_inv));
      TL_DEV_TRY(attention(w, ln1_out, b));
      TL_DEV_TRY(ffn(w, ln2_out, b));
      TL_DEV_TRY(batch_->copy(x, out));
      TL_DEV_TRY(k_.axpy(*batch_, 1.0f, attn_out, out));
      return k_.axpy(*batch_, 1.0f, ffn_out, out);
    }
    case Topology::PostNorm: {
      const BufferView ln1_in = a.view(b.ln1_input), ln2_in = a.view(b.ln2_input);
      TL_DEV_TRY(attention(w, x, b));
      TL_DEV_TRY(batch_->copy(x, ln1_in));
      TL_DEV_TRY(k_.axpy(*batch_, 1.0f, attn_out, ln1_in));
      TL_DEV_TRY(norm(ln1_in, w.ln1, kind, ln1_out, ln1_inv));
      TL_DEV_TRY(ffn(w, ln1_out, b));
      TL_DEV_TRY(batch_->copy(ln1_out, ln2_in));
      TL_DEV_TRY(k_.axpy(*batch_, 1.0f, ffn_out, ln2_in));
      return norm(ln2_in, w.ln2, kind, ln2_out, ln2_inv);
    }
  }
  return make_error("device forward: unknown block topology");
}

// logits = h U^T + bias, U [V, D] row-major. Split into row and vocabulary ranges that one
// dispatch can bind (a GPT-2 vocabulary exceeds lavapipe's 128 MiB range).
Status Recorder::unembed(BufferView h, BufferView logits) {
  const std::uint32_t V = std::uint32_t(s_.vocab_size);
  const Buffer& U = w_.unembedding();
  const Buffer& bias = s_.mlm_head ? w_.mlm->decoder_bias : w_.lm_head_bias;
  const std::uint32_t vocab_chunk = std::uint32_t(std::min<std::uint64_t>(V, max_view_ / d_));
  const std::uint32_t row_chunk = std::uint32_t(std::clamp<std::uint64_t>(max_view_ / V, 1, n_));
  if (vocab_chunk == 0) return make_error("device forward: one unembedding row exceeds the device's buffer range");
  for (std::uint32_t r0 = 0; r0 < n_; r0 += row_chunk) {
    const std::uint32_t rows = std::min(row_chunk, n_ - r0);
    for (std::uint32_t v0 = 0; v0 < V; v0 += vocab_chunk) {
      const std::uint32_t cols = std::min(vocab_chunk, V - v0);
      GemmShape g;
      g.m = rows, g.n = cols, g.k = d_, g.trans_b = true, g.ldb = d_, g.ldc = V;
      const BufferView ha(*h.buffer, h.offset + std::uint64_t(r0) * d_, std::uint64_t(rows) * d_);
      const BufferView ub(U, std::uint64_t(v0) * d_, std::uint64_t(cols) * d_);
      const BufferView lc(*logits.buffer, logits.offset + std::uint64_t(r0) * V + v0,
                          std::uint64_t(rows - 1) * V + cols);
      TL_DEV_TRY(k_.gemm(*batch_, ha, ub, lc, g));
    }
    if (bias) {
      const BufferView lr(*logits.buffer, logits.offset + std::uint64_t(r0) * V, std::uint64_t(rows) * V);
      TL_DEV_TRY(k_.row_bias_add(*batch_, lr, bias, rows, V));
    }
  }
  return Status::Ok();
}

// forward.cpp run() after the blocks: final norm, then the LM head or the masked-LM head (whose
// activation is erf GELU for RoBERTa and hidden_act for BERT, and whose norm is a LayerNorm).
Status Recorder::heads(BufferView x, HeadSlots& h) {
  if (s_.final_norm) {
    const BufferView out = h.arena.view(h.final_hidden);
    TL_DEV_TRY(norm(x, w_.final_norm, norm_kind(s_.norm), out, h.arena.view(h.final_inv)));
    x = out;
  }
  if (s_.mlm_head) {
    const Activation act = s_.mlm_activation;
    const BufferView pre = h.arena.view(h.mlm_pre), ratio = h.arena.view(h.mlm_ratio);
    const BufferView a(mlm_act_, 0, pre.count), hidden = h.arena.view(h.mlm_hidden);
    TL_DEV_TRY(linear(x, w_.mlm->dense, pre));
    TL_DEV_TRY(k_.activation(*batch_, pre, ratio, activation_kind(act), true));
    TL_DEV_TRY(k_.elementwise_mul(*batch_, pre, ratio, a));
    TL_DEV_TRY(norm(a, w_.mlm->norm, gpu::NormKind::LayerNorm, hidden, h.arena.view(h.mlm_inv)));
    x = hidden;
  }
  return unembed(x, h.logits_arena.view(h.logits));
}

Status Recorder::record(HeadSlots& h, std::vector<BlockSlots>& blocks) {
  TL_DEV_TRY(embed(h));
  BufferView x = h.arena.view(s_.embedding_norm ? h.embeddings : h.embedding_sum);
  for (std::size_t l = 0; l < blocks.size(); ++l) {
    TL_DEV_TRY(block(w_.blocks[l], x, blocks[l]));
    x = blocks[l].output_view();
  }
  return heads(x, h);
}

// ---- Reading the Trace back ---------------------------------------------------------------------

void read_block(const ModelSpec& s, const BlockSlots& b, const MatD& input, BlockTrace& bt) {
  const Arena& a = b.arena;
  const std::uint32_t N = b.ln1_out.rows;
  bt.input = input;
  bt.ln1_input = s.topology == Topology::PostNorm ? a.matrix(b.ln1_input) : input;
  bt.ln1_inv_scale = a.vector(b.ln1_inv);
  bt.ln1_out = a.matrix(b.ln1_out);
  bt.q = a.matrix(b.q);
  bt.k = a.matrix(b.k);
  bt.v = a.matrix(b.v);
  const MatD probs = a.matrix(b.probs);
  bt.attn_probs.resize(std::size_t(s.num_heads));
  for (int h = 0; h < s.num_heads; ++h) bt.attn_probs[std::size_t(h)] = probs.middleRows(Eigen::Index(h) * N, N);
  bt.attn_context = a.matrix(b.context);
  bt.attn_out = a.matrix(b.attn_out);
  bt.ln2_input = s.topology == Topology::Parallel ? input : a.matrix(b.ln2_input);
  bt.ln2_inv_scale = a.vector(b.ln2_inv);
  bt.ln2_out = a.matrix(b.ln2_out);
  bt.ffn_pre = a.matrix(b.ffn_pre);
  bt.ffn_ratio = a.matrix(b.ffn_ratio);
  if (s.gated_ffn) bt.ffn_up = a.matrix(b.ffn_up);
  bt.ffn_hidden = a.matrix(b.ffn_hidden);
  bt.ffn_out = a.matrix(b.ffn_out);
  bt.output = s.topology == Topology::PostNorm ? bt.ln2_out : a.matrix(b.output);
}

Status read_trace(Context& ctx, const ModelSpec& s, HeadSlots& h, std::vector<BlockSlots>& blocks, Trace& t) {
  TL_DEV_TRY(h.arena.download(ctx));
  TL_DEV_TRY(h.logits_arena.download(ctx));
  t.token_embeddings = h.arena.matrix(h.token_embeddings);
  t.embedding_sum = h.arena.matrix(h.embedding_sum);
  if (s.embedding_norm) {
    t.embedding_inv_scale = h.arena.vector(h.embedding_inv);
    t.embeddings = h.arena.matrix(h.embeddings);
  } else {
    t.embeddings = t.embedding_sum;
  }
  t.blocks.resize(blocks.size());
  for (std::size_t l = 0; l < blocks.size(); ++l) {
    TL_DEV_TRY(blocks[l].arena.download(ctx));
    read_block(s, blocks[l], l == 0 ? t.embeddings : t.blocks[l - 1].output, t.blocks[l]);
  }
  const MatD& last = blocks.empty() ? t.embeddings : t.blocks.back().output;
  if (s.final_norm) {
    t.final_inv_scale = h.arena.vector(h.final_inv);
    t.final_hidden = h.arena.matrix(h.final_hidden);
  } else {
    t.final_hidden = last;
  }
  if (s.mlm_head) {
    t.mlm_pre = h.arena.matrix(h.mlm_pre);
    t.mlm_ratio = h.arena.matrix(h.mlm_ratio);
    t.mlm_inv_scale = h.arena.vector(h.mlm_inv);
    t.mlm_hidden = h.arena.matrix(h.mlm_hidden);
  }
  t.logits = h.logits_arena.matrix(h.logits);
  return Status::Ok();
}

}  // namespace

// ---- Entry points -------------------------------------------------------------------------------

Result<Trace> forward_on_device(Context& ctx, const DeviceWeights& weights, const ForwardInput& input) {
  if (&weights.context() != &ctx) return make_error("device forward: the weights were uploaded to another device context");
  auto started = start_trace(weights.model(), input, Precision::Float32);
  if (!started.ok()) return started.error();
  Trace trace = std::move(*started);
  HeadSlots head;
  std::vector<BlockSlots> blocks;
  Recorder rec(ctx, weights, input, trace);
  if (Status st = rec.prepare(head, blocks); !st.ok()) return st.error();
  if (Status st = rec.record(head, blocks); !st.ok()) return st.error();
  if (Status st = rec.submit(); !st.ok()) return st.error();
  if (Status st = read_trace(ctx, weights.model().spec, head, blocks, trace); !st.ok()) return st.error();
  return trace;
}

Result<Trace> forward_on_device(Context& ctx, const Model& model, const ForwardInput& input) {
  auto weights = DeviceWeights::upload(ctx, model);
  if (!weights.ok()) return weights.error();
  return forward_on_device(ctx, **weights, input);
}

Result<ForwardRun> forward_with_cpu_fallback(const BackendSelection& selection, const Model& model,
                                             const ForwardInput& input, const ForwardOptions& options,
                                             const DeviceWeights* weights) {
  std::string why;
  auto* vk = selection.gpu ? dynamic_cast<VulkanBackend*>(selection.backend.get()) : nullptr;
  if (vk && options.precision == Precision::Float32) {
    Context& ctx = vk->context();
    if (weights && &weights->model() != &model) return make_error("device forward: cached weights of another model");
    auto trace = weights ? forward_on_device(ctx, *weights, input) : forward_on_device(ctx, model, input);
    if (trace.ok()) return ForwardRun{std::move(*trace), true, "forward on the GPU ('" + ctx.device().name + "')"};
    why = trace.error().message;
  }
  auto trace = forward(model, input, options);
  if (!trace.ok()) return trace.error();
  return ForwardRun{std::move(*trace), false,
                    why.empty() ? "forward on the CPU" : "forward on the CPU (the GPU forward failed: " + why + ")"};
}

}  // namespace tl::gpu
