// Batch: the one dispatch helper. Records kernels (with the checks listed in gpu.h), fills and
// copies into one command buffer with a full memory barrier after each, submits once.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "core/gpu/vulkan_device.h"

namespace tl::gpu {
namespace {

constexpr std::uint32_t kSetsPerPool = 64;
constexpr std::uint32_t kMaxViews = kViewBaseBytes / 4;

}  // namespace

struct Batch::State {
  std::shared_ptr<VulkanDevice> dev;
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  std::vector<DeviceObject<VkDescriptorPool>> pools;
  std::uint32_t sets_left = 0;
  std::vector<std::shared_ptr<BufferState>> buffers;  // kept alive while recorded
  std::uint32_t commands = 0;
  bool submitted = false;

  ~State() {
    if (dev) dev->free_command_buffer(cmd);
  }

  Status usable() const {
    if (submitted) return make_error("Batch: already submitted (a batch is single-use)");
    return dev->check_not_lost();
  }

  // Makes everything written so far visible to every later command (compute or transfer).
  void barrier(VkPipelineStageFlags dst_stage, VkAccessFlags dst_access) {
    auto b = vk_struct<VkMemoryBarrier>(VK_STRUCTURE_TYPE_MEMORY_BARRIER);
    b.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
    b.dstAccessMask = dst_access;
    dev->fns.vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                                  dst_stage, 0, 1, &b, 0, nullptr, 0, nullptr);
  }
  void barrier_between_commands() {
    barrier(VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
            VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_READ_BIT |
                VK_ACCESS_TRANSFER_WRITE_BIT);
  }

  Result<VkDescriptorSet> allocate_set(VkDescriptorSetLayout layout) {
    VkDevice d = dev->device.get();
    if (sets_left == 0) {
      VkDescriptorPoolSize size{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, kSetsPerPool * kMaxViews};
      auto info = vk_struct<VkDescriptorPoolCreateInfo>(VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO);
      info.maxSets = kSetsPerPool;
      info.poolSizeCount = 1;
      info.pPoolSizes = &size;
      VkDescriptorPool pool = VK_NULL_HANDLE;
      TL_VK_CHECK(dev->fns.vkCreateDescriptorPool(d, &info, nullptr, &pool));
      pools.emplace_back(d, pool, dev->fns.vkDestroyDescriptorPool);
      sets_left = kSetsPerPool;
    }
    auto a = vk_struct<VkDescriptorSetAllocateInfo>(VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO);
    a.descriptorPool = pools.back().get();
    a.descriptorSetCount = 1;
    a.pSetLayouts = &layout;
    VkDescriptorSet set = VK_NULL_HANDLE;
    TL_VK_CHECK(dev->fns.vkAllocateDescriptorSets(d, &a, &set));
    --sets_left;
    return set;
  }

  // The view's buffer state, after checking that [offset, offset + count) lies inside it.
  Result<BufferState*> checked_buffer(const BufferView& v, std::string_view what) {
    if (!v.buffer || !*v.buffer) return make_error(std::string(what) + ": no buffer");
    BufferState* s = v.buffer->state().get();
    if (s->device.get() != dev.get())
      return make_error(std::string(what) + ": buffer '" + s->label + "' belongs to another device");
    if (v.offset > s->elements || v.count > s->elements - v.offset)
      return make_error(std::string(what) + ": view [" + std::to_string(v.offset) + ", +" +
                        std::to_string(v.count) + ") outside buffer '" + s->label + "' of " +
                        std::to_string(s->elements) + " elements");
    return s;
  }
};

Batch::Batch(std::unique_ptr<State> state) : state_(std::move(state)) {}
Batch::Batch(Batch&&) noexcept = default;
Batch& Batch::operator=(Batch&&) noexcept = default;
Batch::~Batch() = default;

std::uint32_t Batch::recorded_commands() const { return state_->commands; }

Result<Batch> Context::begin_batch() {
  if (Status s = device_->check_not_lost(); !s.ok()) return s.error();
  auto state = std::make_unique<Batch::State>();
  state->dev = device_;
  auto cmd = device_->allocate_command_buffer();
  if (!cmd.ok()) return cmd.error();
  state->cmd = *cmd;
  auto begin = vk_struct<VkCommandBufferBeginInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO);
  begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  TL_VK_CHECK(device_->fns.vkBeginCommandBuffer(state->cmd, &begin));
  return Batch(std::move(state));
}

Status Batch::dispatch_raw(std::string_view kernel, std::span<const BufferView> views, const void* params,
                           std::uint32_t params_bytes, WorkGroups groups) {
  State& st = *state_;
  if (Status s = st.usable(); !s.ok()) return s;
  VulkanDevice& dev = *st.dev;
  const std::string name(kernel);
  auto pipe = dev.pipeline(kernel);
  if (!pipe.ok()) return pipe.error();
  const KernelPipeline& p = **pipe;

  if (views.size() != p.interface.binding_count)
    return make_error("kernel '" + name + "': takes " + std::to_string(p.interface.binding_count) +
                      " buffers, " + std::to_string(views.size()) + " given");
  if (views.size() > kMaxViews)
    return make_error("kernel '" + name + "': more than " + std::to_string(kMaxViews) + " buffers");
  if (kViewBaseBytes + params_bytes != p.interface.push_constant_bytes)
    return make_error("kernel '" + name + "': params of " + std::to_string(params_bytes) +
                      " bytes, the shader expects " +
                      std::to_string(int(p.interface.push_constant_bytes) - int(kViewBaseBytes)) +
                      " (shader_params.h and the .comp disagree)");
  const std::uint32_t g[3] = {groups.x, groups.y, groups.z};
  for (int i = 0; i < 3; ++i)
    if (g[i] > dev.limits.max_workgroup_count[i])
      return make_error("kernel '" + name + "': " + std::to_string(g[i]) + " workgroups in dimension " +
                        std::to_string(i) + " exceed the device limit " +
                        std::to_string(dev.limits.max_workgroup_count[i]));

  // Bind each view at the aligned offset at or below its start; the remainder goes to the shader
  // as view_base[binding] (in elements), so views may start anywhere.
  std::uint32_t view_base[kMaxViews] = {};
  std::vector<VkDescriptorBufferInfo> infos(views.size());
  const std::uint64_t align = dev.limits.min_storage_buffer_offset_alignment;
  for (std::size_t b = 0; b < views.size(); ++b) {
    auto s = st.checked_buffer(views[b], "kernel '" + name + "' buffer " + std::to_string(b));
    if (!s.ok()) return s.error();
    const std::uint64_t start = views[b].offset * 4;
    const std::uint64_t bound = start / align * align;
    const std::uint64_t buffer_bytes = std::max<std::uint64_t>((*s)->elements, 1) * 4;
    const std::uint64_t range =
        std::min(start - bound + std::max<std::uint64_t>(views[b].count, 1) * 4, buffer_bytes - bound);
    if (range > dev.limits.max_storage_buffer_range_bytes)
      return make_error("kernel '" + name + "': view of buffer '" + (*s)->label + "' spans " +
                        std::to_string(range) + " bytes, more than the device binds at once (" +
                        std::to_string(dev.limits.max_storage_buffer_range_bytes) + "); split the work");
    view_base[b] = static_cast<std::uint32_t>((start - bound) / 4);
    infos[b] = VkDescriptorBufferInfo{(*s)->buffer.get(), bound, range};
    st.buffers.push_back(views[b].buffer->state());
  }
  if (groups.x == 0 || groups.y == 0 || groups.z == 0) return Status::Ok();  // nothing to do

  auto set = st.allocate_set(p.set_layout.get());
  if (!set.ok()) return set.error();
  std::vector<VkWriteDescriptorSet> writes(views.size());
  for (std::size_t b = 0; b < views.size(); ++b) {
    writes[b] = vk_struct<VkWriteDescriptorSet>(VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET);
    writes[b].dstSet = *set;
    writes[b].dstBinding = static_cast<std::uint32_t>(b);
    writes[b].descriptorCount = 1;
    writes[b].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    writes[b].pBufferInfo = &infos[b];
  }
  dev.fns.vkUpdateDescriptorSets(dev.device.get(), static_cast<std::uint32_t>(writes.size()), writes.data(),
                                 0, nullptr);

  std::vector<unsigned char> push(kViewBaseBytes + params_bytes);
  std::memcpy(push.data(), view_base, kViewBaseBytes);
  if (params_bytes) std::memcpy(push.data() + kViewBaseBytes, params, params_bytes);

  dev.fns.vkCmdBindPipeline(st.cmd, VK_PIPELINE_BIND_POINT_COMPUTE, p.pipeline.get());
  dev.fns.vkCmdBindDescriptorSets(st.cmd, VK_PIPELINE_BIND_POINT_COMPUTE, p.layout.get(), 0, 1, &*set, 0,
                                  nullptr);
  dev.fns.vkCmdPushConstants(st.cmd, p.layout.get(), VK_SHADER_STAGE_COMPUTE_BIT, 0,
                             static_cast<std::uint32_t>(push.size()), push.data());
  dev.fns.vkCmdDispatch(st.cmd, groups.x, groups.y, groups.z);
  st.barrier_between_commands();
  ++st.commands;
  return Status::Ok();
}

Status Batch::fill(BufferView dst, float value) {
  State& st = *state_;
  if (Status s = st.usable(); !s.ok()) return s;
  auto s = st.checked_buffer(dst, "fill");
  if (!s.ok()) return s.error();
  if (dst.count == 0) return Status::Ok();
  std::uint32_t bits = 0;
  std::memcpy(&bits, &value, 4);
  st.dev->fns.vkCmdFillBuffer(st.cmd, (*s)->buffer.get(), dst.offset * 4, dst.count * 4, bits);
  st.buffers.push_back(dst.buffer->state());
  st.barrier_between_commands();
  ++st.commands;
  return Status::Ok();
}

Status Batch::copy(BufferView src, BufferView dst) {
  State& st = *state_;
  if (Status s = st.usable(); !s.ok()) return s;
  auto a = st.checked_buffer(src, "copy source");
  if (!a.ok()) return a.error();
  auto b = st.checked_buffer(dst, "copy destination");
  if (!b.ok()) return b.error();
  if (src.count != dst.count)
    return make_error("copy: source has " + std::to_string(src.count) + " elements, destination " +
                      std::to_string(dst.count));
  if (src.count == 0) return Status::Ok();
  VkBufferCopy region{src.offset * 4, dst.offset * 4, src.count * 4};
  st.dev->fns.vkCmdCopyBuffer(st.cmd, (*a)->buffer.get(), (*b)->buffer.get(), 1, &region);
  st.buffers.push_back(src.buffer->state());
  st.buffers.push_back(dst.buffer->state());
  st.barrier_between_commands();
  ++st.commands;
  return Status::Ok();
}

Status Batch::submit_and_wait() {
  State& st = *state_;
  if (Status s = st.usable(); !s.ok()) return s;
  st.submitted = true;
  // Results must be visible to the host (mapped memory) after the wait.
  st.barrier(VK_PIPELINE_STAGE_HOST_BIT, VK_ACCESS_HOST_READ_BIT);
  TL_VK_CHECK(st.dev->fns.vkEndCommandBuffer(st.cmd));
  return st.dev->submit_and_wait(st.cmd);
}

}  // namespace tl::gpu
