#pragma once
// VulkanDevice: the state behind a Context (internal to core/gpu).
//
// Owns, in creation order: the instance, the logical device with its one queue, a command pool,
// the compute pipelines (created on first use from the embedded SPIR-V) and a staging buffer for
// transfers to device memory that the host cannot map. Buffers and batches hold a shared_ptr to it,
// so the device outlives everything made from it.
#include <array>
#include <memory>
#include <string>
#include <unordered_map>

#include "core/gpu/gpu.h"
#include "core/gpu/shader_params.h"
#include "core/gpu/spirv_reflection.h"
#include "core/gpu/validation.h"
#include "core/gpu/vulkan_check.h"
#include "core/gpu/vulkan_raii.h"

namespace tl::gpu {

// The bytes in front of every kernel's params in its push-constant block: one element offset per
// binding (see shader_params.h).
inline constexpr std::uint32_t kViewBaseBytes = 4 * TL_MAX_VIEWS;

struct KernelPipeline {
  ShaderInterface interface;
  DeviceObject<VkDescriptorSetLayout> set_layout;
  DeviceObject<VkPipelineLayout> layout;
  DeviceObject<VkPipeline> pipeline;
};

struct BufferState {
  std::shared_ptr<VulkanDevice> device;
  std::string label;
  std::uint64_t elements = 0;
  std::uint64_t allocated_bytes = 0;  // counted against the budget
  DeviceObject<VkBuffer> buffer;
  DeviceObject<VkDeviceMemory> memory;
  void* mapped = nullptr;  // host pointer when the memory is host-visible (UMA devices)
  ~BufferState();
};

// An instance with its function table (also used by list_devices()).
struct VulkanInstance {
  const GlobalFunctions* global = nullptr;
  InstanceFunctions fns;
  InstanceOwner instance;
  ValidationMessenger messenger;  // after the instance: destroyed before it
  std::uint32_t api_version = 0;
};
Result<VulkanInstance> create_vulkan_instance(bool validation);
DeviceInfo describe_physical_device(const VulkanInstance& inst, VkPhysicalDevice physical,
                                    std::uint32_t index);

class VulkanDevice : public std::enable_shared_from_this<VulkanDevice> {
 public:
  static Result<std::shared_ptr<VulkanDevice>> create(const ContextOptions& options);
  ~VulkanDevice();

  // Submits one recorded command buffer and waits for it. Device loss (real or simulated) marks
  // the device lost; later calls fail at once.
  Status submit_and_wait(VkCommandBuffer cmd);
  Status check_not_lost() const;

  Result<std::shared_ptr<BufferState>> create_buffer(std::uint64_t elements, std::string_view label);
  void release_budget(std::uint64_t bytes) { in_use_ -= bytes; }

  // Transfers `segments` runs of `run_bytes`, run s at byte_offset + s * stride_bytes in the buffer;
  // host data packed. The plain forms are one run.
  Status upload_strided(const BufferState& dst, std::uint64_t byte_offset, std::uint64_t run_bytes,
                        std::uint64_t stride_bytes, std::uint64_t segments, const void* src);
  Status download_strided(const BufferState& src, std::uint64_t byte_offset, std::uint64_t run_bytes,
                          std::uint64_t stride_bytes, std::uint64_t segments, void* dst);
  Status upload_bytes(const BufferState& dst, std::uint64_t byte_offset, const void* src,
                      std::uint64_t bytes) {
    return upload_strided(dst, byte_offset, bytes, bytes, 1, src);
  }
  Status download_bytes(const BufferState& src, std::uint64_t byte_offset, void* dst, std::uint64_t bytes) {
    return download_strided(src, byte_offset, bytes, bytes, 1, dst);
  }

  Result<const KernelPipeline*> pipeline(std::string_view kernel);

  Result<VkCommandBuffer> allocate_command_buffer();
  void free_command_buffer(VkCommandBuffer cmd);

  // Handles (read-only after create()).
  VulkanInstance inst;
  VkPhysicalDevice physical = VK_NULL_HANDLE;
  DeviceOwner device;
  DeviceFunctions fns;
  VkQueue queue = VK_NULL_HANDLE;
  std::uint32_t queue_family = 0;
  bool queue_supports_graphics = false;
  DeviceInfo info;
  DeviceLimits limits;
  std::uint32_t spirv_version_supported = 0;  // highest SPIR-V version word the device accepts

  std::uint64_t budget_bytes() const { return budget_; }
  std::uint64_t in_use_bytes() const { return in_use_; }
  bool lost() const { return lost_; }

 private:
  VulkanDevice() = default;
  Status choose_memory_types(bool force_staging);
  Status ensure_staging(std::uint64_t bytes);
  Result<std::uint32_t> memory_type_for(std::uint32_t allowed_bits, VkMemoryPropertyFlags required) const;

  VkPhysicalDeviceMemoryProperties memory_{};
  std::uint32_t buffer_memory_type_ = 0;
  VkMemoryPropertyFlags buffer_memory_flags_ = 0;
  bool buffers_mapped_ = false;  // UMA: buffers are host-visible and written directly
  std::uint32_t staging_memory_type_ = 0;
  std::uint64_t budget_ = 0;
  std::uint64_t in_use_ = 0;
  bool lost_ = false;

  // Objects made from `device`: declared after it so they are destroyed before it.
  DeviceObject<VkCommandPool> command_pool_;
  DeviceObject<VkFence> fence_;
  std::unordered_map<std::string, std::unique_ptr<KernelPipeline>> pipelines_;
  DeviceObject<VkBuffer> staging_buffer_;
  DeviceObject<VkDeviceMemory> staging_memory_;
  void* staging_mapped_ = nullptr;
  std::uint64_t staging_bytes_ = 0;
};

}  // namespace tl::gpu
