// The stream-state kernels (token_scale, token_row_bias, attention_mix, row_sq_norms, row_dots,
// group_contract, saxpy) against Eigen references written from the Backend contract
// (core/backend/backend.h), on column-major states with blocks of odd and uneven sizes, an empty
// block and rows outside every block. Bound: max|gpu - ref| / max|ref| < 1e-5.
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>

#include "core/gpu/compute_kernels.h"
#include "gpu_test_support.h"

namespace tl::gpu {
namespace {

using Eigen::MatrixXd;
using Eigen::MatrixXf;
using testing::device_copy;
using testing::flat;
using testing::host_copy;
using testing::normalised_error;
using testing::random_matrix;
using testing::unflat;

constexpr double kBound = 1e-5;

// Seven tokens with blocks of 3, 0, 5, 1, 7, 2, 4 rows; one unused row after block 2 and one at
// the end (rows outside every block must be left alone).
struct Layout {
  std::vector<std::int64_t> offset, count;
  std::int64_t rows = 0;
};
Layout uneven_layout() {
  Layout l;
  const std::vector<std::int64_t> counts = {3, 0, 5, 1, 7, 2, 4};
  std::int64_t at = 0;
  for (std::size_t n = 0; n < counts.size(); ++n) {
    l.offset.push_back(at);
    l.count.push_back(counts[n]);
    at += counts[n];
    if (n == 2) ++at;  // gap
  }
  l.rows = at + 1;
  return l;
}

int token_of(const Layout& l, std::int64_t r) {
  for (std::size_t n = 0; n < l.count.size(); ++n)
    if (r >= l.offset[n] && r < l.offset[n] + l.count[n]) return int(n);
  return -1;
}

class StreamKernels : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::quiet_vulkan_loader();
    auto c = Context::create();
    if (!c.ok()) GTEST_SKIP() << "no Vulkan: " << c.error().message;
    ctx = std::move(*c);
    kernels = std::make_unique<ComputeKernels>(*ctx);
    layout = uneven_layout();
    auto dl = upload_token_layout(*ctx, layout.offset, layout.count, layout.rows);
    ASSERT_TRUE(dl.ok()) << dl.error().message;
    device_layout = std::move(*dl);
  }

  MatrixView on_device(const MatrixXf& m, const char* label) {
    owned.push_back(device_copy(*ctx, flat(m), label));
    return MatrixView{owned.back(), std::uint32_t(m.rows()), std::uint32_t(m.cols())};
  }
  MatrixXf back(const MatrixView& v) { return unflat(host_copy(*ctx, *v.data.buffer), v.rows, v.cols); }
  template <class F>
  void run(F&& record) {
    auto b = ctx->begin_batch();
    ASSERT_TRUE(b.ok());
    Status s = record(*b);
    ASSERT_TRUE(s.ok()) << s.error().message;
    Status done = b->submit_and_wait();
    ASSERT_TRUE(done.ok()) << done.error().message;
  }
  static double err(const MatrixXf& got, const MatrixXd& want) {
    return normalised_error(flat(got), flat(want.cast<float>()));
  }

  std::unique_ptr<Context> ctx;
  std::unique_ptr<ComputeKernels> kernels;
  Layout layout;
  DeviceTokenLayout device_layout;
  std::deque<Buffer> owned;  // deque: views keep pointing at their buffers as it grows
};

TEST_F(StreamKernels, ScaleRowsAndColumns) {
  const int n_tok = 7;
  for (int cols : {1, 7, 33}) {
    const MatrixXf x = random_matrix(layout.rows, cols, 100 + cols);
    const MatrixXf s = random_matrix(n_tok, 1, 101);
    const MatrixXf coef = random_matrix(n_tok, cols, 102);
    MatrixXd want_rows = x.cast<double>(), want_cols = x.cast<double>();
    for (int n = 0; n < n_tok; ++n) {
      want_rows.middleRows(layout.offset[n], layout.count[n]) *= double(s(n, 0));
      want_cols.middleRows(layout.offset[n], layout.count[n]) *= coef.row(n).cast<double>().asDiagonal();
    }
    MatrixView dx = on_device(x, "x"), dy = on_device(x, "y");
    MatrixView ds = on_device(s, "s"), dc = on_device(coef, "coef");
    run([&](Batch& b) { return kernels->scale_rows(b, dx, device_layout, ds.data); });
    run([&](Batch& b) { return kernels->scale_columns(b, dy, device_layout, dc); });
    EXPECT_LT(err(back(dx), want_rows), kBound) << "cols=" << cols;
    EXPECT_LT(err(back(dy), want_cols), kBound) << "cols=" << cols;
  }
}

TEST_F(StreamKernels, AddToRow) {
  const int n_tok = 7, cols = 33;
  for (std::uint32_t row : {0u, 2u, 6u}) {
    const MatrixXf x = random_matrix(layout.rows, cols, 200 + row);
    const MatrixXf bias = random_matrix(n_tok, cols, 201);
    MatrixXd want = x.cast<double>();
    for (int n = 0; n < n_tok; ++n)
      if (layout.count[n] > row) want.row(layout.offset[n] + row) += bias.row(n).cast<double>();
    MatrixView dx = on_device(x, "x"), db = on_device(bias, "bias");
    run([&](Batch& b) { return kernels->add_to_row(b, dx, device_layout, row, db); });
    EXPECT_LT(err(back(dx), want), kBound) << "row=" << row;
  }
}

// y += mix(x) by the Backend contract, written as loops over (i, k, r).
MatrixXd reference_mix(const Layout& l, const MatrixXf& x, const MatrixXf& y, const MatrixXf& probs,
                       const AttentionHeads& h, bool transpose) {
  const int n_tok = int(l.count.size()), hd = int(h.head_dim), per_group = int(h.heads / h.kv_heads);
  MatrixXd out = y.cast<double>();
  for (int head = 0; head < int(h.heads); ++head) {
    const int g = head / per_group;
    for (int i = 0; i < n_tok; ++i) {
      for (int k = 0; k < n_tok; ++k) {
        const double a = probs(head * n_tok + i, k);
        const std::int64_t rows = std::min(l.count[i], l.count[k]);
        for (std::int64_t r = 0; r < rows; ++r)
          for (int c = 0; c < hd; ++c) {
            if (!transpose)
              out(l.offset[i] + r, head * hd + c) += a * x(l.offset[k] + r, g * hd + c);
            else
              out(l.offset[k] + r, g * hd + c) += a * x(l.offset[i] + r, head * hd + c);
          }
      }
    }
  }
  return out;
}

TEST_F(StreamKernels, AttentionMixForwardAndAdjointWithGroupedHeads) {
  const int n_tok = 7;
  for (AttentionHeads h : {AttentionHeads{1, 1, 1}, AttentionHeads{4, 2, 3}, AttentionHeads{3, 3, 5}}) {
    MatrixXf probs = random_matrix(h.heads * n_tok, n_tok, 300 + h.heads).cwiseAbs();
    for (std::uint32_t head = 0; head < h.heads; ++head)  // causal zeros, as the engine passes them
      for (int i = 0; i < n_tok; ++i)
        for (int k = i + 1; k < n_tok; ++k) probs(head * n_tok + i, k) = 0.0f;
    for (bool transpose : {false, true}) {
      const int x_cols = int((transpose ? h.heads : h.kv_heads) * h.head_dim);
      const int y_cols = int((transpose ? h.kv_heads : h.heads) * h.head_dim);
      const MatrixXf x = random_matrix(layout.rows, x_cols, 301);
      const MatrixXf y = random_matrix(layout.rows, y_cols, 302);  // mixing accumulates
      MatrixView dx = on_device(x, "x"), dy = on_device(y, "y"), dp = on_device(probs, "probs");
      run([&](Batch& b) { return kernels->attention_mix(b, dx, dy, device_layout, dp, h, transpose); });
      EXPECT_LT(err(back(dy), reference_mix(layout, x, y, probs, h, transpose)), kBound)
          << "heads=" << h.heads << " kv=" << h.kv_heads << " hd=" << h.head_dim
          << " transpose=" << transpose;
    }
  }
}

TEST_F(StreamKernels, RowSquaredNormsAndSignedDots) {
  const int n_tok = 7;
  for (int cols : {1, 33, 129}) {
    const MatrixXf x = random_matrix(layout.rows, cols, 400 + cols);
    const MatrixXf v = random_matrix(n_tok, cols, 401);
    MatrixXd sq(layout.rows, 1), dots(layout.rows, 1);
    for (std::int64_t r = 0; r < layout.rows; ++r) {
      sq(r, 0) = x.row(r).cast<double>().squaredNorm();
      const int t = token_of(layout, r);
      dots(r, 0) = t < 0 ? 0.0 : x.row(r).cast<double>().dot(v.row(t).cast<double>());
    }
    MatrixView dx = on_device(x, "x"), dv = on_device(v, "v");
    MatrixView out_sq = on_device(MatrixXf::Constant(layout.rows, 1, 7.0f), "sq");
    MatrixView out_dots = on_device(MatrixXf::Constant(layout.rows, 1, 7.0f), "dots");
    run([&](Batch& b) {
      Status s = kernels->row_sq_norms(b, dx, out_sq.data);
      return s.ok() ? kernels->row_dots(b, dx, device_layout, dv, out_dots.data) : s;
    });
    EXPECT_LT(err(back(out_sq), sq), kBound) << "cols=" << cols;
    EXPECT_LT(err(back(out_dots), dots), kBound) << "cols=" << cols;
  }
}

TEST_F(StreamKernels, GroupContract) {
  const std::int64_t group = 3;
  const Layout l{{0, 3, 9, 9, 18}, {3, 6, 0, 9, 3}, 21};
  auto dl = upload_token_layout(*ctx, l.offset, l.count, l.rows);
  ASSERT_TRUE(dl.ok());
  for (int cols : {1, 7, 33}) {
    const MatrixXf x = random_matrix(l.rows, cols, 500 + cols);
    const MatrixXf v = random_matrix(3, group, 501);  // at most 3 groups per block
    MatrixXd want = MatrixXd::Zero(l.rows / group, cols);
    for (std::size_t n = 0; n < l.count.size(); ++n)
      for (std::int64_t g = 0; g < l.count[n] / group; ++g)
        want.row(l.offset[n] / group + g) =
            v.row(g).cast<double>() * x.middleRows(l.offset[n] + g * group, group).cast<double>();
    MatrixView dx = on_device(x, "x"), dv = on_device(v, "v");
    MatrixView out = on_device(MatrixXf::Constant(l.rows / group, cols, 7.0f), "out");
    run([&](Batch& b) { return kernels->group_contract(b, dx, *dl, group, dv, out); });
    EXPECT_LT(err(back(out), want), kBound) << "cols=" << cols;
  }
}

TEST_F(StreamKernels, AxpyOverWholeStates) {
  for (int rows : {1, 7, 129}) {
    const MatrixXf x = random_matrix(rows, 33, 600 + rows), y = random_matrix(rows, 33, 601);
    MatrixView dx = on_device(x, "x"), dy = on_device(y, "y");
    run([&](Batch& b) { return kernels->axpy(b, -0.75f, dx.data, dy.data); });
    EXPECT_LT(err(back(dy), (y.cast<double>() - 0.75 * x.cast<double>())), kBound);
  }
}

TEST_F(StreamKernels, LayoutChecks) {
  auto overlap =
      upload_token_layout(*ctx, std::vector<std::int64_t>{0, 2}, std::vector<std::int64_t>{3, 3}, 6);
  ASSERT_FALSE(overlap.ok());
  EXPECT_NE(overlap.error().message.find("overlap"), std::string::npos);
  auto outside = upload_token_layout(*ctx, std::vector<std::int64_t>{4}, std::vector<std::int64_t>{3}, 6);
  ASSERT_FALSE(outside.ok());
  MatrixView x = on_device(MatrixXf::Zero(5, 2), "x");
  auto b = ctx->begin_batch();
  ASSERT_TRUE(b.ok());
  MatrixView s = on_device(MatrixXf::Zero(7, 1), "s");
  Status st = kernels->scale_rows(*b, x, device_layout, s.data);
  ASSERT_FALSE(st.ok()) << "a layout for another row count";
  EXPECT_NE(st.error().message.find("token layout for 24 rows, state has 5"), std::string::npos)
      << st.error().message;
}

}  // namespace
}  // namespace tl::gpu
