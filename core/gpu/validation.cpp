#include "core/gpu/validation.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <utility>

namespace tl::gpu {

namespace {

std::atomic<std::uint64_t> g_validation_errors{0};

VKAPI_ATTR VkBool32 VKAPI_CALL on_validation_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                     VkDebugUtilsMessageTypeFlagsEXT /*types*/,
                                                     const VkDebugUtilsMessengerCallbackDataEXT* data,
                                                     void* /*user*/) {
  const char* text = data && data->pMessage ? data->pMessage : "(no message)";
  if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) {
    g_validation_errors.fetch_add(1);
    std::fprintf(stderr, "Vulkan validation error: %s\n", text);
    if (validation_errors_fatal()) {
      std::fprintf(stderr, "Vulkan validation error with TL_GPU_VALIDATION=1: aborting\n");
      std::fflush(stderr);
      std::abort();
    }
  } else {
    std::fprintf(stderr, "Vulkan validation warning: %s\n", text);
  }
  return VK_FALSE;  // never skip the call (the spec requires VK_FALSE from applications)
}

std::string_view env_value() {
  const char* v = std::getenv("TL_GPU_VALIDATION");
  return v ? std::string_view(v) : std::string_view();
}

}  // namespace

std::uint64_t validation_error_count() { return g_validation_errors.load(); }

bool validation_requested(bool option) {
  const std::string_view v = env_value();
  return option || (!v.empty() && v != "0");
}

bool validation_errors_fatal() { return env_value() == "1"; }

VkDebugUtilsMessengerCreateInfoEXT validation_messenger_info() {
  auto info =
      vk_struct<VkDebugUtilsMessengerCreateInfoEXT>(VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT);
  // Warnings too (printed, not fatal): they name real misuse more often than not. Info and verbose
  // are loader chatter.
  info.messageSeverity =
      VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT;
  info.messageType =
      VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT;
  info.pfnUserCallback = on_validation_message;
  return info;
}

ValidationMessenger::ValidationMessenger(const GlobalFunctions& g, VkInstance instance) {
  auto create = reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(
      g.vkGetInstanceProcAddr(instance, "vkCreateDebugUtilsMessengerEXT"));
  auto destroy = reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(
      g.vkGetInstanceProcAddr(instance, "vkDestroyDebugUtilsMessengerEXT"));
  if (!create || !destroy) return;
  const auto info = validation_messenger_info();
  VkDebugUtilsMessengerEXT messenger = VK_NULL_HANDLE;
  if (create(instance, &info, nullptr, &messenger) != VK_SUCCESS) return;
  instance_ = instance;
  messenger_ = messenger;
  destroy_ = destroy;
}

ValidationMessenger& ValidationMessenger::operator=(ValidationMessenger&& o) noexcept {
  if (this != &o) {
    reset();
    instance_ = std::exchange(o.instance_, VK_NULL_HANDLE);
    messenger_ = std::exchange(o.messenger_, VK_NULL_HANDLE);
    destroy_ = std::exchange(o.destroy_, nullptr);
  }
  return *this;
}

void ValidationMessenger::reset() {
  if (messenger_ != VK_NULL_HANDLE && destroy_) destroy_(instance_, messenger_, nullptr);
  messenger_ = VK_NULL_HANDLE;
}

}  // namespace tl::gpu
