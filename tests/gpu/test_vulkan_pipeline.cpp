// The shader pipeline end to end: shaders/saxpy.comp compiled by glslc at build time, embedded,
// dispatched through gpu::Batch on the Vulkan device (lavapipe in CI), and the dispatch helper's
// checks. Tolerance for saxpy: 1 ulp-scale (1e-6 relative), since the device may fuse a*x+y.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/gpu/gpu.h"
#include "core/gpu/shader_params.h"
#include "gpu_test_support.h"

namespace tl::gpu {
namespace {

using testing::random_floats;

Status run_saxpy(Context& ctx, BufferView x, BufferView y, std::uint32_t n, float a) {
  auto batch = ctx.begin_batch();
  if (!batch.ok()) return batch.error();
  SaxpyParams params{n, a};
  if (Status s = batch->dispatch("saxpy", {x, y}, params, {(n + 63) / 64, 1, 1}); !s.ok()) return s;
  return batch->submit_and_wait();
}

TEST(VulkanPipeline, SaxpyMatchesHostOnOddSizes) {
  TL_GPU_CONTEXT_OR_SKIP(ctx);
  for (std::uint32_t n : {1u, 7u, 33u, 129u, 4099u}) {
    const auto x = random_floats(n, 1 + n);
    const auto y0 = random_floats(n, 2 + n);
    auto bx = ctx.create_buffer(n, "x");
    auto by = ctx.create_buffer(n, "y");
    ASSERT_TRUE(bx.ok() && by.ok());
    ASSERT_TRUE(ctx.upload(*bx, x).ok());
    ASSERT_TRUE(ctx.upload(*by, y0).ok());
    Status s = run_saxpy(ctx, *bx, *by, n, 2.5f);
    ASSERT_TRUE(s.ok()) << s.error().message;
    std::vector<float> y(n);
    ASSERT_TRUE(ctx.download(*by, y).ok());
    for (std::uint32_t i = 0; i < n; ++i)
      EXPECT_NEAR(y[i], 2.5f * x[i] + y0[i], 1e-6) << "n=" << n << " i=" << i;
  }
}

TEST(VulkanPipeline, ViewsMayStartAtUnalignedOffsets) {
  TL_GPU_CONTEXT_OR_SKIP(ctx);
  const std::uint32_t n = 37;
  auto buf = ctx.create_buffer(200, "both");
  ASSERT_TRUE(buf.ok());
  const auto all = random_floats(200, 3);
  ASSERT_TRUE(ctx.upload(*buf, all).ok());
  // x = elements [3, 40), y = elements [101, 138): neither start is 16-byte aligned.
  Status s = run_saxpy(ctx, BufferView(*buf, 3, n), BufferView(*buf, 101, n), n, -1.5f);
  ASSERT_TRUE(s.ok()) << s.error().message;
  std::vector<float> got(200);
  ASSERT_TRUE(ctx.download(*buf, got).ok());
  for (std::uint32_t i = 0; i < 200; ++i) {
    const bool in_y = i >= 101 && i < 101 + n;
    const float want = in_y ? -1.5f * all[3 + (i - 101)] + all[i] : all[i];
    EXPECT_NEAR(got[i], want, 1e-6) << i;
  }
}

TEST(VulkanPipeline, OneBatchRunsDependentDispatchesInOrder) {
  TL_GPU_CONTEXT_OR_SKIP(ctx);
  const std::uint32_t n = 129;
  std::vector<float> ones(n, 1.0f);
  auto x = ctx.create_buffer(n, "x");
  auto y = ctx.create_buffer(n, "y");
  ASSERT_TRUE(x.ok() && y.ok());
  ASSERT_TRUE(ctx.upload(*x, ones).ok());
  auto batch = ctx.begin_batch();
  ASSERT_TRUE(batch.ok());
  ASSERT_TRUE(batch->fill(*y, 0.5f).ok());
  // y = 0.5 -> 2.5 -> 4.5 -> ... ; each step reads the previous step's result.
  for (int step = 0; step < 10; ++step)
    ASSERT_TRUE(batch->dispatch("saxpy", {*x, *y}, SaxpyParams{n, 2.0f}, {3, 1, 1}).ok());
  auto copy = ctx.create_buffer(n, "copy");
  ASSERT_TRUE(copy.ok());
  ASSERT_TRUE(batch->copy(*y, *copy).ok());
  EXPECT_EQ(batch->recorded_commands(), 12u);
  Status s = batch->submit_and_wait();
  ASSERT_TRUE(s.ok()) << s.error().message;
  std::vector<float> got(n);
  ASSERT_TRUE(ctx.download(*copy, got).ok());
  for (float v : got) EXPECT_EQ(v, 20.5f);
  EXPECT_FALSE(batch->submit_and_wait().ok()) << "a batch is single-use";
}

TEST(VulkanPipeline, UploadDownloadRoundTripWithOffsets) {
  TL_GPU_CONTEXT_OR_SKIP(ctx);
  auto buf = ctx.create_buffer(1000, "roundtrip");
  ASSERT_TRUE(buf.ok());
  std::vector<float> zeros(1000, 1.0f);
  ASSERT_TRUE(ctx.download(*buf, zeros).ok());
  for (float v : zeros) ASSERT_EQ(v, 0.0f) << "new buffers are zeroed";
  const auto part = random_floats(333, 4);
  ASSERT_TRUE(ctx.upload(BufferView(*buf, 555, 333), part).ok());
  std::vector<float> back(333);
  ASSERT_TRUE(ctx.download(BufferView(*buf, 555, 333), back).ok());
  EXPECT_EQ(back, part);
  std::vector<std::uint32_t> ids = {0, 7, 4294967295u};
  ASSERT_TRUE(ctx.upload(BufferView(*buf, 1, 3), ids).ok());
  std::vector<std::uint32_t> ids_back(3);
  ASSERT_TRUE(ctx.download(BufferView(*buf, 1, 3), ids_back).ok());
  EXPECT_EQ(ids_back, ids);
  EXPECT_FALSE(ctx.upload(BufferView(*buf, 990, 20), part).ok()) << "view outside the buffer";
  EXPECT_FALSE(ctx.upload(BufferView(*buf, 0, 10), part).ok()) << "span size differs from the view";
}

// Strided transfers (bands of rows of column-major matrices), mapped and through the staging
// buffer that discrete GPUs need (forced here), including a transfer larger than one staging chunk.
TEST(VulkanPipeline, StridedAndStagedTransfers) {
  for (bool staging : {false, true}) {
    testing::quiet_vulkan_loader();
    ContextOptions o;
    o.force_staging = staging;
    auto created = Context::create(o);
    if (!created.ok()) GTEST_SKIP() << "no Vulkan: " << created.error().message;
    Context& ctx = **created;
    // A 13 x 5 column-major matrix; rows [4, 11) of it are 5 runs of 7 with stride 13.
    auto m = ctx.create_buffer(13 * 5, "matrix");
    ASSERT_TRUE(m.ok());
    const auto band = random_floats(7 * 5, 5);
    const StridedView rows{&*m, 4, 7, 13, 5};
    ASSERT_TRUE(ctx.upload(rows, band).ok());
    std::vector<float> all(13 * 5);
    ASSERT_TRUE(ctx.download(*m, all).ok());
    for (int c = 0; c < 5; ++c)
      for (int r = 0; r < 13; ++r)
        EXPECT_EQ(all[c * 13 + r], r >= 4 && r < 11 ? band[c * 7 + (r - 4)] : 0.0f) << "staging=" << staging;
    std::vector<float> back(7 * 5);
    ASSERT_TRUE(ctx.download(rows, back).ok());
    EXPECT_EQ(back, band);
    EXPECT_FALSE(ctx.upload(StridedView{&*m, 10, 7, 13, 5}, band).ok()) << "runs past the end";

    Status s = run_saxpy(ctx, *m, *m, 13 * 5, 1.0f);  // doubles every element, through the batch path
    ASSERT_TRUE(s.ok()) << s.error().message;
    ASSERT_TRUE(ctx.download(rows, back).ok());
    for (int i = 0; i < 35; ++i) EXPECT_EQ(back[i], 2.0f * band[i]);

    const std::size_t big = (68u << 20) / 4;  // 68 MiB: more than one 64 MiB staging chunk
    std::vector<float> large(big);
    for (std::size_t i = 0; i < big; ++i) large[i] = float(i % 1000003);
    auto lb = ctx.create_buffer(big, "large");
    ASSERT_TRUE(lb.ok()) << lb.error().message;
    ASSERT_TRUE(ctx.upload(*lb, large).ok());
    std::vector<float> large_back(big);
    ASSERT_TRUE(ctx.download(*lb, large_back).ok());
    EXPECT_TRUE(large_back == large) << "staging=" << staging;
  }
}

TEST(VulkanPipeline, DispatchHelperRejectsMismatches) {
  TL_GPU_CONTEXT_OR_SKIP(ctx);
  auto a = ctx.create_buffer(64, "a");
  auto b = ctx.create_buffer(64, "b");
  ASSERT_TRUE(a.ok() && b.ok());
  auto batch = ctx.begin_batch();
  ASSERT_TRUE(batch.ok());
  const SaxpyParams params{64, 1.0f};

  Status s = batch->dispatch("saxpy", {*a}, params, {1, 1, 1});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("takes 2 buffers, 1 given"), std::string::npos) << s.error().message;

  struct WrongParams {
    std::uint32_t n, a, extra;
  };
  s = batch->dispatch("saxpy", {*a, *b}, WrongParams{64, 0, 0}, {1, 1, 1});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("params of 12 bytes, the shader expects 8"), std::string::npos)
      << s.error().message;

  s = batch->dispatch("saxpy", {*a, *b}, params, {ctx.limits().max_workgroup_count[0] + 1u, 1, 1});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("exceed the device limit"), std::string::npos) << s.error().message;

  s = batch->dispatch("saxpy", {*a, BufferView(*b, 60, 10)}, params, {1, 1, 1});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("outside buffer 'b'"), std::string::npos) << s.error().message;

  s = batch->dispatch("no_such_kernel", {*a, *b}, params, {1, 1, 1});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("no compiled shader named 'no_such_kernel'"), std::string::npos)
      << s.error().message;

  // Nothing bad was recorded: the batch still runs.
  EXPECT_TRUE(batch->submit_and_wait().ok());
}

TEST(VulkanPipeline, ReflectsTheKernelWorkgroupSize) {
  TL_GPU_CONTEXT_OR_SKIP(ctx);
  auto ls = ctx.local_size("saxpy");
  ASSERT_TRUE(ls.ok()) << ls.error().message;
  EXPECT_EQ((*ls)[0], 64u);
  EXPECT_EQ((*ls)[1], 1u);
  EXPECT_EQ((*ls)[2], 1u);
}

}  // namespace
}  // namespace tl::gpu
