#pragma once
// The one place Vulkan types cross core/gpu's boundary: render/ draws heatmaps on the device of a
// gpu::Context and needs its handles. Nothing else includes this header.
//
// Vulkan is loaded at run time (VK_NO_PROTOTYPES): render/ must not call vk* prototypes directly
// from libvulkan but load what it needs through get_instance_proc_addr / get_device_proc_addr.
// The queue is universal (graphics + compute) when the device has such a family; check
// queue_supports_graphics before drawing on it. Handles stay valid while the Context lives; all
// use is from the engine's thread, or externally synchronised with it (Vulkan queues are not
// thread-safe).
#include <cstdint>

#include "core/gpu/gpu.h"
#include "core/gpu/vulkan_loader.h"

namespace tl::gpu {

struct VulkanHandles {
  VkInstance instance = VK_NULL_HANDLE;
  VkPhysicalDevice physical_device = VK_NULL_HANDLE;
  VkDevice device = VK_NULL_HANDLE;
  VkQueue queue = VK_NULL_HANDLE;
  std::uint32_t queue_family = 0;
  bool queue_supports_graphics = false;
  std::uint32_t api_version = 0;  // the instance's
  PFN_vkGetInstanceProcAddr get_instance_proc_addr = nullptr;
  PFN_vkGetDeviceProcAddr get_device_proc_addr = nullptr;
};

VulkanHandles vulkan_handles(const Context& context);

}  // namespace tl::gpu
