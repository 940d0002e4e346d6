// Compute pipelines, created on first use from the SPIR-V embedded at build time and kept for the
// device's lifetime. Each kernel gets a descriptor-set layout of N storage buffers (N reflected
// from its SPIR-V) and a push-constant range of its reflected block size.
#include <cstring>
#include <string>
#include <vector>

#include "core/gpu/embedded_shaders.h"
#include "core/gpu/vulkan_device.h"

namespace tl::gpu {

Result<const KernelPipeline*> VulkanDevice::pipeline(std::string_view kernel) {
  const std::string key(kernel);
  if (auto it = pipelines_.find(key); it != pipelines_.end()) return it->second.get();

  auto bytes = tl::shaders::spirv_bytes(kernel);
  if (bytes.empty() || bytes.size() % 4 != 0)
    return make_error("Vulkan error: no compiled shader named '" + key + "' (shaders/" + key + ".comp)");
  std::vector<std::uint32_t> words(bytes.size() / 4);
  std::memcpy(words.data(), bytes.data(), bytes.size());
  if (words.size() > 1 && words[1] > spirv_version_supported)
    return make_error("Vulkan error: shader '" + key + "' is SPIR-V " + std::to_string(words[1] >> 16) + "." +
                      std::to_string((words[1] >> 8) & 0xff) + ", more than '" + info.name + "' (Vulkan " +
                      info.api_version + ") accepts");
  auto iface = reflect_compute_shader(words);
  if (!iface.ok()) return make_error("shader '" + key + "': " + iface.error().message);

  auto p = std::make_unique<KernelPipeline>();
  p->interface = *iface;
  const auto& ls = p->interface.local_size;
  for (int i = 0; i < 3; ++i)
    if (ls[i] > limits.max_workgroup_size[i])
      return make_error("shader '" + key + "': workgroup size " + std::to_string(ls[i]) +
                        " exceeds the device limit " + std::to_string(limits.max_workgroup_size[i]));
  if (std::uint64_t(ls[0]) * ls[1] * ls[2] > limits.max_workgroup_invocations)
    return make_error("shader '" + key + "': workgroup of " + std::to_string(ls[0] * ls[1] * ls[2]) +
                      " invocations exceeds the device limit " +
                      std::to_string(limits.max_workgroup_invocations));
  if (p->interface.push_constant_bytes > limits.max_push_constants_bytes)
    return make_error("shader '" + key + "': push constants of " +
                      std::to_string(p->interface.push_constant_bytes) + " bytes exceed the device limit " +
                      std::to_string(limits.max_push_constants_bytes));
  if (p->interface.binding_count > limits.max_bound_storage_buffers)
    return make_error("shader '" + key + "': too many storage buffers");

  VkDevice d = device.get();
  std::vector<VkDescriptorSetLayoutBinding> bindings(p->interface.binding_count);
  for (std::uint32_t b = 0; b < bindings.size(); ++b) {
    bindings[b].binding = b;
    bindings[b].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    bindings[b].descriptorCount = 1;
    bindings[b].stageFlags = VK_SHADER_STAGE_COMPUTE_BIT;
  }
  auto sinfo =
      vk_struct<VkDescriptorSetLayoutCreateInfo>(VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO);
  sinfo.bindingCount = static_cast<std::uint32_t>(bindings.size());
  sinfo.pBindings = bindings.data();
  VkDescriptorSetLayout set_layout = VK_NULL_HANDLE;
  TL_VK_CHECK(fns.vkCreateDescriptorSetLayout(d, &sinfo, nullptr, &set_layout));
  p->set_layout = DeviceObject<VkDescriptorSetLayout>(d, set_layout, fns.vkDestroyDescriptorSetLayout);

  VkPushConstantRange range{VK_SHADER_STAGE_COMPUTE_BIT, 0, p->interface.push_constant_bytes};
  auto linfo = vk_struct<VkPipelineLayoutCreateInfo>(VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO);
  linfo.setLayoutCount = 1;
  linfo.pSetLayouts = &set_layout;
  linfo.pushConstantRangeCount = range.size ? 1 : 0;
  linfo.pPushConstantRanges = &range;
  VkPipelineLayout layout = VK_NULL_HANDLE;
  TL_VK_CHECK(fns.vkCreatePipelineLayout(d, &linfo, nullptr, &layout));
  p->layout = DeviceObject<VkPipelineLayout>(d, layout, fns.vkDestroyPipelineLayout);

  auto minfo = vk_struct<VkShaderModuleCreateInfo>(VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO);
  minfo.codeSize = bytes.size();
  minfo.pCode = words.data();
  VkShaderModule module = VK_NULL_HANDLE;
  TL_VK_CHECK(fns.vkCreateShaderModule(d, &minfo, nullptr, &module));
  DeviceObject<VkShaderModule> owned_module(d, module, fns.vkDestroyShaderModule);

  auto cinfo = vk_struct<VkComputePipelineCreateInfo>(VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO);
  cinfo.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
  cinfo.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
  cinfo.stage.module = module;
  cinfo.stage.pName = "main";
  cinfo.layout = layout;
  VkPipeline pipe = VK_NULL_HANDLE;
  TL_VK_CHECK(fns.vkCreateComputePipelines(d, VK_NULL_HANDLE, 1, &cinfo, nullptr, &pipe));
  p->pipeline = DeviceObject<VkPipeline>(d, pipe, fns.vkDestroyPipeline);

  const KernelPipeline* out = p.get();
  pipelines_.emplace(key, std::move(p));
  return out;
}

}  // namespace tl::gpu
