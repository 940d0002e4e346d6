#include "core/gpu/vulkan_check.h"

#include <string>
#include <string_view>

namespace tl::gpu {

const char* vk_result_name(VkResult r) {
  switch (r) {
#define TL_VK_RESULT_CASE(x) \
  case x:                    \
    return #x;
    TL_VK_RESULT_CASE(VK_SUCCESS)
    TL_VK_RESULT_CASE(VK_NOT_READY)
    TL_VK_RESULT_CASE(VK_TIMEOUT)
    TL_VK_RESULT_CASE(VK_INCOMPLETE)
    TL_VK_RESULT_CASE(VK_ERROR_OUT_OF_HOST_MEMORY)
    TL_VK_RESULT_CASE(VK_ERROR_OUT_OF_DEVICE_MEMORY)
    TL_VK_RESULT_CASE(VK_ERROR_INITIALIZATION_FAILED)
    TL_VK_RESULT_CASE(VK_ERROR_DEVICE_LOST)
    TL_VK_RESULT_CASE(VK_ERROR_MEMORY_MAP_FAILED)
    TL_VK_RESULT_CASE(VK_ERROR_LAYER_NOT_PRESENT)
    TL_VK_RESULT_CASE(VK_ERROR_EXTENSION_NOT_PRESENT)
    TL_VK_RESULT_CASE(VK_ERROR_FEATURE_NOT_PRESENT)
    TL_VK_RESULT_CASE(VK_ERROR_INCOMPATIBLE_DRIVER)
    TL_VK_RESULT_CASE(VK_ERROR_TOO_MANY_OBJECTS)
    TL_VK_RESULT_CASE(VK_ERROR_FORMAT_NOT_SUPPORTED)
    TL_VK_RESULT_CASE(VK_ERROR_FRAGMENTED_POOL)
    TL_VK_RESULT_CASE(VK_ERROR_UNKNOWN)
    TL_VK_RESULT_CASE(VK_ERROR_OUT_OF_POOL_MEMORY)
    TL_VK_RESULT_CASE(VK_ERROR_INVALID_EXTERNAL_HANDLE)
    TL_VK_RESULT_CASE(VK_ERROR_FRAGMENTATION)
    TL_VK_RESULT_CASE(VK_ERROR_INVALID_OPAQUE_CAPTURE_ADDRESS)
#undef TL_VK_RESULT_CASE
    default:
      return "VkResult(unnamed)";
  }
}

const char* vk_result_problem(VkResult r) {
  switch (r) {
    case VK_ERROR_OUT_OF_DEVICE_MEMORY:
      return "out of device memory";
    case VK_ERROR_OUT_OF_HOST_MEMORY:
      return "out of host memory";
    case VK_ERROR_DEVICE_LOST:
      return "device lost";
    case VK_ERROR_INITIALIZATION_FAILED:
    case VK_ERROR_INCOMPATIBLE_DRIVER:
    case VK_ERROR_EXTENSION_NOT_PRESENT:
    case VK_ERROR_FEATURE_NOT_PRESENT:
    case VK_ERROR_LAYER_NOT_PRESENT:
      return "Vulkan initialisation failed";
    default:
      return "Vulkan error";
  }
}

Error vk_error(const char* expression, VkResult r, const char* file, int line) {
  // Report the path from the source root ("core/gpu/x.cpp"), not the build machine's prefix.
  std::string_view path(file);
  if (auto pos = path.rfind("core/gpu/"); pos != std::string_view::npos) path.remove_prefix(pos);
  std::string expr(expression);
  // Keep the message one line and short: the call's name is what matters, not its arguments.
  if (auto paren = expr.find('('); paren != std::string::npos) expr = expr.substr(0, paren) + "(...)";
  if (auto dot = expr.rfind('.', expr.find('(')); dot != std::string::npos) expr = expr.substr(dot + 1);
  return make_error(std::string(vk_result_problem(r)) + ": " + expr + " returned " + vk_result_name(r) +
                    " (" + std::string(path) + ":" + std::to_string(line) + ")");
}

}  // namespace tl::gpu
