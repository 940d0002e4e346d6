// Device listing, the choice of device (automatic order and overrides), the memory budget, and
// every simulated failure (TL_GPU_SIMULATE) that the CPU fallback must survive.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/gpu/failure_simulation.h"
#include "core/gpu/gpu.h"
#include "core/gpu/shader_params.h"
#include "gpu_test_support.h"

namespace tl::gpu {
namespace {

using testing::ScopedEnv;

DeviceInfo fake(std::uint32_t index, std::string name, DeviceKind kind, std::uint64_t local_bytes,
                bool compute = true) {
  DeviceInfo d;
  d.index = index;
  d.name = std::move(name);
  d.kind = kind;
  d.heaps = {{local_bytes, true}, {1ull << 30, false}};
  d.has_compute_queue = compute;
  return d;
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// --- choose_device: pure logic on synthetic lists ----------------------------------------------

TEST(DeviceChoice, PrefersDiscreteThenIntegratedThenCpu) {
  std::vector<DeviceInfo> d = {fake(0, "llvmpipe", DeviceKind::Cpu, 4ull << 30),
                               fake(1, "Intel UHD", DeviceKind::Integrated, 2ull << 30),
                               fake(2, "NVIDIA H100", DeviceKind::Discrete, 80ull << 30)};
  EXPECT_EQ(*choose_device(d, ""), 2u);
  d.pop_back();
  EXPECT_EQ(*choose_device(d, ""), 1u);
  d.pop_back();
  EXPECT_EQ(*choose_device(d, ""), 0u);
}

TEST(DeviceChoice, LargerMemoryBreaksTiesAndComputeIsRequired) {
  std::vector<DeviceInfo> d = {fake(0, "small", DeviceKind::Discrete, 8ull << 30),
                               fake(1, "big", DeviceKind::Discrete, 24ull << 30),
                               fake(2, "biggest but no compute", DeviceKind::Discrete, 48ull << 30, false)};
  EXPECT_EQ(*choose_device(d, ""), 1u);
  auto r = choose_device(d, "2");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("no compute queue"), std::string::npos);
}

TEST(DeviceChoice, OverrideByIndexOrNameSubstring) {
  std::vector<DeviceInfo> d = {fake(0, "NVIDIA GeForce RTX 4090", DeviceKind::Discrete, 24ull << 30),
                               fake(1, "llvmpipe (LLVM 15.0.6, 256 bits)", DeviceKind::Cpu, 2ull << 30)};
  EXPECT_EQ(*choose_device(d, "1"), 1u);
  EXPECT_EQ(*choose_device(d, "0"), 0u);
  EXPECT_EQ(*choose_device(d, "LLVMPIPE"), 1u) << "names match ignoring case";
  EXPECT_EQ(*choose_device(d, "rtx 40"), 0u);
  EXPECT_FALSE(choose_device(d, "4090").ok()) << "all digits always means an index";
  auto missing = choose_device(d, "radeon");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(starts_with(missing.error().message, "no Vulkan device: none named like 'radeon'"))
      << missing.error().message;
  EXPECT_NE(missing.error().message.find("1: llvmpipe"), std::string::npos) << "the error lists what exists";
  auto out_of_range = choose_device(d, "7");
  ASSERT_FALSE(out_of_range.ok());
  EXPECT_TRUE(starts_with(out_of_range.error().message, "no Vulkan device: device 7 requested"))
      << out_of_range.error().message;
  auto none = choose_device({}, "");
  ASSERT_FALSE(none.ok());
  EXPECT_TRUE(starts_with(none.error().message, "no Vulkan device")) << none.error().message;
}

// --- the machine's devices (lavapipe in CI) ----------------------------------------------------

TEST(DeviceList, ListsDevicesWithKindAndHeaps) {
  testing::quiet_vulkan_loader();
  auto list = list_devices();
  if (!list.ok()) GTEST_SKIP() << "no Vulkan: " << list.error().message;
  if (list->empty()) GTEST_SKIP() << "no Vulkan device";
  for (std::size_t i = 0; i < list->size(); ++i) {
    const DeviceInfo& d = (*list)[i];
    EXPECT_EQ(d.index, i);
    EXPECT_FALSE(d.name.empty());
    EXPECT_FALSE(d.heaps.empty());
    EXPECT_GT(d.device_local_bytes(), 0u) << d.name;
    EXPECT_FALSE(d.api_version.empty());
  }
}

TEST(DeviceList, ContextHonoursSelectorAndEnvironment) {
  testing::quiet_vulkan_loader();
  auto list = list_devices();
  if (!list.ok() || list->empty()) GTEST_SKIP() << "no Vulkan device";
  const DeviceInfo& last = list->back();
  {
    ContextOptions o;
    o.device = std::to_string(last.index);
    auto ctx = Context::create(o);
    ASSERT_TRUE(ctx.ok()) << ctx.error().message;
    EXPECT_EQ((*ctx)->device().name, last.name);
  }
  {
    ContextOptions o;
    o.device = last.name.substr(0, 4);
    auto ctx = Context::create(o);
    ASSERT_TRUE(ctx.ok()) << ctx.error().message;
    EXPECT_NE((*ctx)->device().name.find(last.name.substr(0, 4)), std::string::npos);
  }
  {
    ScopedEnv env("TL_GPU_DEVICE", "no-such-device-name");
    auto ctx = Context::create();
    ASSERT_FALSE(ctx.ok());
    EXPECT_TRUE(starts_with(ctx.error().message, "no Vulkan device: none named like 'no-such-device-name'"))
        << ctx.error().message;
  }
}

TEST(MemoryBudget, AllocationsBeyondTheBudgetFailAndFreeingReturnsBytes) {
  testing::quiet_vulkan_loader();
  ContextOptions o;
  o.memory_budget_bytes = 1 << 20;  // 1 MiB
  auto ctx = Context::create(o);
  if (!ctx.ok()) GTEST_SKIP() << "no Vulkan: " << ctx.error().message;
  Context& c = **ctx;
  EXPECT_EQ(c.memory_budget_bytes(), 1u << 20);
  auto a = c.create_buffer(200'000, "a");  // 800 kB
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_GE(c.memory_in_use_bytes(), 800'000u);
  auto b = c.create_buffer(100'000, "b");  // 400 kB more: over the budget
  ASSERT_FALSE(b.ok());
  EXPECT_TRUE(starts_with(b.error().message, "out of device memory: buffer 'b'")) << b.error().message;
  *a = Buffer();  // free
  EXPECT_EQ(c.memory_in_use_bytes(), 0u);
  auto b2 = c.create_buffer(100'000, "b");
  EXPECT_TRUE(b2.ok());
}

// --- simulated failures: each one is an Error naming the problem ---------------------------------

TEST(SimulatedFailure, NoLoader) {
  testing::quiet_vulkan_loader();
  ScopedEnv env(kSimulateEnv, "no-loader");
  auto ctx = Context::create();
  ASSERT_FALSE(ctx.ok());
  EXPECT_TRUE(starts_with(ctx.error().message, "no Vulkan loader")) << ctx.error().message;
  auto list = list_devices();
  ASSERT_FALSE(list.ok());
  EXPECT_TRUE(starts_with(list.error().message, "no Vulkan loader")) << list.error().message;
}

TEST(SimulatedFailure, NoDevice) {
  testing::quiet_vulkan_loader();
  if (!list_devices().ok()) GTEST_SKIP() << "no Vulkan loader";
  ScopedEnv env(kSimulateEnv, "no-device");
  auto ctx = Context::create();
  ASSERT_FALSE(ctx.ok());
  EXPECT_TRUE(starts_with(ctx.error().message, "no Vulkan device")) << ctx.error().message;
  auto list = list_devices();
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
}

TEST(SimulatedFailure, DeviceCreation) {
  testing::quiet_vulkan_loader();
  if (!list_devices().ok()) GTEST_SKIP() << "no Vulkan loader";
  ScopedEnv env(kSimulateEnv, "device-init");
  auto ctx = Context::create();
  ASSERT_FALSE(ctx.ok());
  EXPECT_TRUE(starts_with(ctx.error().message, "Vulkan initialisation failed")) << ctx.error().message;
}

TEST(SimulatedFailure, OutOfDeviceMemory) {
  TL_GPU_CONTEXT_OR_SKIP(ctx);
  ScopedEnv env(kSimulateEnv, "oom");
  auto buf = ctx.create_buffer(16, "activations");
  ASSERT_FALSE(buf.ok());
  EXPECT_TRUE(starts_with(buf.error().message, "out of device memory: buffer 'activations'"))
      << buf.error().message;
  EXPECT_EQ(ctx.memory_in_use_bytes(), 0u);
}

TEST(SimulatedFailure, DeviceLostMidWork) {
  TL_GPU_CONTEXT_OR_SKIP(ctx);
  auto x = ctx.create_buffer(8, "x");
  auto y = ctx.create_buffer(8, "y");
  ASSERT_TRUE(x.ok() && y.ok());
  auto batch = ctx.begin_batch();
  ASSERT_TRUE(batch.ok());
  ASSERT_TRUE(batch->dispatch("saxpy", {*x, *y}, SaxpyParams{8, 1.0f}, {1, 1, 1}).ok());
  {
    ScopedEnv env(kSimulateEnv, "device-lost");
    Status s = batch->submit_and_wait();
    ASSERT_FALSE(s.ok());
    EXPECT_TRUE(starts_with(s.error().message, "device lost")) << s.error().message;
  }
  // Lost for good: later work fails at once with the same one-line reason.
  EXPECT_TRUE(ctx.device_lost());
  std::vector<float> out(8);
  Status d = ctx.download(*x, out);
  ASSERT_FALSE(d.ok());
  EXPECT_TRUE(starts_with(d.error().message, "device lost")) << d.error().message;
  auto again = ctx.begin_batch();
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(starts_with(again.error().message, "device lost"));
}

TEST(SimulatedFailure, UnknownValueIsAnError) {
  testing::quiet_vulkan_loader();
  ScopedEnv env(kSimulateEnv, "gremlins");
  auto ctx = Context::create();
  ASSERT_FALSE(ctx.ok());
  EXPECT_NE(ctx.error().message.find("unknown value 'gremlins'"), std::string::npos) << ctx.error().message;
}

}  // namespace
}  // namespace tl::gpu
