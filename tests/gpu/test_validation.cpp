// Vulkan validation (core/gpu/validation.h): the layer and the messenger are on when asked for,
// an error reaches the messenger and is counted, and real work (buffers, a batch of kernels,
// transfers) raises no validation error. The GPU suites run with TL_GPU_VALIDATION=1, where the
// first error aborts the test (tests/CMakeLists.txt).
#include <gtest/gtest.h>

#include "core/gpu/compute_kernels.h"
#include "core/gpu/vulkan_device.h"
#include "tests/gpu/gpu_test_support.h"

namespace tl::gpu {
namespace {

bool layer_installed(const VulkanInstance& inst) {
  std::uint32_t n = 0;
  inst.global->vkEnumerateInstanceLayerProperties(&n, nullptr);
  std::vector<VkLayerProperties> props(n);
  inst.global->vkEnumerateInstanceLayerProperties(&n, props.data());
  for (const auto& p : props)
    if (std::string_view(p.layerName) == "VK_LAYER_KHRONOS_validation") return true;
  return false;
}

TEST(VulkanValidation, ErrorsReachTheMessengerAndAreCounted) {
  testing::ScopedEnv count_only("TL_GPU_VALIDATION", "count");  // count, do not abort, for this test
  auto inst = create_vulkan_instance(/*validation=*/true);
  if (!inst) GTEST_SKIP() << "no Vulkan: " << inst.error().message;
  if (!layer_installed(*inst)) GTEST_SKIP() << "VK_LAYER_KHRONOS_validation is not installed";
  ASSERT_TRUE(inst->messenger.active()) << "validation layer on, but no debug messenger";
  auto submit = reinterpret_cast<PFN_vkSubmitDebugUtilsMessageEXT>(
      inst->global->vkGetInstanceProcAddr(inst->instance.get(), "vkSubmitDebugUtilsMessageEXT"));
  ASSERT_NE(submit, nullptr);
  const std::uint64_t before = validation_error_count();
  auto data = vk_struct<VkDebugUtilsMessengerCallbackDataEXT>(
      VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CALLBACK_DATA_EXT);
  data.pMessage = "injected by VulkanValidation.ErrorsReachTheMessengerAndAreCounted (expected)";
  submit(inst->instance.get(), VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
         VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT, &data);
  EXPECT_EQ(validation_error_count(), before + 1);
}

TEST(VulkanValidation, RealWorkRaisesNoError) {
  ContextOptions options;
  options.validation = true;
  options.force_staging = true;  // the discrete-GPU path too: staging buffer and copy commands
  auto context = Context::create(options);
  if (!context) GTEST_SKIP() << "no Vulkan: " << context.error().message;
  const std::uint64_t before = validation_error_count();
  const std::vector<float> a(64 * 32, 0.5f), b(32 * 16, 2.0f);
  auto x = (*context)->create_buffer(a.size(), "x");
  auto w = (*context)->create_buffer(b.size(), "w");
  auto y = (*context)->create_buffer(64 * 16, "y");
  ASSERT_TRUE(x && w && y);
  ASSERT_TRUE((*context)->upload(x.value(), std::span<const float>(a)).ok());
  ASSERT_TRUE((*context)->upload(w.value(), std::span<const float>(b)).ok());
  auto batch = (*context)->begin_batch();
  ASSERT_TRUE(batch.ok()) << batch.error().message;
  GemmShape shape;
  shape.m = 64;
  shape.k = 32;
  shape.n = 16;
  ComputeKernels kernels(**context);
  const Status st = kernels.gemm(*batch, x.value(), w.value(), y.value(), shape);
  ASSERT_TRUE(st.ok()) << st.error().message;
  ASSERT_TRUE(batch->submit_and_wait().ok());
  std::vector<float> out(64 * 16);
  ASSERT_TRUE((*context)->download(y.value(), std::span<float>(out)).ok());
  EXPECT_FLOAT_EQ(out[0], 32.0f);
  EXPECT_EQ(validation_error_count(), before);
}

}  // namespace
}  // namespace tl::gpu
