// Device buffers within the memory budget, and blocking transfers (mapped memory on UMA devices,
// a staging buffer and a copy command otherwise).
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>

#include "core/gpu/failure_simulation.h"
#include "core/gpu/vulkan_device.h"

namespace tl::gpu {
namespace {

std::string mib(std::uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", double(bytes) / (1024.0 * 1024.0));
  return buf;
}

// Transfers larger than this go through the staging buffer in pieces.
constexpr std::uint64_t kStagingChunkBytes = 64ull << 20;

// As many whole runs per staged copy as fit in a chunk (at least one, however long), and not so
// many that the copy regions themselves get large.
std::uint64_t runs_per_staged_copy(std::uint64_t run_bytes) {
  return std::clamp<std::uint64_t>(kStagingChunkBytes / run_bytes, 1, 1 << 16);
}

}  // namespace

BufferState::~BufferState() {
  if (device) device->release_budget(allocated_bytes);
}

Result<std::shared_ptr<BufferState>> VulkanDevice::create_buffer(std::uint64_t elements,
                                                                 std::string_view label) {
  if (Status s = check_not_lost(); !s.ok()) return s.error();
  // Vulkan has no empty buffers: an empty one still occupies one element.
  const std::uint64_t bytes = std::max<std::uint64_t>(elements, 1) * 4;
  const std::string name = "buffer '" + std::string(label) + "'";
  if (simulating(SimulatedFailure::OutOfMemory))
    return make_error("out of device memory: " + name + " (" + mib(bytes) +
                      ") could not be allocated (simulated by TL_GPU_SIMULATE)");
  if (bytes > limits.max_allocation_bytes)
    return make_error("out of device memory: " + name + " needs " + mib(bytes) +
                      ", more than one allocation on '" + info.name + "' may hold (" +
                      mib(limits.max_allocation_bytes) + ")");
  if (in_use_ + bytes > budget_)
    return make_error("out of device memory: " + name + " needs " + mib(bytes) + " but " + mib(in_use_) +
                      " of the " + mib(budget_) + " budget on '" + info.name + "' are in use");

  auto state = std::make_shared<BufferState>();
  state->label = std::string(label);
  state->elements = elements;
  VkDevice d = device.get();
  auto binfo = vk_struct<VkBufferCreateInfo>(VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO);
  binfo.size = bytes;
  binfo.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  binfo.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  VkBuffer buffer = VK_NULL_HANDLE;
  TL_VK_CHECK(fns.vkCreateBuffer(d, &binfo, nullptr, &buffer));
  state->buffer = DeviceObject<VkBuffer>(d, buffer, fns.vkDestroyBuffer);

  VkMemoryRequirements req{};
  fns.vkGetBufferMemoryRequirements(d, buffer, &req);
  std::uint32_t type = buffer_memory_type_;
  if (!(req.memoryTypeBits & (1u << type))) {
    auto alt = memory_type_for(req.memoryTypeBits, buffer_memory_flags_);
    if (!alt.ok()) return alt.error();
    type = *alt;
  }
  auto ainfo = vk_struct<VkMemoryAllocateInfo>(VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO);
  ainfo.allocationSize = req.size;
  ainfo.memoryTypeIndex = type;
  VkDeviceMemory memory = VK_NULL_HANDLE;
  TL_VK_CHECK(fns.vkAllocateMemory(d, &ainfo, nullptr, &memory));
  state->memory = DeviceObject<VkDeviceMemory>(d, memory, fns.vkFreeMemory);
  TL_VK_CHECK(fns.vkBindBufferMemory(d, buffer, memory, 0));
  if (buffers_mapped_) TL_VK_CHECK(fns.vkMapMemory(d, memory, 0, VK_WHOLE_SIZE, 0, &state->mapped));

  // Counted from here on: the destructor gives the bytes back.
  state->allocated_bytes = req.size;
  in_use_ += req.size;
  state->device = shared_from_this();

  // Zero-initialise, so a kernel never reads garbage left by another program.
  if (state->mapped) {
    std::memset(state->mapped, 0, bytes);
  } else {
    auto cmd = allocate_command_buffer();
    if (!cmd.ok()) return cmd.error();
    auto begin = vk_struct<VkCommandBufferBeginInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO);
    begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    Status s = [&]() -> Status {
      TL_VK_CHECK(fns.vkBeginCommandBuffer(*cmd, &begin));
      fns.vkCmdFillBuffer(*cmd, buffer, 0, VK_WHOLE_SIZE, 0);
      TL_VK_CHECK(fns.vkEndCommandBuffer(*cmd));
      return submit_and_wait(*cmd);
    }();
    free_command_buffer(*cmd);
    if (!s.ok()) return s.error();
  }
  return state;
}

Status VulkanDevice::ensure_staging(std::uint64_t bytes) {
  if (staging_bytes_ >= bytes) return Status::Ok();
  staging_buffer_.reset();
  staging_memory_.reset();
  staging_mapped_ = nullptr;
  staging_bytes_ = 0;
  VkDevice d = device.get();
  auto binfo = vk_struct<VkBufferCreateInfo>(VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO);
  binfo.size = bytes;
  binfo.usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  binfo.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  VkBuffer buffer = VK_NULL_HANDLE;
  TL_VK_CHECK(fns.vkCreateBuffer(d, &binfo, nullptr, &buffer));
  DeviceObject<VkBuffer> owned_buffer(d, buffer, fns.vkDestroyBuffer);
  VkMemoryRequirements req{};
  fns.vkGetBufferMemoryRequirements(d, buffer, &req);
  std::uint32_t type = staging_memory_type_;
  if (!(req.memoryTypeBits & (1u << type))) {
    auto alt = memory_type_for(req.memoryTypeBits,
                               VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
    if (!alt.ok()) return alt.error();
    type = *alt;
  }
  auto ainfo = vk_struct<VkMemoryAllocateInfo>(VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO);
  ainfo.allocationSize = req.size;
  ainfo.memoryTypeIndex = type;
  VkDeviceMemory memory = VK_NULL_HANDLE;
  TL_VK_CHECK(fns.vkAllocateMemory(d, &ainfo, nullptr, &memory));
  DeviceObject<VkDeviceMemory> owned_memory(d, memory, fns.vkFreeMemory);
  TL_VK_CHECK(fns.vkBindBufferMemory(d, buffer, memory, 0));
  void* mapped = nullptr;
  TL_VK_CHECK(fns.vkMapMemory(d, memory, 0, VK_WHOLE_SIZE, 0, &mapped));
  staging_buffer_ = std::move(owned_buffer);
  staging_memory_ = std::move(owned_memory);
  staging_mapped_ = mapped;
  staging_bytes_ = bytes;
  return Status::Ok();
}

// Copies between the staging buffer (packed runs) and `buffer` (runs at offset + s * stride),
// `segments` runs of `run` bytes, in one command buffer.
static Status staged_copy(VulkanDevice& dev, VkBuffer staging, VkBuffer buffer, std::uint64_t offset,
                          std::uint64_t run, std::uint64_t stride, std::uint64_t segments, bool to_device) {
  auto cmd = dev.allocate_command_buffer();
  if (!cmd.ok()) return cmd.error();
  std::vector<VkBufferCopy> regions(segments);
  for (std::uint64_t s = 0; s < segments; ++s) {
    const std::uint64_t packed = s * run, placed = offset + s * stride;
    regions[s] = to_device ? VkBufferCopy{packed, placed, run} : VkBufferCopy{placed, packed, run};
  }
  auto begin = vk_struct<VkCommandBufferBeginInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO);
  begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  Status s = [&]() -> Status {
    TL_VK_CHECK(dev.fns.vkBeginCommandBuffer(*cmd, &begin));
    const auto n = static_cast<std::uint32_t>(regions.size());
    if (to_device)
      dev.fns.vkCmdCopyBuffer(*cmd, staging, buffer, n, regions.data());
    else
      dev.fns.vkCmdCopyBuffer(*cmd, buffer, staging, n, regions.data());
    TL_VK_CHECK(dev.fns.vkEndCommandBuffer(*cmd));
    return dev.submit_and_wait(*cmd);
  }();
  dev.free_command_buffer(*cmd);
  return s;
}

Status VulkanDevice::upload_strided(const BufferState& dst, std::uint64_t byte_offset,
                                    std::uint64_t run_bytes, std::uint64_t stride_bytes,
                                    std::uint64_t segments, const void* src) {
  if (Status s = check_not_lost(); !s.ok()) return s;
  const auto* in = static_cast<const char*>(src);
  if (dst.mapped) {
    for (std::uint64_t s = 0; s < segments; ++s)
      std::memcpy(static_cast<char*>(dst.mapped) + byte_offset + s * stride_bytes, in + s * run_bytes,
                  run_bytes);
    return Status::Ok();
  }
  if (run_bytes == 0) return Status::Ok();
  const std::uint64_t per_chunk = runs_per_staged_copy(run_bytes);
  for (std::uint64_t first = 0; first < segments; first += per_chunk) {
    const std::uint64_t n = std::min(per_chunk, segments - first);
    if (Status s = ensure_staging(n * run_bytes); !s.ok()) return s;
    std::memcpy(staging_mapped_, in + first * run_bytes, n * run_bytes);
    if (Status s = staged_copy(*this, staging_buffer_.get(), dst.buffer.get(),
                               byte_offset + first * stride_bytes, run_bytes, stride_bytes, n, true);
        !s.ok())
      return s;
  }
  return Status::Ok();
}

Status VulkanDevice::download_strided(const BufferState& src, std::uint64_t byte_offset,
                                      std::uint64_t run_bytes, std::uint64_t stride_bytes,
                                      std::uint64_t segments, void* dst) {
  if (Status s = check_not_lost(); !s.ok()) return s;
  auto* out = static_cast<char*>(dst);
  if (src.mapped) {
    for (std::uint64_t s = 0; s < segments; ++s)
      std::memcpy(out + s * run_bytes, static_cast<const char*>(src.mapped) + byte_offset + s * stride_bytes,
                  run_bytes);
    return Status::Ok();
  }
  if (run_bytes == 0) return Status::Ok();
  const std::uint64_t per_chunk = runs_per_staged_copy(run_bytes);
  for (std::uint64_t first = 0; first < segments; first += per_chunk) {
    const std::uint64_t n = std::min(per_chunk, segments - first);
    if (Status s = ensure_staging(n * run_bytes); !s.ok()) return s;
    if (Status s = staged_copy(*this, staging_buffer_.get(), src.buffer.get(),
                               byte_offset + first * stride_bytes, run_bytes, stride_bytes, n, false);
        !s.ok())
      return s;
    std::memcpy(out + first * run_bytes, staging_mapped_, n * run_bytes);
  }
  return Status::Ok();
}

}  // namespace tl::gpu
