#pragma once
// Run-time binding to the Vulkan loader (internal to core/gpu).
//
// The programs never link libvulkan for compute: the loader is opened with dlopen the first time a
// GPU is asked for, so a machine without a loader or driver still runs everything on the CPU.
// Function pointers live in three tables filled through vkGetInstanceProcAddr/vkGetDeviceProcAddr:
//   GlobalFunctions   (no instance needed), InstanceFunctions, DeviceFunctions.
// Only the functions core/gpu calls are listed (render/ colours heatmaps with a compute kernel
// through gpu::Context, so it needs no Vulkan handles).
#ifndef VK_NO_PROTOTYPES
#define VK_NO_PROTOTYPES
#endif
#include <vulkan/vulkan.h>

#include "core/util/result.h"

namespace tl::gpu {

#define TL_VK_GLOBAL_FUNCTIONS(X)           \
  X(vkCreateInstance)                       \
  X(vkEnumerateInstanceVersion)             \
  X(vkEnumerateInstanceExtensionProperties) \
  X(vkEnumerateInstanceLayerProperties)

#define TL_VK_INSTANCE_FUNCTIONS(X)           \
  X(vkDestroyInstance)                        \
  X(vkEnumeratePhysicalDevices)               \
  X(vkGetPhysicalDeviceProperties)            \
  X(vkGetPhysicalDeviceProperties2)           \
  X(vkGetPhysicalDeviceFeatures2)             \
  X(vkGetPhysicalDeviceMemoryProperties)      \
  X(vkGetPhysicalDeviceQueueFamilyProperties) \
  X(vkEnumerateDeviceExtensionProperties)     \
  X(vkCreateDevice)                           \
  X(vkGetDeviceProcAddr)

#define TL_VK_DEVICE_FUNCTIONS(X)  \
  X(vkDestroyDevice)               \
  X(vkGetDeviceQueue)              \
  X(vkDeviceWaitIdle)              \
  X(vkCreateBuffer)                \
  X(vkDestroyBuffer)               \
  X(vkGetBufferMemoryRequirements) \
  X(vkAllocateMemory)              \
  X(vkFreeMemory)                  \
  X(vkBindBufferMemory)            \
  X(vkMapMemory)                   \
  X(vkUnmapMemory)                 \
  X(vkCreateShaderModule)          \
  X(vkDestroyShaderModule)         \
  X(vkCreateDescriptorSetLayout)   \
  X(vkDestroyDescriptorSetLayout)  \
  X(vkCreatePipelineLayout)        \
  X(vkDestroyPipelineLayout)       \
  X(vkCreateComputePipelines)      \
  X(vkDestroyPipeline)             \
  X(vkCreateDescriptorPool)        \
  X(vkDestroyDescriptorPool)       \
  X(vkAllocateDescriptorSets)      \
  X(vkUpdateDescriptorSets)        \
  X(vkCreateCommandPool)           \
  X(vkDestroyCommandPool)          \
  X(vkAllocateCommandBuffers)      \
  X(vkFreeCommandBuffers)          \
  X(vkBeginCommandBuffer)          \
  X(vkEndCommandBuffer)            \
  X(vkCmdBindPipeline)             \
  X(vkCmdBindDescriptorSets)       \
  X(vkCmdPushConstants)            \
  X(vkCmdDispatch)                 \
  X(vkCmdPipelineBarrier)          \
  X(vkCmdCopyBuffer)               \
  X(vkCmdFillBuffer)               \
  X(vkCreateFence)                 \
  X(vkDestroyFence)                \
  X(vkWaitForFences)               \
  X(vkResetFences)                 \
  X(vkQueueSubmit)

#define TL_VK_DECLARE_POINTER(name) PFN_##name name = nullptr;

struct GlobalFunctions {
  PFN_vkGetInstanceProcAddr vkGetInstanceProcAddr = nullptr;
  TL_VK_GLOBAL_FUNCTIONS(TL_VK_DECLARE_POINTER)
};
struct InstanceFunctions {
  TL_VK_INSTANCE_FUNCTIONS(TL_VK_DECLARE_POINTER)
};
struct DeviceFunctions {
  TL_VK_DEVICE_FUNCTIONS(TL_VK_DECLARE_POINTER)
};

// A zero-initialised Vulkan struct with its sType set (keeps -Wmissing-field-initializers quiet).
template <class T>
T vk_struct(VkStructureType type) {
  T value{};
  value.sType = type;
  return value;
}

// Opens the loader once per process (libvulkan.so.1, then libvulkan.so) and returns the global
// table. Errors: "no Vulkan loader: ..." (also under TL_GPU_SIMULATE=no-loader).
Result<const GlobalFunctions*> vulkan_loader();

Result<InstanceFunctions> load_instance_functions(const GlobalFunctions& global, VkInstance instance);
Result<DeviceFunctions> load_device_functions(const InstanceFunctions& inst, VkDevice device);

}  // namespace tl::gpu
