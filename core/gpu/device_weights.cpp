// DeviceWeights::upload: one buffer per weight tensor, laid out as device_weights.h says.
#include "core/gpu/device_weights.h"

#include <string>

#include "core/forward/forward.h"

namespace tl::gpu {
namespace {

using RowMajorF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Uploads `count` floats into a new buffer; counts the bytes.
class Uploader {
 public:
  Uploader(Context& ctx, std::uint64_t& bytes) : ctx_(ctx), bytes_(bytes) {}

  Result<Buffer> floats(const float* data, std::uint64_t count, const std::string& label) {
    auto buf = ctx_.create_buffer(count, label);
    if (!buf.ok()) return buf.error();
    if (Status s = ctx_.upload(*buf, std::span<const float>(data, count)); !s.ok())
      return make_error(label + ": " + s.error().message);
    bytes_ += count * 4;
    return std::move(*buf);
  }
  // A [rows, cols] matrix as row-major rows (a transposed copy of the column-major storage).
  Result<Buffer> rows(const MatF& m, const std::string& label) {
    if (m.size() == 0) return Buffer();
    const RowMajorF r = m;
    return floats(r.data(), std::uint64_t(r.size()), label);
  }
  Result<Buffer> vector(const VecF& v, const std::string& label) {
    if (v.size() == 0) return Buffer();
    return floats(v.data(), std::uint64_t(v.size()), label);
  }
  Result<DeviceLinear> linear(const Linear& l, const std::string& label) {
    DeviceLinear out;
    if (l.W.size() == 0) return out;
    out.in = std::uint32_t(l.W.rows());
    out.out = std::uint32_t(l.W.cols());
    // Column-major [in, out] storage read as row-major is [out, in]: no copy needed.
    auto w = floats(l.W.data(), std::uint64_t(l.W.size()), label + ".W");
    if (!w.ok()) return w.error();
    out.w = std::move(*w);
    auto b = vector(l.b, label + ".b");
    if (!b.ok()) return b.error();
    out.b = std::move(*b);
    return out;
  }
  Result<DeviceNorm> norm(const NormWeights& n, const std::string& label) {
    DeviceNorm out;
    if (n.gamma.size() == 0) return out;
    auto g = vector(n.gamma, label + ".gamma");
    if (!g.ok()) return g.error();
    out.gamma = std::move(*g);
    // The norm kernel always binds a beta; zeros keep "no shift" exact.
    const VecF beta = n.beta.size() ? n.beta : VecF::Zero(n.gamma.size());
    auto b = vector(beta, label + ".beta");
    if (!b.ok()) return b.error();
    out.beta = std::move(*b);
    return out;
  }

 private:
  Context& ctx_;
  std::uint64_t& bytes_;
};

#define TL_UPLOAD(lhs, expr)               \
  do {                                     \
    auto tl_up_ = (expr);                  \
    if (!tl_up_.ok()) return tl_up_.error(); \
    lhs = std::move(*tl_up_);              \
  } while (0)

}  // namespace

Result<std::shared_ptr<const DeviceWeights>> DeviceWeights::upload(Context& ctx, const Model& model) {
  // The forward pass's own shape checks, on a one-token input, before any allocation.
  ForwardInput probe;
  probe.ids = {0};
  if (auto checked = start_trace(model, probe, Precision::Float32); !checked.ok())
    return make_error("device weights: " + checked.error().message);

  std::shared_ptr<DeviceWeights> dw(new DeviceWeights());
  dw->model_ = &model;
  dw->ctx_ = &ctx;
  Uploader up(ctx, dw->bytes_);
  const Weights& w = model.weights;
  TL_UPLOAD(dw->token_embedding, up.rows(w.token_embedding, "token embedding"));
  TL_UPLOAD(dw->position_embedding, up.rows(w.position_embedding, "position embedding"));
  TL_UPLOAD(dw->token_type_embedding, up.rows(w.token_type_embedding, "token type embedding"));
  TL_UPLOAD(dw->embedding_norm, up.norm(w.embedding_norm, "embedding norm"));
  for (std::size_t l = 0; l < w.blocks.size(); ++l) {
    const BlockWeights& b = w.blocks[l];
    const std::string at = "block " + std::to_string(l + 1) + " ";
    DeviceBlock db;
    TL_UPLOAD(db.ln1, up.norm(b.ln1, at + "ln1"));
    TL_UPLOAD(db.ln2, up.norm(b.ln2, at + "ln2"));
    TL_UPLOAD(db.q, up.linear(b.attn.q, at + "q"));
    TL_UPLOAD(db.k, up.linear(b.attn.k, at + "k"));
    TL_UPLOAD(db.v, up.linear(b.attn.v, at + "v"));
    TL_UPLOAD(db.o, up.linear(b.attn.o, at + "o"));
    TL_UPLOAD(db.up, up.linear(b.ffn.up, at + "up"));
    if (model.spec.gated_ffn) TL_UPLOAD(db.gate, up.linear(b.ffn.gate, at + "gate"));
    TL_UPLOAD(db.down, up.linear(b.ffn.down, at + "down"));
    dw->blocks.push_back(std::move(db));
  }
  if (model.spec.final_norm) TL_UPLOAD(dw->final_norm, up.norm(w.final_norm, "final norm"));
  if (model.spec.mlm_head) {
    DeviceMlmHead head;
    TL_UPLOAD(head.dense, up.linear(w.mlm->dense, "MLM dense"));
    TL_UPLOAD(head.norm, up.norm(w.mlm->norm, "MLM norm"));
    TL_UPLOAD(head.decoder_bias, up.vector(w.mlm->decoder_bias, "MLM decoder bias"));
    dw->mlm = std::move(head);
  } else {
    TL_UPLOAD(dw->lm_head, up.rows(w.lm_head, "lm_head"));
    TL_UPLOAD(dw->lm_head_bias, up.vector(w.lm_head_bias, "lm_head bias"));
  }
  return std::shared_ptr<const DeviceWeights>(std::move(dw));
}

}  // namespace tl::gpu
