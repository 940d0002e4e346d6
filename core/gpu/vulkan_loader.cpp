#include "core/gpu/vulkan_loader.h"

#include <dlfcn.h>

#include <mutex>
#include <string>

#include "core/gpu/failure_simulation.h"

namespace tl::gpu {
namespace {

struct LoaderState {
  void* library = nullptr;  // never closed: function pointers may be used until process exit
  GlobalFunctions global;
  std::string error;
};

LoaderState open_loader() {
  LoaderState s;
  std::string tried;
  for (const char* name : {"libvulkan.so.1", "libvulkan.so"}) {
    s.library = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (s.library) break;
    const char* why = dlerror();
    tried += std::string(tried.empty() ? "" : "; ") + (why ? why : name);
  }
  if (!s.library) {
    s.error = "no Vulkan loader: " + tried;
    return s;
  }
  s.global.vkGetInstanceProcAddr =
      reinterpret_cast<PFN_vkGetInstanceProcAddr>(dlsym(s.library, "vkGetInstanceProcAddr"));
  if (!s.global.vkGetInstanceProcAddr) {
    s.error = "no Vulkan loader: libvulkan has no vkGetInstanceProcAddr";
    return s;
  }
#define TL_VK_LOAD_GLOBAL(name) \
  s.global.name = reinterpret_cast<PFN_##name>(s.global.vkGetInstanceProcAddr(nullptr, #name));
  TL_VK_GLOBAL_FUNCTIONS(TL_VK_LOAD_GLOBAL)
#undef TL_VK_LOAD_GLOBAL
  if (!s.global.vkCreateInstance || !s.global.vkEnumerateInstanceExtensionProperties) {
    s.error = "no Vulkan loader: libvulkan does not export vkCreateInstance";
  } else if (!s.global.vkEnumerateInstanceVersion) {
    s.error = "no Vulkan loader: the loader only supports Vulkan 1.0 (1.1 is required)";
  }
  return s;
}

}  // namespace

Result<const GlobalFunctions*> vulkan_loader() {
  if (simulating(SimulatedFailure::NoLoader))
    return make_error("no Vulkan loader: libvulkan.so.1 not found (simulated by TL_GPU_SIMULATE)");
  static LoaderState state;
  static std::once_flag once;
  std::call_once(once, [] { state = open_loader(); });
  if (!state.error.empty()) return make_error(state.error);
  return &state.global;
}

Result<InstanceFunctions> load_instance_functions(const GlobalFunctions& global, VkInstance instance) {
  InstanceFunctions f;
#define TL_VK_LOAD_INSTANCE(name)                                                       \
  f.name = reinterpret_cast<PFN_##name>(global.vkGetInstanceProcAddr(instance, #name)); \
  if (!f.name) return make_error("Vulkan instance does not provide " #name);
  TL_VK_INSTANCE_FUNCTIONS(TL_VK_LOAD_INSTANCE)
#undef TL_VK_LOAD_INSTANCE
  return f;
}

Result<DeviceFunctions> load_device_functions(const InstanceFunctions& inst, VkDevice device) {
  DeviceFunctions f;
#define TL_VK_LOAD_DEVICE(name)                                                   \
  f.name = reinterpret_cast<PFN_##name>(inst.vkGetDeviceProcAddr(device, #name)); \
  if (!f.name) return make_error("Vulkan device does not provide " #name);
  TL_VK_DEVICE_FUNCTIONS(TL_VK_LOAD_DEVICE)
#undef TL_VK_LOAD_DEVICE
  return f;
}

}  // namespace tl::gpu
