// VulkanBackend: maps the column-major Backend contract onto the core/gpu kernels.
//
// GEMM mapping: a column-major R x K matrix is the row-major K x R matrix of the same memory, so
// y = x op(w) (column-major) is y^T = op(w)^T x^T (row-major): gemm_tiled with A = op(w)^T,
// B = x^T, C = y^T. A column-major w (K x M) read row-major is w^T (M x K) with lda = K, so
// op(w) = w needs no transpose in A, and op(w) = w^T (w stored M x K) is A = w, "transposed"
// storage with lda = M. Per-token products do the same on row bands (offsets, ld = R).
#include "core/gpu/vulkan_backend.h"

#include <deque>
#include <optional>

#include "core/backend/backend_checks.h"
#include "core/gpu/compute_kernels.h"
#include "core/util/assert.h"

namespace tl::gpu {
namespace {

class VulkanStateBuffer final : public BackendBuffer {
 public:
  VulkanStateBuffer(std::int64_t rows, std::int64_t cols, Buffer data)
      : BackendBuffer(rows, cols, Precision::Float32), data(std::move(data)) {}
  Buffer data;
};

const VulkanStateBuffer& device_buffer(const BackendBuffer& b) {
  TL_ASSERT(b.precision() == Precision::Float32, "a float64 buffer reached the Vulkan backend");
  return static_cast<const VulkanStateBuffer&>(b);
}

MatrixView matrix(const BackendBuffer& b) {
  return MatrixView{BufferView(device_buffer(b).data), static_cast<std::uint32_t>(b.rows()),
                    static_cast<std::uint32_t>(b.cols())};
}

// The rest of a buffer from `offset` on.
BufferView tail(const BackendBuffer& b, std::uint64_t offset) {
  const Buffer& d = device_buffer(b).data;
  return BufferView(d, offset, d.size() - offset);
}

constexpr std::size_t kCachedLayouts = 8;

}  // namespace

struct VulkanBackend::State {
  explicit State(Context& ctx) : kernels(ctx) {}

  struct CachedLayout {
    std::vector<std::int64_t> offset, count;
    std::int64_t rows = 0;
    DeviceTokenLayout device;
  };

  ComputeKernels kernels;
  std::optional<Batch> pending;
  std::deque<CachedLayout> layouts;  // most recently used first
};

VulkanBackend::VulkanBackend(std::shared_ptr<Context> ctx)
    : ctx_(std::move(ctx)), state_(std::make_unique<State>(*ctx_)) {}

VulkanBackend::~VulkanBackend() {
  // Pending kernels may still write buffers the engine owns; let them finish first.
  if (state_ && state_->pending) (void)finish();
}

Result<std::unique_ptr<VulkanBackend>> VulkanBackend::create(const ContextOptions& options) {
  auto ctx = Context::create(options);
  if (!ctx.ok()) return ctx.error();
  return std::unique_ptr<VulkanBackend>(new VulkanBackend(std::shared_ptr<Context>(std::move(*ctx))));
}

std::unique_ptr<VulkanBackend> VulkanBackend::on(std::shared_ptr<Context> ctx) {
  return std::unique_ptr<VulkanBackend>(new VulkanBackend(std::move(ctx)));
}

std::string VulkanBackend::name() const { return "vulkan (" + ctx_->device().name + ")"; }

// Rough sustained fp32 throughput of gemm_tiled by device kind, for time estimates only.
double VulkanBackend::nominal_gflops(Precision p) const {
  if (p == Precision::Float64) return 0.0;  // not supported here
  switch (ctx_->device().kind) {
    case DeviceKind::Discrete:
      return 10000.0;
    case DeviceKind::Integrated:
      return 500.0;
    case DeviceKind::Virtual:
      return 1000.0;
    case DeviceKind::Cpu:
      return 10.0;
    case DeviceKind::Other:
      return 100.0;
  }
  return 100.0;
}

Status VulkanBackend::finish() {
  if (state_->pending) {
    Status s = state_->pending->submit_and_wait();
    state_->pending.reset();
    if (!s.ok() && status_.ok()) status_ = s;
  }
  return status_;
}

bool VulkanBackend::fail(const Status& s) {
  if (s.ok()) return false;
  if (status_.ok()) status_ = s;
  return true;
}

Batch* VulkanBackend::recording() {
  if (!status_.ok()) return nullptr;
  if (!state_->pending) {
    auto begun = ctx_->begin_batch();
    if (!begun.ok()) {
      fail(begun.error());
      return nullptr;
    }
    state_->pending.emplace(std::move(*begun));
  }
  return &*state_->pending;
}

const DeviceTokenLayout* VulkanBackend::device_layout(const TokenLayout& layout) {
  if (!status_.ok()) return nullptr;
  auto& cache = state_->layouts;
  for (auto it = cache.begin(); it != cache.end(); ++it) {
    if (it->rows == layout.total_rows && it->offset == layout.offset && it->count == layout.count) {
      if (it != cache.begin()) {
        State::CachedLayout hit = std::move(*it);
        cache.erase(it);
        cache.push_front(std::move(hit));
      }
      return &cache.front().device;
    }
  }
  auto uploaded = upload_token_layout(*ctx_, layout.offset, layout.count, layout.total_rows);
  if (!uploaded.ok()) {
    fail(uploaded.error());
    return nullptr;
  }
  // A batch still recording keeps an evicted layout's buffer alive until it is submitted.
  if (cache.size() >= kCachedLayouts) cache.pop_back();
  cache.push_front(State::CachedLayout{layout.offset, layout.count, layout.total_rows, std::move(*uploaded)});
  return &cache.front().device;
}

Result<tl::Buffer> VulkanBackend::allocate(std::int64_t rows, std::int64_t cols, Precision p) {
  backend_checks::check_allocate(rows, cols);
  if (p == Precision::Float64)
    return make_error("vulkan backend: float64 buffers are not supported (float64 runs on the CPU backend)");
  const std::uint64_t bytes = std::uint64_t(rows) * std::uint64_t(cols) * 4;
  if (bytes > ctx_->limits().max_storage_buffer_range_bytes)
    return make_error("out of device memory: a " + std::to_string(rows) + " x " + std::to_string(cols) +
                      " state (" + std::to_string(bytes >> 20) + " MiB) is larger than '" +
                      ctx_->device().name + "' binds at once (" +
                      std::to_string(ctx_->limits().max_storage_buffer_range_bytes >> 20) + " MiB)");
  if (Status s = status_; !s.ok()) return s.error();
  auto buf = ctx_->create_buffer(std::uint64_t(rows) * std::uint64_t(cols), "state");
  if (!buf.ok()) return buf.error();
  return tl::Buffer(std::make_unique<VulkanStateBuffer>(rows, cols, std::move(*buf)));
}

void VulkanBackend::upload_rows(const MatD& src, BackendBuffer& dst, std::int64_t row0) {
  backend_checks::check_upload_rows(src, dst, row0);
  if (!finish().ok()) return;
  const Eigen::MatrixXf f = src.cast<float>();  // column-major, like the device buffer
  const std::span<const float> values(f.data(), std::size_t(f.size()));
  const Buffer& d = device_buffer(dst).data;
  Status s = src.rows() == dst.rows()
                 ? ctx_->upload(BufferView(d, 0, values.size()), values)
                 : ctx_->upload(StridedView{&d, std::uint64_t(row0), std::uint64_t(src.rows()),
                                            std::uint64_t(dst.rows()), std::uint64_t(dst.cols())},
                                values);
  fail(s);
}

MatD VulkanBackend::download_rows(const BackendBuffer& src, std::int64_t row0, std::int64_t nrows) {
  backend_checks::check_download_rows(src, row0, nrows);
  Eigen::MatrixXf f = Eigen::MatrixXf::Zero(nrows, src.cols());
  if (finish().ok()) {
    const std::span<float> values(f.data(), std::size_t(f.size()));
    const Buffer& d = device_buffer(src).data;
    Status s = nrows == src.rows()
                   ? ctx_->download(BufferView(d, 0, values.size()), values)
                   : ctx_->download(StridedView{&d, std::uint64_t(row0), std::uint64_t(nrows),
                                                std::uint64_t(src.rows()), std::uint64_t(src.cols())},
                                    values);
    if (fail(s)) f.setZero();
  }
  return f.cast<double>();
}

void VulkanBackend::set_zero(BackendBuffer& x) {
  Batch* batch = recording();
  if (!batch) return;
  fail(batch->fill(device_buffer(x).data));
}

void VulkanBackend::axpy(double alpha, const BackendBuffer& x, BackendBuffer& y) {
  backend_checks::check_axpy(x, y);
  Batch* batch = recording();
  if (!batch) return;
  fail(state_->kernels.axpy(*batch, float(alpha), device_buffer(x).data, device_buffer(y).data));
}

void VulkanBackend::gemm(const BackendBuffer& x, const BackendBuffer& w, bool transpose_w, BackendBuffer& y,
                         bool accumulate) {
  backend_checks::check_gemm(x, w, transpose_w, y);
  Batch* batch = recording();
  if (!batch) return;
  GemmShape s;
  s.m = static_cast<std::uint32_t>(y.cols());
  s.n = static_cast<std::uint32_t>(x.rows());
  s.k = static_cast<std::uint32_t>(x.cols());
  s.trans_a = transpose_w;
  s.lda = static_cast<std::uint32_t>(std::max<std::int64_t>(w.rows(), 1));
  s.ldb = static_cast<std::uint32_t>(std::max<std::int64_t>(x.rows(), 1));
  s.ldc = s.ldb;
  s.beta = accumulate ? 1.0f : 0.0f;
  fail(state_->kernels.gemm(*batch, device_buffer(w).data, device_buffer(x).data, device_buffer(y).data, s));
}

void VulkanBackend::gemm_per_token(const BackendBuffer& x, const TokenLayout& layout,
                                   const BackendBuffer& k_stack, bool transpose_k, BackendBuffer& y,
                                   bool accumulate) {
  backend_checks::check_gemm_per_token(x, layout, k_stack, transpose_k, y);
  const std::int64_t n_tok = layout.num_tokens();
  const std::int64_t kr = k_stack.rows() / n_tok, kc = k_stack.cols();
  Batch* batch = recording();
  if (!batch) return;
  GemmShape s;
  s.m = static_cast<std::uint32_t>(transpose_k ? kr : kc);
  s.k = static_cast<std::uint32_t>(transpose_k ? kc : kr);
  s.trans_a = transpose_k;
  s.lda = static_cast<std::uint32_t>(std::max<std::int64_t>(k_stack.rows(), 1));
  s.ldb = static_cast<std::uint32_t>(std::max<std::int64_t>(x.rows(), 1));
  s.ldc = s.ldb;
  s.beta = accumulate ? 1.0f : 0.0f;

  // Equal blocks stored back to back from row 0: one batched product, K_n one stride apart.
  const std::int64_t c0 = layout.count[0];
  bool uniform = c0 > 0;
  for (std::int64_t n = 0; n < n_tok && uniform; ++n)
    uniform = layout.count[n] == c0 && layout.offset[n] == n * c0;
  if (uniform) {
    s.n = static_cast<std::uint32_t>(c0);
    s.batch = static_cast<std::uint32_t>(n_tok);
    s.stride_a = static_cast<std::uint32_t>(kr);
    s.stride_b = s.stride_c = static_cast<std::uint32_t>(c0);
    fail(state_->kernels.gemm(*batch, device_buffer(k_stack).data, device_buffer(x).data,
                              device_buffer(y).data, s));
    return;
  }
  for (std::int64_t n = 0; n < n_tok; ++n) {
    if (layout.count[n] == 0) continue;
    s.n = static_cast<std::uint32_t>(layout.count[n]);
    const std::uint64_t off = layout.offset[n];
    if (fail(state_->kernels.gemm(*batch, tail(k_stack, std::uint64_t(n * kr)), tail(x, off), tail(y, off),
                                  s)))
      return;
  }
}

void VulkanBackend::scale_rows(BackendBuffer& x, const TokenLayout& layout, const BackendBuffer& s) {
  backend_checks::check_scale_rows(x, layout, s);
  Batch* batch = recording();
  const DeviceTokenLayout* dl = device_layout(layout);
  if (!batch || !dl) return;
  fail(state_->kernels.scale_rows(*batch, matrix(x), *dl, device_buffer(s).data));
}

void VulkanBackend::scale_columns(BackendBuffer& x, const TokenLayout& layout, const BackendBuffer& coef) {
  backend_checks::check_scale_columns(x, layout, coef);
  Batch* batch = recording();
  const DeviceTokenLayout* dl = device_layout(layout);
  if (!batch || !dl) return;
  fail(state_->kernels.scale_columns(*batch, matrix(x), *dl, matrix(coef)));
}

void VulkanBackend::add_to_row(BackendBuffer& x, const TokenLayout& layout, std::int64_t row,
                               const BackendBuffer& bias) {
  backend_checks::check_add_to_row(x, layout, row, bias);
  Batch* batch = recording();
  const DeviceTokenLayout* dl = device_layout(layout);
  if (!batch || !dl) return;
  fail(state_->kernels.add_to_row(*batch, matrix(x), *dl, static_cast<std::uint32_t>(row), matrix(bias)));
}

void VulkanBackend::attention_mix(const BackendBuffer& x, BackendBuffer& y, const TokenLayout& layout,
                                  const BackendBuffer& probs, const HeadShape& shape, bool transpose) {
  backend_checks::check_attention_mix(x, y, layout, probs, shape, transpose);
  Batch* batch = recording();
  const DeviceTokenLayout* dl = device_layout(layout);
  if (!batch || !dl) return;
  const AttentionHeads heads{static_cast<std::uint32_t>(shape.heads),
                             static_cast<std::uint32_t>(shape.kv_heads),
                             static_cast<std::uint32_t>(shape.head_dim)};
  fail(state_->kernels.attention_mix(*batch, matrix(x), matrix(y), *dl, matrix(probs), heads, transpose));
}

namespace {

// Downloads a reduction's scratch buffer as doubles (zeros when `ok` is false).
Eigen::MatrixXd scratch_result(Context& ctx, const Buffer& scratch, std::int64_t rows, std::int64_t cols,
                               bool ok, Status& failure) {
  Eigen::MatrixXf f = Eigen::MatrixXf::Zero(rows, cols);
  if (ok) {
    Status s =
        ctx.download(BufferView(scratch, 0, std::uint64_t(f.size())), std::span<float>(f.data(), f.size()));
    if (!s.ok()) {
      failure = s;
      f.setZero();
    }
  }
  return f.cast<double>();
}

}  // namespace

VecD VulkanBackend::row_sq_norms(const BackendBuffer& x) {
  bool ok = false;
  Buffer scratch;
  if (Batch* batch = recording()) {
    auto out = ctx_->create_buffer(std::uint64_t(x.rows()), "row_sq_norms");
    if (!fail(out.ok() ? Status::Ok() : Status(out.error()))) {
      scratch = std::move(*out);
      ok = !fail(state_->kernels.row_sq_norms(*batch, matrix(x), scratch)) && finish().ok();
    }
  }
  Status download;
  VecD result = scratch_result(*ctx_, scratch, x.rows(), 1, ok, download);
  fail(download);
  return result;
}

VecD VulkanBackend::row_dots(const BackendBuffer& x, const TokenLayout& layout, const BackendBuffer& v) {
  backend_checks::check_row_dots(x, layout, v);
  bool ok = false;
  Buffer scratch;
  Batch* batch = recording();
  const DeviceTokenLayout* dl = device_layout(layout);
  if (batch && dl) {
    auto out = ctx_->create_buffer(std::uint64_t(x.rows()), "row_dots");
    if (!fail(out.ok() ? Status::Ok() : Status(out.error()))) {
      scratch = std::move(*out);
      ok = !fail(state_->kernels.row_dots(*batch, matrix(x), *dl, matrix(v), scratch)) && finish().ok();
    }
  }
  Status download;
  VecD result = scratch_result(*ctx_, scratch, x.rows(), 1, ok, download);
  fail(download);
  return result;
}

MatD VulkanBackend::group_contract(const BackendBuffer& x, const TokenLayout& layout, std::int64_t group,
                                   const BackendBuffer& v) {
  backend_checks::check_group_contract(x, layout, group, v);
  const std::int64_t out_rows = layout.total_rows / group;
  bool ok = false;
  Buffer scratch;
  Batch* batch = recording();
  const DeviceTokenLayout* dl = device_layout(layout);
  if (batch && dl) {
    auto out = ctx_->create_buffer(std::uint64_t(out_rows) * std::uint64_t(x.cols()), "group_contract");
    if (!fail(out.ok() ? Status::Ok() : Status(out.error()))) {
      scratch = std::move(*out);
      const MatrixView out_view{BufferView(scratch), static_cast<std::uint32_t>(out_rows),
                                static_cast<std::uint32_t>(x.cols())};
      ok = !fail(state_->kernels.group_contract(*batch, matrix(x), *dl, static_cast<std::uint32_t>(group),
                                                matrix(v), out_view)) &&
           finish().ok();
    }
  }
  Status download;
  MatD result = scratch_result(*ctx_, scratch, out_rows, x.cols(), ok, download);
  fail(download);
  return result;
}

// ---------------------------------------------------------------------------------------------

BackendSelection select_backend(const BackendRequest& request) {
  BackendSelection out;
  auto cpu = [&](std::string why) {
    out.backend = std::make_unique<CpuBackend>(request.cpu_threads);
    out.gpu = false;
    out.note = why.empty() ? "cpu backend" : "cpu backend (" + why + ")";
    return std::move(out);
  };
  if (!request.prefer_gpu) return cpu("");
  if (request.precision == Precision::Float64) return cpu("float64 runs on the CPU");
  auto vk = VulkanBackend::create(request.device);
  if (!vk.ok()) return cpu("GPU unavailable: " + vk.error().message);
  out.note = "vulkan backend on '" + (*vk)->context().device().name + "'";
  out.backend = std::move(*vk);
  out.gpu = true;
  return out;
}

}  // namespace tl::gpu
