#include "core/backend/cpu_backend.h"

#include <algorithm>
#include <atomic>
#include <fstream>
#include <new>
#include <sstream>
#include <thread>
#include <type_traits>

#include "core/backend/backend_checks.h"
#include "core/backend/cpu_sgemm.h"
#include "core/util/assert.h"

namespace tl {

std::int64_t available_system_memory() {
  std::ifstream in("/proc/meminfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("MemAvailable:", 0) == 0) {
      std::istringstream fields(line.substr(13));
      std::int64_t kib = -1;
      fields >> kib;
      return kib < 0 ? -1 : kib * 1024;
    }
  }
  return -1;
}

namespace {

template <class T>
using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;

template <class T>
class CpuBuffer final : public BackendBuffer {
 public:
  CpuBuffer(std::int64_t rows, std::int64_t cols)
      : BackendBuffer(rows, cols, std::is_same_v<T, double> ? Precision::Float64 : Precision::Float32),
        m(Mat<T>::Zero(rows, cols)) {}
  Mat<T> m;
};

template <class T>
Mat<T>& mat(BackendBuffer& b) {
  TL_ASSERT(b.precision() == (std::is_same_v<T, double> ? Precision::Float64 : Precision::Float32),
            "backend buffers of mixed precision in one kernel");
  return static_cast<CpuBuffer<T>&>(b).m;
}
template <class T>
const Mat<T>& mat(const BackendBuffer& b) {
  return mat<T>(const_cast<BackendBuffer&>(b));
}

// Calls f(T{}) with T = float or double according to the precision.
template <class F>
void dispatch(Precision p, F&& f) {
  if (p == Precision::Float64) f(double{});
  else f(float{});
}

// Runs body(task) for task in [0, tasks) on up to `threads` threads (dynamic assignment). Small
// jobs (work below ~1e5 multiply-adds) run inline: thread start-up would dominate.
template <class F>
void parallel_tasks(int threads, std::int64_t tasks, double work, F&& body) {
  const int use = static_cast<int>(std::min<std::int64_t>(threads, tasks));
  if (use <= 1 || work < 1e5) {
    for (std::int64_t t = 0; t < tasks; ++t) body(t);
    return;
  }
  std::atomic<std::int64_t> next{0};
  auto worker = [&] {
    for (std::int64_t t = next++; t < tasks; t = next++) body(t);
  };
  std::vector<std::thread> pool;
  for (int i = 1; i < use; ++i) pool.emplace_back(worker);
  worker();
  for (auto& th : pool) th.join();
}

// Splits rows [0, total) into one band per thread and calls body(row_begin, row_end).
template <class F>
void parallel_row_bands(int threads, std::int64_t total, double work, F&& body) {
  const std::int64_t bands = std::max<std::int64_t>(1, std::min<std::int64_t>(threads, total));
  parallel_tasks(threads, bands, work, [&](std::int64_t b) {
    body(total * b / bands, total * (b + 1) / bands);
  });
}

// For a band of rows [r0, r1), calls f(token, first_row, row_count) for every piece of a token
// block inside the band.
template <class F>
void for_block_pieces(const TokenLayout& layout, std::int64_t r0, std::int64_t r1, F&& f) {
  for (int n = 0; n < layout.num_tokens(); ++n) {
    const std::int64_t b0 = std::max(r0, layout.offset[n]);
    const std::int64_t b1 = std::min(r1, layout.offset[n] + layout.count[n]);
    if (b1 > b0) f(n, b0, b1 - b0);
  }
}

// Y.rows(r0 .. r0 + rows) (+)= X.rows(r0 .. r0 + rows) * op(B), B a column-major block (data, ld,
// b_rows x b_cols). Float goes through the packed AVX-512 kernel, double through Eigen.
template <class T>
void band_product(const Mat<T>& X, std::int64_t r0, std::int64_t rows, const T* b, std::int64_t ldb,
                  std::int64_t b_rows, std::int64_t b_cols, bool transpose_b, Mat<T>& Y, bool accumulate) {
  if (rows == 0) return;
  if constexpr (std::is_same_v<T, float>) {
    const std::int64_t k = transpose_b ? b_cols : b_rows, m = transpose_b ? b_rows : b_cols;
    cpu::sgemm(rows, m, k, X.data() + r0, X.rows(), b, ldb, transpose_b, Y.data() + r0, Y.rows(), accumulate);
  } else {
    using ConstMap = Eigen::Map<const Mat<T>, 0, Eigen::OuterStride<>>;
    ConstMap B(b, b_rows, b_cols, Eigen::OuterStride<>(ldb));
    auto xs = X.middleRows(r0, rows);
    auto ys = Y.middleRows(r0, rows);
    if (transpose_b) {
      if (accumulate) ys.noalias() += xs * B.transpose();
      else ys.noalias() = xs * B.transpose();
    } else {
      if (accumulate) ys.noalias() += xs * B;
      else ys.noalias() = xs * B;
    }
  }
}

}  // namespace

CpuBackend::CpuBackend(int threads)
    : threads_(threads > 0 ? threads : std::max(1, static_cast<int>(std::thread::hardware_concurrency()))) {}

// Eigen's single-threaded GEMM on one AVX2/AVX-512 core sustains roughly these (measured on the
// CI-class machine, bench_lens); estimates only.
double CpuBackend::nominal_gflops(Precision p) const { return threads_ * (p == Precision::Float64 ? 20.0 : 45.0); }

Result<Buffer> CpuBackend::allocate(std::int64_t rows, std::int64_t cols, Precision p) {
  backend_checks::check_allocate(rows, cols);
  const std::int64_t bytes = rows * cols * (p == Precision::Float64 ? 8 : 4);
  const std::int64_t available = available_system_memory();
  if (available >= 0 && bytes > available) {
    return make_error("cpu backend: cannot allocate " + std::to_string(bytes >> 20) + " MiB (" +
                      std::to_string(available >> 20) + " MiB available)");
  }
  try {
    if (p == Precision::Float64) return Buffer(std::make_unique<CpuBuffer<double>>(rows, cols));
    return Buffer(std::make_unique<CpuBuffer<float>>(rows, cols));
  } catch (const std::bad_alloc&) {
    return make_error("cpu backend: out of memory allocating " + std::to_string(bytes >> 20) + " MiB");
  }
}

void CpuBackend::upload_rows(const MatD& src, BackendBuffer& dst, std::int64_t row0) {
  backend_checks::check_upload_rows(src, dst, row0);
  dispatch(dst.precision(), [&](auto tag) {
    using T = decltype(tag);
    mat<T>(dst).middleRows(row0, src.rows()) = src.cast<T>();
  });
}

MatD CpuBackend::download_rows(const BackendBuffer& src, std::int64_t row0, std::int64_t nrows) {
  backend_checks::check_download_rows(src, row0, nrows);
  MatD out;
  dispatch(src.precision(), [&](auto tag) {
    using T = decltype(tag);
    out = mat<T>(src).middleRows(row0, nrows).template cast<double>();
  });
  return out;
}

void CpuBackend::set_zero(BackendBuffer& x) {
  dispatch(x.precision(), [&](auto tag) {
    using T = decltype(tag);
    mat<T>(x).setZero();
  });
}

void CpuBackend::axpy(double alpha, const BackendBuffer& x, BackendBuffer& y) {
  backend_checks::check_axpy(x, y);
  dispatch(x.precision(), [&](auto tag) {
    using T = decltype(tag);
    const auto& X = mat<T>(x);
    auto& Y = mat<T>(y);
    parallel_row_bands(threads_, X.rows(), double(X.size()), [&](std::int64_t r0, std::int64_t r1) {
      Y.middleRows(r0, r1 - r0) += T(alpha) * X.middleRows(r0, r1 - r0);
    });
  });
}

void CpuBackend::gemm(const BackendBuffer& x, const BackendBuffer& w, bool transpose_w, BackendBuffer& y,
                      bool accumulate) {
  backend_checks::check_gemm(x, w, transpose_w, y);
  dispatch(x.precision(), [&](auto tag) {
    using T = decltype(tag);
    const auto& X = mat<T>(x);
    const auto& W = mat<T>(w);
    auto& Y = mat<T>(y);
    const double work = double(X.rows()) * X.cols() * Y.cols();
    parallel_row_bands(threads_, X.rows(), work, [&](std::int64_t r0, std::int64_t r1) {
      band_product<T>(X, r0, r1 - r0, W.data(), W.rows(), W.rows(), W.cols(), transpose_w, Y, accumulate);
    });
  });
}

void CpuBackend::gemm_per_token(const BackendBuffer& x, const TokenLayout& layout, const BackendBuffer& k_stack,
                                bool transpose_k, BackendBuffer& y, bool accumulate) {
  backend_checks::check_gemm_per_token(x, layout, k_stack, transpose_k, y);
  const std::int64_t n_tok = layout.num_tokens();
  const std::int64_t kr = k_stack.rows() / n_tok;
  const std::int64_t kc = k_stack.cols();
  dispatch(x.precision(), [&](auto tag) {
    using T = decltype(tag);
    const auto& X = mat<T>(x);
    const auto& K = mat<T>(k_stack);
    auto& Y = mat<T>(y);
    const double work = double(X.rows()) * kr * kc;
    parallel_row_bands(threads_, X.rows(), work, [&](std::int64_t r0, std::int64_t r1) {
      for_block_pieces(layout, r0, r1, [&](int n, std::int64_t first, std::int64_t rows) {
        band_product<T>(X, first, rows, K.data() + n * kr, K.rows(), kr, kc, transpose_k, Y, accumulate);
      });
    });
  });
}

void CpuBackend::scale_rows(BackendBuffer& x, const TokenLayout& layout, const BackendBuffer& s) {
  backend_checks::check_scale_rows(x, layout, s);
  dispatch(x.precision(), [&](auto tag) {
    using T = decltype(tag);
    auto& X = mat<T>(x);
    const auto& S = mat<T>(s);
    parallel_row_bands(threads_, X.rows(), double(X.size()), [&](std::int64_t r0, std::int64_t r1) {
      for_block_pieces(layout, r0, r1, [&](int n, std::int64_t first, std::int64_t rows) {
        X.middleRows(first, rows) *= S(n, 0);
      });
    });
  });
}

void CpuBackend::scale_columns(BackendBuffer& x, const TokenLayout& layout, const BackendBuffer& coef) {
  backend_checks::check_scale_columns(x, layout, coef);
  dispatch(x.precision(), [&](auto tag) {
    using T = decltype(tag);
    auto& X = mat<T>(x);
    const auto& C = mat<T>(coef);
    parallel_row_bands(threads_, X.rows(), double(X.size()), [&](std::int64_t r0, std::int64_t r1) {
      for_block_pieces(layout, r0, r1, [&](int n, std::int64_t first, std::int64_t rows) {
        X.middleRows(first, rows) *= C.row(n).asDiagonal();
      });
    });
  });
}

void CpuBackend::add_to_row(BackendBuffer& x, const TokenLayout& layout, std::int64_t row,
                            const BackendBuffer& bias) {
  backend_checks::check_add_to_row(x, layout, row, bias);
  dispatch(x.precision(), [&](auto tag) {
    using T = decltype(tag);
    auto& X = mat<T>(x);
    const auto& B = mat<T>(bias);
    for (int n = 0; n < layout.num_tokens(); ++n) {
      if (layout.count[n] > row) X.row(layout.offset[n] + row) += B.row(n);
    }
  });
}

namespace {

// Attention mixing as products. Row r of every block is an independent stream, so for a chunk of
// rows [r0, r0 + rc) the head's columns are gathered token-major into Zt ((rc * hd) x N, zero where
// a block has no row r), multiplied by A_h^T (forward) or A_h (adjoint), and the result is added
// back to the rows each destination block has. Exactly the per-row definition in backend.h, at
// GEMM speed instead of one small axpy per (query, key) pair.
template <class T>
void mix_by_products(const Mat<T>& X, Mat<T>& Y, const TokenLayout& layout, const Mat<T>& A, const HeadShape& shape,
                     bool transpose, int threads) {
  const int n = layout.num_tokens(), hd = shape.head_dim, per_group = shape.heads / shape.kv_heads;
  const std::int64_t e_max = *std::max_element(layout.count.begin(), layout.count.end());
  if (e_max == 0) return;
  // Chunks of about 2^20 elements of scratch per thread.
  const std::int64_t rc = std::clamp<std::int64_t>((std::int64_t(1) << 20) / (std::int64_t(hd) * n), 1, e_max);
  const std::int64_t chunks = (e_max + rc - 1) / rc;
  const double work = 2.0 * n * n * double(e_max) * hd * shape.heads;
  // Task = (kv head g, row chunk): forward writes the query heads of g, the adjoint kv head g.
  parallel_tasks(threads, std::int64_t(shape.kv_heads) * chunks, work, [&](std::int64_t task) {
    const int g = static_cast<int>(task / chunks);
    const std::int64_t r0 = (task % chunks) * rc, rows = std::min(rc, e_max - r0);
    const std::int64_t m = rows * hd;
    Mat<T> z(m, n), w(m, n);
    auto gather = [&](std::int64_t col0) {
      z.setZero();
      for (int k = 0; k < n; ++k) {
        const std::int64_t have = std::clamp<std::int64_t>(layout.count[k] - r0, 0, rows);
        for (int c = 0; c < hd && have > 0; ++c) {
          z.col(k).segment(std::int64_t(c) * rows, have) = X.col(col0 + c).segment(layout.offset[k] + r0, have);
        }
      }
    };
    auto scatter = [&](std::int64_t col0) {
      for (int i = 0; i < n; ++i) {
        const std::int64_t have = std::clamp<std::int64_t>(layout.count[i] - r0, 0, rows);
        for (int c = 0; c < hd && have > 0; ++c) {
          Y.col(col0 + c).segment(layout.offset[i] + r0, have) += w.col(i).segment(std::int64_t(c) * rows, have);
        }
      }
    };
    auto product = [&](int h, bool accumulate) {  // w (+)= z op(A_h), op = transpose for forward
      const T* a = A.data() + std::int64_t(h) * n;
      if constexpr (std::is_same_v<T, float>) {
        cpu::sgemm(m, n, n, z.data(), m, a, A.rows(), !transpose, w.data(), m, accumulate);
      } else {
        Eigen::Map<const Mat<T>, 0, Eigen::OuterStride<>> ah(a, n, n, Eigen::OuterStride<>(A.rows()));
        if (!transpose && accumulate) w.noalias() += z * ah.transpose();
        else if (!transpose) w.noalias() = z * ah.transpose();
        else if (accumulate) w.noalias() += z * ah;
        else w.noalias() = z * ah;
      }
    };
    if (!transpose) {
      gather(std::int64_t(g) * hd);
      for (int h = g * per_group; h < (g + 1) * per_group; ++h) {
        product(h, false);
        scatter(std::int64_t(h) * hd);
      }
    } else {
      for (int h = g * per_group; h < (g + 1) * per_group; ++h) {
        gather(std::int64_t(h) * hd);
        product(h, h > g * per_group);
      }
      scatter(std::int64_t(g) * hd);
    }
  });
}

}  // namespace

void CpuBackend::attention_mix(const BackendBuffer& x, BackendBuffer& y, const TokenLayout& layout,
                               const BackendBuffer& probs, const HeadShape& shape, bool transpose) {
  backend_checks::check_attention_mix(x, y, layout, probs, shape, transpose);
  dispatch(x.precision(), [&](auto tag) {
    using T = decltype(tag);
    mix_by_products<T>(mat<T>(x), mat<T>(y), layout, mat<T>(probs), shape, transpose, threads_);
  });
}

VecD CpuBackend::row_sq_norms(const BackendBuffer& x) {
  VecD out(x.rows());
  dispatch(x.precision(), [&](auto tag) {
    using T = decltype(tag);
    const auto& X = mat<T>(x);
    parallel_row_bands(threads_, X.rows(), double(X.size()), [&](std::int64_t r0, std::int64_t r1) {
      out.segment(r0, r1 - r0) =
          X.middleRows(r0, r1 - r0).template cast<double>().array().square().rowwise().sum().matrix();
    });
  });
  return out;
}

VecD CpuBackend::row_dots(const BackendBuffer& x, const TokenLayout& layout, const BackendBuffer& v) {
  backend_checks::check_row_dots(x, layout, v);
  VecD out = VecD::Zero(x.rows());
  dispatch(x.precision(), [&](auto tag) {
    using T = decltype(tag);
    const auto& X = mat<T>(x);
    const auto& V = mat<T>(v);
    for (int n = 0; n < layout.num_tokens(); ++n) {
      if (layout.count[n] == 0) continue;
      out.segment(layout.offset[n], layout.count[n]) =
          (X.middleRows(layout.offset[n], layout.count[n]) * V.row(n).transpose()).template cast<double>();
    }
  });
  return out;
}

MatD CpuBackend::group_contract(const BackendBuffer& x, const TokenLayout& layout, std::int64_t group,
                                const BackendBuffer& v) {
  backend_checks::check_group_contract(x, layout, group, v);
  MatD out = MatD::Zero(layout.total_rows / group, x.cols());
  dispatch(x.precision(), [&](auto tag) {
    using T = decltype(tag);
    const auto& X = mat<T>(x);
    const auto& V = mat<T>(v);
    for (int n = 0; n < layout.num_tokens(); ++n) {
      const std::int64_t groups = layout.count[n] / group;
      for (std::int64_t g = 0; g < groups; ++g) {
        out.row(layout.offset[n] / group + g) =
            (V.row(g) * X.middleRows(layout.offset[n] + g * group, group)).template cast<double>();
      }
    }
  });
  return out;
}

}  // namespace tl
