// The one device policy (core/engine/device_policy.h), the same for the CLI and the GUI: "auto"
// takes a real GPU and never a CPU implementation of Vulkan, "gpu" and selectors take what they
// name, float64 always runs on the CPU. Pure logic on made-up device lists, then engine::Device
// on this machine's devices (lavapipe on CI).
#include <gtest/gtest.h>

#include "core/engine/device.h"
#include "core/engine/device_policy.h"
#include "core/engine/session.h"

namespace tl::engine {
namespace {

gpu::DeviceInfo fake(std::uint32_t index, std::string name, gpu::DeviceKind kind) {
  gpu::DeviceInfo d;
  d.index = index;
  d.name = std::move(name);
  d.kind = kind;
  d.heaps = {{4ull << 30, true}};
  d.has_compute_queue = true;
  return d;
}

using Devices = Result<std::vector<gpu::DeviceInfo>>;

TEST(DevicePolicy, ChoicesAreNormalised) {
  EXPECT_EQ(normalise_device_choice(""), "auto");
  EXPECT_EQ(normalise_device_choice(" AUTO "), "auto");
  EXPECT_EQ(normalise_device_choice("Cpu"), "cpu");
  EXPECT_EQ(normalise_device_choice("GPU"), "gpu");
  EXPECT_EQ(normalise_device_choice(" RTX 4090 "), "RTX 4090");
}

TEST(DevicePolicy, AutoTakesARealGpuAndNeverACpuImplementation) {
  const Devices lavapipe_only = std::vector{fake(0, "llvmpipe (LLVM 15)", gpu::DeviceKind::Cpu)};
  DeviceDecision d = decide_device("auto", Precision::Float32, lavapipe_only, nullptr);
  EXPECT_FALSE(d.use_gpu);
  EXPECT_NE(d.why_cpu.find("llvmpipe"), std::string::npos) << d.why_cpu;
  EXPECT_NE(d.why_cpu.find("runs on the CPU"), std::string::npos) << d.why_cpu;

  // TL_GPU_DEVICE names a device: the user asked for it.
  EXPECT_TRUE(decide_device("auto", Precision::Float32, lavapipe_only, "llvmpipe").use_gpu);

  const Devices with_gpu = std::vector{fake(0, "llvmpipe", gpu::DeviceKind::Cpu),
                                       fake(1, "NVIDIA H100", gpu::DeviceKind::Discrete)};
  d = decide_device("auto", Precision::Float32, with_gpu, nullptr);
  EXPECT_TRUE(d.use_gpu);
  EXPECT_EQ(d.selector, "");

  d = decide_device("auto", Precision::Float32, Devices(make_error("no Vulkan loader")), nullptr);
  EXPECT_FALSE(d.use_gpu);
  EXPECT_NE(d.why_cpu.find("no Vulkan loader"), std::string::npos);
}

TEST(DevicePolicy, ExplicitChoicesAndFloat64) {
  const Devices lavapipe_only = std::vector{fake(0, "llvmpipe", gpu::DeviceKind::Cpu)};
  EXPECT_FALSE(decide_device("cpu", Precision::Float32, lavapipe_only, nullptr).use_gpu);
  EXPECT_TRUE(decide_device("gpu", Precision::Float32, lavapipe_only, nullptr).use_gpu);
  DeviceDecision d = decide_device("llvm", Precision::Float32, lavapipe_only, nullptr);
  EXPECT_TRUE(d.use_gpu);
  EXPECT_EQ(d.selector, "llvm");
  d = decide_device("gpu", Precision::Float64, lavapipe_only, nullptr);
  EXPECT_FALSE(d.use_gpu);
  EXPECT_EQ(d.why_cpu, "float64 runs on the CPU");
}

// One Device computes and colours: its context exists exactly when it computes on a GPU.
TEST(EngineDevice, OneContextSharedWithColouring) {
  Device cpu("cpu");
  bool saw = false;
  cpu.with_gpu_context([&](const std::shared_ptr<gpu::Context>& ctx) { saw = ctx != nullptr; });
  EXPECT_FALSE(saw);
  EXPECT_FALSE(cpu.on_gpu());
  EXPECT_NE(cpu.note().find("cpu backend"), std::string::npos) << cpu.note();

  auto devices = gpu::list_devices();
  if (!devices || devices->empty()) GTEST_SKIP() << "no Vulkan device on this machine";
  auto device = std::make_shared<Device>("0");
  Device& first = *device;
  auto session = Session::open_embedded(device);
  ASSERT_TRUE(session.ok()) << session.error().message;
  auto analysis = (*session)->analyse("Once upon a time");
  ASSERT_TRUE(analysis.ok()) << analysis.error().message;
  EXPECT_TRUE(first.on_gpu()) << first.note();
  gpu::Context* seen = nullptr;
  first.with_gpu_context([&](const std::shared_ptr<gpu::Context>& ctx) { seen = ctx.get(); });
  ASSERT_NE(seen, nullptr);
  // The map is computed on the same context (no second VkDevice), and equals the CPU's.
  auto map = (*session)->compute_map(*analysis, {.method = "tensorlens-in"});
  ASSERT_TRUE(map.ok()) << map.error().message;
  gpu::Context* again = nullptr;
  first.with_gpu_context([&](const std::shared_ptr<gpu::Context>& ctx) { again = ctx.get(); });
  EXPECT_EQ(again, seen);
  auto cpu_session = (*session)->with_device(std::make_shared<Device>("cpu"));
  auto cpu_analysis = cpu_session->analyse("Once upon a time");
  ASSERT_TRUE(cpu_analysis.ok());
  auto cpu_map = cpu_session->compute_map(*cpu_analysis, {.method = "tensorlens-in"});
  ASSERT_TRUE(cpu_map.ok());
  const double scale = std::max(1.0, cpu_map->values.cwiseAbs().maxCoeff());
  EXPECT_LT((map->values - cpu_map->values).cwiseAbs().maxCoeff() / scale, 1e-4);
}

}  // namespace
}  // namespace tl::engine
