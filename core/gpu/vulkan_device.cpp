// VulkanDevice creation: instance, physical-device description and choice, logical device, memory
// types and budget, queue submission. Buffers: buffer.cpp; pipelines: kernel_pipelines.cpp.
#include "core/gpu/vulkan_device.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "core/gpu/failure_simulation.h"
#include "core/gpu/validation.h"

namespace tl::gpu {
namespace {

bool has_extension(const std::vector<VkExtensionProperties>& exts, const char* name) {
  return std::any_of(exts.begin(), exts.end(),
                     [&](const VkExtensionProperties& e) { return std::strcmp(e.extensionName, name) == 0; });
}

std::string version_string(std::uint32_t v) {
  return std::to_string(VK_API_VERSION_MAJOR(v)) + "." + std::to_string(VK_API_VERSION_MINOR(v)) + "." +
         std::to_string(VK_API_VERSION_PATCH(v));
}

DeviceKind kind_of(VkPhysicalDeviceType t) {
  switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
      return DeviceKind::Discrete;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
      return DeviceKind::Integrated;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
      return DeviceKind::Virtual;
    case VK_PHYSICAL_DEVICE_TYPE_CPU:
      return DeviceKind::Cpu;
    default:
      return DeviceKind::Other;
  }
}

// A queue family that can run compute; a universal (graphics + compute) family first, so render/
// can draw on the same queue.
std::optional<std::uint32_t> compute_queue_family(const InstanceFunctions& f, VkPhysicalDevice pd) {
  std::uint32_t n = 0;
  f.vkGetPhysicalDeviceQueueFamilyProperties(pd, &n, nullptr);
  std::vector<VkQueueFamilyProperties> families(n);
  f.vkGetPhysicalDeviceQueueFamilyProperties(pd, &n, families.data());
  std::optional<std::uint32_t> compute_only;
  for (std::uint32_t i = 0; i < n; ++i) {
    const auto flags = families[i].queueFlags;
    if (families[i].queueCount == 0 || !(flags & VK_QUEUE_COMPUTE_BIT)) continue;
    if (flags & VK_QUEUE_GRAPHICS_BIT) return i;
    if (!compute_only) compute_only = i;
  }
  return compute_only;
}

}  // namespace

Result<VulkanInstance> create_vulkan_instance(bool validation) {
  auto loader = vulkan_loader();
  if (!loader.ok()) return loader.error();
  VulkanInstance out;
  out.global = *loader;
  const GlobalFunctions& g = *out.global;

  std::uint32_t loader_version = VK_API_VERSION_1_0;
  TL_VK_CHECK(g.vkEnumerateInstanceVersion(&loader_version));
  if (loader_version < VK_API_VERSION_1_1)
    return make_error("Vulkan initialisation failed: the loader supports Vulkan " +
                      version_string(loader_version) + ", 1.1 is required");
  out.api_version = std::min<std::uint32_t>(loader_version, VK_API_VERSION_1_3);

  std::uint32_t n = 0;
  TL_VK_CHECK(g.vkEnumerateInstanceExtensionProperties(nullptr, &n, nullptr));
  std::vector<VkExtensionProperties> exts(n);
  TL_VK_CHECK(g.vkEnumerateInstanceExtensionProperties(nullptr, &n, exts.data()));
  std::vector<const char*> enabled;
  VkInstanceCreateFlags flags = 0;
  // Portability implementations (MoltenVK) are only enumerated when asked for.
  if (has_extension(exts, VK_KHR_PORTABILITY_ENUMERATION_EXTENSION_NAME)) {
    enabled.push_back(VK_KHR_PORTABILITY_ENUMERATION_EXTENSION_NAME);
    flags |= VK_INSTANCE_CREATE_ENUMERATE_PORTABILITY_BIT_KHR;
  }
  std::vector<const char*> layers;
  if (validation_requested(validation)) {
    std::uint32_t nl = 0;
    TL_VK_CHECK(g.vkEnumerateInstanceLayerProperties(&nl, nullptr));
    std::vector<VkLayerProperties> props(nl);
    TL_VK_CHECK(g.vkEnumerateInstanceLayerProperties(&nl, props.data()));
    for (const auto& p : props)
      if (std::strcmp(p.layerName, "VK_LAYER_KHRONOS_validation") == 0)
        layers.push_back("VK_LAYER_KHRONOS_validation");
    // The messenger that turns validation errors into failures (core/gpu/validation.h).
    if (!layers.empty() && has_extension(exts, VK_EXT_DEBUG_UTILS_EXTENSION_NAME))
      enabled.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
  }
  const bool messenger = !enabled.empty() && std::strcmp(enabled.back(), VK_EXT_DEBUG_UTILS_EXTENSION_NAME) == 0;
  const auto messenger_info = validation_messenger_info();

  auto app = vk_struct<VkApplicationInfo>(VK_STRUCTURE_TYPE_APPLICATION_INFO);
  app.pApplicationName = "TensorLens Studio";
  app.pEngineName = "tensorlens";
  app.apiVersion = out.api_version;
  auto info = vk_struct<VkInstanceCreateInfo>(VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO);
  info.flags = flags;
  info.pApplicationInfo = &app;
  info.enabledExtensionCount = static_cast<std::uint32_t>(enabled.size());
  info.ppEnabledExtensionNames = enabled.data();
  info.enabledLayerCount = static_cast<std::uint32_t>(layers.size());
  info.ppEnabledLayerNames = layers.data();
  if (messenger) info.pNext = &messenger_info;
  VkInstance instance = VK_NULL_HANDLE;
  TL_VK_CHECK(g.vkCreateInstance(&info, nullptr, &instance));
  auto destroy =
      reinterpret_cast<PFN_vkDestroyInstance>(g.vkGetInstanceProcAddr(instance, "vkDestroyInstance"));
  out.instance = InstanceOwner(instance, destroy);
  if (messenger) out.messenger = ValidationMessenger(g, instance);
  auto fns = load_instance_functions(g, instance);
  if (!fns.ok()) return fns.error();
  out.fns = *fns;
  return out;
}

DeviceInfo describe_physical_device(const VulkanInstance& inst, VkPhysicalDevice pd, std::uint32_t index) {
  const InstanceFunctions& f = inst.fns;
  VkPhysicalDeviceProperties props{};
  f.vkGetPhysicalDeviceProperties(pd, &props);
  DeviceInfo d;
  d.index = index;
  d.name = props.deviceName;
  d.kind = kind_of(props.deviceType);
  d.vendor_id = props.vendorID;
  d.device_id = props.deviceID;
  d.api_version = version_string(props.apiVersion);
  VkPhysicalDeviceMemoryProperties mem{};
  f.vkGetPhysicalDeviceMemoryProperties(pd, &mem);
  for (std::uint32_t h = 0; h < mem.memoryHeapCount; ++h)
    d.heaps.push_back(
        {mem.memoryHeaps[h].size, (mem.memoryHeaps[h].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) != 0});
  d.has_compute_queue = compute_queue_family(f, pd).has_value();
  if (props.apiVersion >= VK_API_VERSION_1_1) {
    auto sub =
        vk_struct<VkPhysicalDeviceSubgroupProperties>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES);
    auto p2 = vk_struct<VkPhysicalDeviceProperties2>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2);
    p2.pNext = &sub;
    f.vkGetPhysicalDeviceProperties2(pd, &p2);
    d.subgroup_size = sub.subgroupSize;
  }
  return d;
}

Result<std::shared_ptr<VulkanDevice>> VulkanDevice::create(const ContextOptions& options) {
  if (auto sim = parse_simulated_failure(std::getenv(kSimulateEnv) ? std::getenv(kSimulateEnv) : "");
      !sim.ok())
    return sim.error();
  auto inst = create_vulkan_instance(options.validation);
  if (!inst.ok()) return inst.error();
  std::shared_ptr<VulkanDevice> dev(new VulkanDevice());
  dev->inst = std::move(*inst);
  const InstanceFunctions& f = dev->inst.fns;

  std::uint32_t count = 0;
  TL_VK_CHECK(f.vkEnumeratePhysicalDevices(dev->inst.instance.get(), &count, nullptr));
  std::vector<VkPhysicalDevice> physical(count);
  TL_VK_CHECK(f.vkEnumeratePhysicalDevices(dev->inst.instance.get(), &count, physical.data()));
  if (simulating(SimulatedFailure::NoDevice)) physical.clear();
  std::vector<DeviceInfo> infos;
  for (std::uint32_t i = 0; i < physical.size(); ++i)
    infos.push_back(describe_physical_device(dev->inst, physical[i], i));

  std::string selector = options.device;
  if (selector.empty())
    if (const char* env = std::getenv("TL_GPU_DEVICE")) selector = env;
  auto chosen = choose_device(infos, selector);
  if (!chosen.ok()) return chosen.error();
  dev->physical = physical[*chosen];
  dev->info = infos[*chosen];
  dev->queue_family = *compute_queue_family(f, dev->physical);
  {
    std::uint32_t n = 0;
    f.vkGetPhysicalDeviceQueueFamilyProperties(dev->physical, &n, nullptr);
    std::vector<VkQueueFamilyProperties> families(n);
    f.vkGetPhysicalDeviceQueueFamilyProperties(dev->physical, &n, families.data());
    dev->queue_supports_graphics = (families[dev->queue_family].queueFlags & VK_QUEUE_GRAPHICS_BIT) != 0;
  }

  // Limits the dispatch helper checks.
  VkPhysicalDeviceProperties props{};
  f.vkGetPhysicalDeviceProperties(dev->physical, &props);
  auto sub =
      vk_struct<VkPhysicalDeviceSubgroupProperties>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES);
  auto m3 = vk_struct<VkPhysicalDeviceMaintenance3Properties>(
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES);
  sub.pNext = &m3;
  auto p2 = vk_struct<VkPhysicalDeviceProperties2>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2);
  p2.pNext = &sub;
  if (props.apiVersion >= VK_API_VERSION_1_1) f.vkGetPhysicalDeviceProperties2(dev->physical, &p2);
  const VkPhysicalDeviceLimits& l = props.limits;
  DeviceLimits& lim = dev->limits;
  for (int i = 0; i < 3; ++i) {
    lim.max_workgroup_count[i] = l.maxComputeWorkGroupCount[i];
    lim.max_workgroup_size[i] = l.maxComputeWorkGroupSize[i];
  }
  lim.max_workgroup_invocations = l.maxComputeWorkGroupInvocations;
  lim.max_push_constants_bytes = l.maxPushConstantsSize;
  lim.max_shared_memory_bytes = l.maxComputeSharedMemorySize;
  lim.max_storage_buffer_range_bytes = l.maxStorageBufferRange;
  lim.min_storage_buffer_offset_alignment = l.minStorageBufferOffsetAlignment;
  lim.max_bound_storage_buffers = l.maxPerStageDescriptorStorageBuffers;
  lim.max_allocation_bytes = m3.maxMemoryAllocationSize ? m3.maxMemoryAllocationSize : (1ull << 30);
  lim.subgroup_size = sub.subgroupSize;
  lim.subgroup_arithmetic = (sub.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) &&
                            (sub.supportedOperations & VK_SUBGROUP_FEATURE_ARITHMETIC_BIT);

  // Logical device with one queue.
  std::uint32_t next = 0;
  TL_VK_CHECK(f.vkEnumerateDeviceExtensionProperties(dev->physical, nullptr, &next, nullptr));
  std::vector<VkExtensionProperties> dev_exts(next);
  TL_VK_CHECK(f.vkEnumerateDeviceExtensionProperties(dev->physical, nullptr, &next, dev_exts.data()));
  std::vector<const char*> enabled;
  if (has_extension(dev_exts, "VK_KHR_portability_subset")) enabled.push_back("VK_KHR_portability_subset");
  // glslc's SPIR-V 1.6 (Vulkan 1.3 target) declares workgroup sizes with LocalSizeId, which needs
  // maintenance4; enable it wherever the device has it.
  auto features13 =
      vk_struct<VkPhysicalDeviceVulkan13Features>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_3_FEATURES);
  auto features = vk_struct<VkPhysicalDeviceFeatures2>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2);
  const bool vulkan13 = props.apiVersion >= VK_API_VERSION_1_3 && dev->inst.api_version >= VK_API_VERSION_1_3;
  if (vulkan13) {
    features.pNext = &features13;
    f.vkGetPhysicalDeviceFeatures2(dev->physical, &features);
    const VkBool32 maintenance4 = features13.maintenance4;
    features13 =
        vk_struct<VkPhysicalDeviceVulkan13Features>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_3_FEATURES);
    features13.maintenance4 = maintenance4;
    features = vk_struct<VkPhysicalDeviceFeatures2>(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2);
    features.pNext = &features13;
  }
  dev->spirv_version_supported = props.apiVersion >= VK_API_VERSION_1_3   ? 0x10600u
                                 : props.apiVersion >= VK_API_VERSION_1_2 ? 0x10500u
                                                                          : 0x10300u;
  const float priority = 1.0f;
  auto qinfo = vk_struct<VkDeviceQueueCreateInfo>(VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO);
  qinfo.queueFamilyIndex = dev->queue_family;
  qinfo.queueCount = 1;
  qinfo.pQueuePriorities = &priority;
  auto dinfo = vk_struct<VkDeviceCreateInfo>(VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO);
  dinfo.queueCreateInfoCount = 1;
  dinfo.pQueueCreateInfos = &qinfo;
  dinfo.enabledExtensionCount = static_cast<std::uint32_t>(enabled.size());
  dinfo.ppEnabledExtensionNames = enabled.data();
  if (vulkan13) dinfo.pNext = &features;
  if (simulating(SimulatedFailure::DeviceInit))
    return make_error(
        "Vulkan initialisation failed: vkCreateDevice(...) returned VK_ERROR_INITIALIZATION_FAILED "
        "on '" +
        dev->info.name + "' (simulated by TL_GPU_SIMULATE)");
  VkDevice device = VK_NULL_HANDLE;
  TL_VK_CHECK(f.vkCreateDevice(dev->physical, &dinfo, nullptr, &device));
  auto destroy = reinterpret_cast<PFN_vkDestroyDevice>(f.vkGetDeviceProcAddr(device, "vkDestroyDevice"));
  auto wait_idle = reinterpret_cast<PFN_vkDeviceWaitIdle>(f.vkGetDeviceProcAddr(device, "vkDeviceWaitIdle"));
  dev->device = DeviceOwner(device, destroy, wait_idle);
  auto fns = load_device_functions(f, device);
  if (!fns.ok()) return fns.error();
  dev->fns = *fns;
  dev->fns.vkGetDeviceQueue(device, dev->queue_family, 0, &dev->queue);

  auto pinfo = vk_struct<VkCommandPoolCreateInfo>(VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO);
  pinfo.flags = VK_COMMAND_POOL_CREATE_TRANSIENT_BIT;
  pinfo.queueFamilyIndex = dev->queue_family;
  VkCommandPool pool = VK_NULL_HANDLE;
  TL_VK_CHECK(dev->fns.vkCreateCommandPool(device, &pinfo, nullptr, &pool));
  dev->command_pool_ = DeviceObject<VkCommandPool>(device, pool, dev->fns.vkDestroyCommandPool);
  auto finfo = vk_struct<VkFenceCreateInfo>(VK_STRUCTURE_TYPE_FENCE_CREATE_INFO);
  VkFence fence = VK_NULL_HANDLE;
  TL_VK_CHECK(dev->fns.vkCreateFence(device, &finfo, nullptr, &fence));
  dev->fence_ = DeviceObject<VkFence>(device, fence, dev->fns.vkDestroyFence);

  if (Status s = dev->choose_memory_types(options.force_staging); !s.ok()) return s.error();
  const std::uint64_t heap =
      dev->memory_.memoryHeaps[dev->memory_.memoryTypes[dev->buffer_memory_type_].heapIndex].size;
  dev->budget_ =
      options.memory_budget_bytes
          ? std::min(options.memory_budget_bytes, heap)
          : static_cast<std::uint64_t>(double(heap) * std::clamp(options.memory_budget_fraction, 0.0, 1.0));
  return dev;
}

VulkanDevice::~VulkanDevice() = default;

Status VulkanDevice::choose_memory_types(bool force_staging) {
  inst.fns.vkGetPhysicalDeviceMemoryProperties(physical, &memory_);
  const bool uma = !force_staging && (info.kind == DeviceKind::Integrated || info.kind == DeviceKind::Cpu);
  const VkMemoryPropertyFlags mapped = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT |
                                       VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                       VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  // Buffers: on UMA devices host-visible device memory (no staging copies); otherwise plain
  // device-local memory, preferring a type that is not host-visible (the small BAR window).
  std::optional<std::uint32_t> chosen;
  if (uma)
    for (std::uint32_t t = 0; t < memory_.memoryTypeCount && !chosen; ++t)
      if ((memory_.memoryTypes[t].propertyFlags & mapped) == mapped) chosen = t;
  for (std::uint32_t t = 0; t < memory_.memoryTypeCount && !chosen; ++t) {
    const auto fl = memory_.memoryTypes[t].propertyFlags;
    if ((fl & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT) && !(fl & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT)) chosen = t;
  }
  for (std::uint32_t t = 0; t < memory_.memoryTypeCount && !chosen; ++t)
    if (memory_.memoryTypes[t].propertyFlags & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT) chosen = t;
  if (!chosen)
    return make_error("Vulkan initialisation failed: '" + info.name + "' has no device-local memory type");
  buffer_memory_type_ = *chosen;
  buffer_memory_flags_ = memory_.memoryTypes[*chosen].propertyFlags;
  buffers_mapped_ = !force_staging && (buffer_memory_flags_ & mapped) == mapped;

  // Staging: host-visible and coherent, cached if possible (downloads read it).
  std::optional<std::uint32_t> staging;
  const VkMemoryPropertyFlags host =
      VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  for (std::uint32_t t = 0; t < memory_.memoryTypeCount && !staging; ++t)
    if ((memory_.memoryTypes[t].propertyFlags & (host | VK_MEMORY_PROPERTY_HOST_CACHED_BIT)) ==
        (host | VK_MEMORY_PROPERTY_HOST_CACHED_BIT))
      staging = t;
  for (std::uint32_t t = 0; t < memory_.memoryTypeCount && !staging; ++t)
    if ((memory_.memoryTypes[t].propertyFlags & host) == host) staging = t;
  if (!staging && !buffers_mapped_)
    return make_error("Vulkan initialisation failed: '" + info.name + "' has no host-visible memory type");
  staging_memory_type_ = staging.value_or(0);
  return Status::Ok();
}

Result<std::uint32_t> VulkanDevice::memory_type_for(std::uint32_t allowed_bits,
                                                    VkMemoryPropertyFlags required) const {
  for (std::uint32_t t = 0; t < memory_.memoryTypeCount; ++t)
    if ((allowed_bits & (1u << t)) && (memory_.memoryTypes[t].propertyFlags & required) == required) return t;
  return make_error("Vulkan error: no memory type allowed for the buffer has the required properties");
}

Status VulkanDevice::check_not_lost() const {
  if (lost_)
    return make_error("device lost: '" + info.name + "' was lost earlier; results come from the CPU");
  return Status::Ok();
}

Result<VkCommandBuffer> VulkanDevice::allocate_command_buffer() {
  auto a = vk_struct<VkCommandBufferAllocateInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO);
  a.commandPool = command_pool_.get();
  a.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  a.commandBufferCount = 1;
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  TL_VK_CHECK(fns.vkAllocateCommandBuffers(device.get(), &a, &cmd));
  return cmd;
}

void VulkanDevice::free_command_buffer(VkCommandBuffer cmd) {
  if (cmd != VK_NULL_HANDLE) fns.vkFreeCommandBuffers(device.get(), command_pool_.get(), 1, &cmd);
}

Status VulkanDevice::submit_and_wait(VkCommandBuffer cmd) {
  if (Status s = check_not_lost(); !s.ok()) return s;
  if (simulating(SimulatedFailure::DeviceLost)) {
    lost_ = true;
    return make_error("device lost: vkQueueSubmit(...) returned VK_ERROR_DEVICE_LOST on '" + info.name +
                      "' (simulated by TL_GPU_SIMULATE)");
  }
  auto submit = vk_struct<VkSubmitInfo>(VK_STRUCTURE_TYPE_SUBMIT_INFO);
  submit.commandBufferCount = 1;
  submit.pCommandBuffers = &cmd;
  VkFence fence = fence_.get();
  auto run = [&]() -> Status {
    TL_VK_CHECK(fns.vkQueueSubmit(queue, 1, &submit, fence));
    TL_VK_CHECK(fns.vkWaitForFences(device.get(), 1, &fence, VK_TRUE, UINT64_MAX));
    TL_VK_CHECK(fns.vkResetFences(device.get(), 1, &fence));
    return Status::Ok();
  };
  Status s = run();
  if (!s.ok() && s.error().message.rfind("device lost", 0) == 0) lost_ = true;
  return s;
}

}  // namespace tl::gpu
