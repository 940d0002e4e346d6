#pragma once
// TL_VK_CHECK: the one way core/gpu checks a VkResult (internal to core/gpu).
//
//   TL_VK_CHECK(fns.vkCreateBuffer(device, &info, nullptr, &buffer));
//
// On a negative VkResult the enclosing function returns an Error (it must return Status or
// Result<T>) whose message starts with the problem a user can act on, then the details:
//   "out of device memory: vkAllocateMemory(...) returned VK_ERROR_OUT_OF_DEVICE_MEMORY
//    (core/gpu/buffer.cpp:88)"
// Prefixes: "out of device memory", "out of host memory", "device lost",
// "Vulkan initialisation failed", "Vulkan error".
#include "core/gpu/vulkan_loader.h"

namespace tl::gpu {

const char* vk_result_name(VkResult r);

// The user-facing category of a failure ("device lost", ...), see above.
const char* vk_result_problem(VkResult r);

Error vk_error(const char* expression, VkResult r, const char* file, int line);

}  // namespace tl::gpu

#define TL_VK_CHECK(expr)                                                                                    \
  do {                                                                                                       \
    const VkResult tl_vk_check_result_ = (expr);                                                             \
    if (tl_vk_check_result_ < 0) return ::tl::gpu::vk_error(#expr, tl_vk_check_result_, __FILE__, __LINE__); \
  } while (0)
