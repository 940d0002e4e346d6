#pragma once
// Vulkan validation (internal to core/gpu): VK_LAYER_KHRONOS_validation plus a VK_EXT_debug_utils
// messenger that prints every validation error and warning to stderr and counts the errors
// (validation_error_count()). With TL_GPU_VALIDATION=1 in the environment (the test
// environment sets it for the GPU, render and app suites) the first error aborts the process, so a
// validation error fails the test that caused it instead of scrolling past in a log.
#include <cstdint>

#include "core/gpu/vulkan_loader.h"

namespace tl::gpu {

// Validation-layer errors reported in this process so far (0 when validation was never on).
std::uint64_t validation_error_count();

// Whether validation was asked for: the option, or TL_GPU_VALIDATION set and not "0".
bool validation_requested(bool option);
// Validation errors abort the process (TL_GPU_VALIDATION=1; any other value only counts them).
bool validation_errors_fatal();

// The create-info of the messenger; chained into VkInstanceCreateInfo::pNext it also reports what
// happens during vkCreateInstance / vkDestroyInstance.
VkDebugUtilsMessengerCreateInfoEXT validation_messenger_info();

// The messenger of one instance; destroyed before the instance (declare it after the owner).
class ValidationMessenger {
 public:
  ValidationMessenger() = default;
  // Creates the messenger; silently does nothing when the extension's functions are missing.
  ValidationMessenger(const GlobalFunctions& g, VkInstance instance);
  ValidationMessenger(const ValidationMessenger&) = delete;
  ValidationMessenger& operator=(const ValidationMessenger&) = delete;
  ValidationMessenger(ValidationMessenger&& o) noexcept { *this = std::move(o); }
  ValidationMessenger& operator=(ValidationMessenger&& o) noexcept;
  ~ValidationMessenger() { reset(); }
  void reset();
  bool active() const { return messenger_ != VK_NULL_HANDLE; }

 private:
  VkInstance instance_ = VK_NULL_HANDLE;
  VkDebugUtilsMessengerEXT messenger_ = VK_NULL_HANDLE;
  PFN_vkDestroyDebugUtilsMessengerEXT destroy_ = nullptr;
};

}  // namespace tl::gpu
