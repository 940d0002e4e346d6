// Public device-layer entry points: device listing and choice, Context, Buffer.
#include <algorithm>
#include <cctype>
#include <string>

#include "core/gpu/failure_simulation.h"
#include "core/gpu/vulkan_device.h"

namespace tl::gpu {

const char* device_kind_name(DeviceKind kind) {
  switch (kind) {
    case DeviceKind::Discrete:
      return "discrete";
    case DeviceKind::Integrated:
      return "integrated";
    case DeviceKind::Virtual:
      return "virtual";
    case DeviceKind::Cpu:
      return "cpu";
    case DeviceKind::Other:
      return "other";
  }
  return "other";
}

std::uint64_t DeviceInfo::device_local_bytes() const {
  std::uint64_t best = 0;
  for (const auto& h : heaps)
    if (h.device_local) best = std::max(best, h.size_bytes);
  return best;
}

Result<std::vector<DeviceInfo>> list_devices() {
  auto inst = create_vulkan_instance(false);
  if (!inst.ok()) return inst.error();
  std::uint32_t count = 0;
  TL_VK_CHECK(inst->fns.vkEnumeratePhysicalDevices(inst->instance.get(), &count, nullptr));
  std::vector<VkPhysicalDevice> physical(count);
  TL_VK_CHECK(inst->fns.vkEnumeratePhysicalDevices(inst->instance.get(), &count, physical.data()));
  std::vector<DeviceInfo> out;
  if (simulating(SimulatedFailure::NoDevice)) return out;
  for (std::uint32_t i = 0; i < physical.size(); ++i)
    out.push_back(describe_physical_device(*inst, physical[i], i));
  return out;
}

namespace {

int kind_rank(DeviceKind k) {
  switch (k) {
    case DeviceKind::Discrete:
      return 0;
    case DeviceKind::Integrated:
      return 1;
    case DeviceKind::Virtual:
      return 2;
    case DeviceKind::Cpu:
      return 3;
    case DeviceKind::Other:
      return 4;
  }
  return 5;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string names_of(std::span<const DeviceInfo> devices) {
  if (devices.empty()) return "none";
  std::string out;
  for (const auto& d : devices) out += (out.empty() ? "" : ", ") + std::to_string(d.index) + ": " + d.name;
  return out;
}

}  // namespace

Result<std::uint32_t> choose_device(std::span<const DeviceInfo> devices, std::string_view selector) {
  if (devices.empty()) return make_error("no Vulkan device: the Vulkan loader reports no physical device");
  const bool numeric = !selector.empty() && std::all_of(selector.begin(), selector.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
  if (numeric) {
    const unsigned long index = std::stoul(std::string(selector));
    if (index >= devices.size())
      return make_error("no Vulkan device: device " + std::string(selector) + " requested, devices are " +
                        names_of(devices));
    if (!devices[index].has_compute_queue)
      return make_error("no Vulkan device: device " + std::string(selector) + " ('" + devices[index].name +
                        "') has no compute queue");
    return static_cast<std::uint32_t>(index);
  }
  if (!selector.empty()) {
    const std::string want = lower(selector);
    for (std::uint32_t i = 0; i < devices.size(); ++i)
      if (devices[i].has_compute_queue && lower(devices[i].name).find(want) != std::string::npos) return i;
    return make_error("no Vulkan device: none named like '" + std::string(selector) +
                      "' (devices: " + names_of(devices) + ")");
  }
  std::optional<std::uint32_t> best;
  for (std::uint32_t i = 0; i < devices.size(); ++i) {
    if (!devices[i].has_compute_queue) continue;
    if (!best) {
      best = i;
      continue;
    }
    const DeviceInfo& a = devices[i];
    const DeviceInfo& b = devices[*best];
    if (kind_rank(a.kind) < kind_rank(b.kind) ||
        (kind_rank(a.kind) == kind_rank(b.kind) && a.device_local_bytes() > b.device_local_bytes()))
      best = i;
  }
  if (!best)
    return make_error("no Vulkan device: no device has a compute queue (devices: " + names_of(devices) + ")");
  return *best;
}

// ---------------------------------------------------------------------------------------------

Buffer::Buffer() = default;
Buffer::~Buffer() = default;
Buffer::Buffer(Buffer&&) noexcept = default;
Buffer& Buffer::operator=(Buffer&&) noexcept = default;
Buffer::Buffer(std::shared_ptr<BufferState> state) : state_(std::move(state)) {}
std::uint64_t Buffer::size() const { return state_ ? state_->elements : 0; }
const std::string& Buffer::label() const {
  static const std::string empty;
  return state_ ? state_->label : empty;
}

Context::Context(std::shared_ptr<VulkanDevice> device) : device_(std::move(device)) {}
Context::~Context() = default;

Result<std::unique_ptr<Context>> Context::create(const ContextOptions& options) {
  auto dev = VulkanDevice::create(options);
  if (!dev.ok()) return dev.error();
  return std::unique_ptr<Context>(new Context(std::move(*dev)));
}

const DeviceInfo& Context::device() const { return device_->info; }
const DeviceLimits& Context::limits() const { return device_->limits; }
std::uint64_t Context::memory_budget_bytes() const { return device_->budget_bytes(); }
std::uint64_t Context::memory_in_use_bytes() const { return device_->in_use_bytes(); }
bool Context::device_lost() const { return device_->lost(); }

Result<Buffer> Context::create_buffer(std::uint64_t elements, std::string_view label) {
  auto state = device_->create_buffer(elements, label);
  if (!state.ok()) return state.error();
  return Buffer(std::move(*state));
}

namespace {

Status check_transfer(const VulkanDevice& dev, const BufferView& v, std::uint64_t n, const char* what) {
  if (!v.buffer || !*v.buffer) return make_error(std::string(what) + ": no buffer");
  const BufferState& s = *v.buffer->state();
  if (s.device.get() != &dev)
    return make_error(std::string(what) + ": buffer '" + s.label + "' belongs to another device");
  if (v.offset > s.elements || v.count > s.elements - v.offset)
    return make_error(std::string(what) + ": view outside buffer '" + s.label + "'");
  if (n != v.count)
    return make_error(std::string(what) + ": " + std::to_string(n) + " elements for a view of " +
                      std::to_string(v.count) + " in buffer '" + s.label + "'");
  return Status::Ok();
}

}  // namespace

Status Context::upload(BufferView dst, std::span<const float> src) {
  if (Status s = check_transfer(*device_, dst, src.size(), "upload"); !s.ok()) return s;
  return device_->upload_bytes(*dst.buffer->state(), dst.offset * 4, src.data(), src.size() * 4);
}
Status Context::upload(BufferView dst, std::span<const std::uint32_t> src) {
  if (Status s = check_transfer(*device_, dst, src.size(), "upload"); !s.ok()) return s;
  return device_->upload_bytes(*dst.buffer->state(), dst.offset * 4, src.data(), src.size() * 4);
}
Status Context::download(BufferView src, std::span<float> dst) {
  if (Status s = check_transfer(*device_, src, dst.size(), "download"); !s.ok()) return s;
  return device_->download_bytes(*src.buffer->state(), src.offset * 4, dst.data(), dst.size() * 4);
}
Status Context::download(BufferView src, std::span<std::uint32_t> dst) {
  if (Status s = check_transfer(*device_, src, dst.size(), "download"); !s.ok()) return s;
  return device_->download_bytes(*src.buffer->state(), src.offset * 4, dst.data(), dst.size() * 4);
}

namespace {

Status check_strided(const VulkanDevice& dev, const StridedView& v, std::uint64_t n, const char* what) {
  if (!v.buffer || !*v.buffer) return make_error(std::string(what) + ": no buffer");
  const BufferState& s = *v.buffer->state();
  if (s.device.get() != &dev)
    return make_error(std::string(what) + ": buffer '" + s.label + "' belongs to another device");
  if (n != v.run * v.segments)
    return make_error(std::string(what) + ": " + std::to_string(n) + " elements for " +
                      std::to_string(v.segments) + " runs of " + std::to_string(v.run));
  if (v.segments > 0 &&
      (v.offset + (v.segments - 1) * v.stride + v.run > s.elements || (v.segments > 1 && v.stride < v.run)))
    return make_error(std::string(what) + ": strided view outside buffer '" + s.label +
                      "' or overlapping itself");
  return Status::Ok();
}

}  // namespace

Status Context::upload(const StridedView& dst, std::span<const float> src) {
  if (Status s = check_strided(*device_, dst, src.size(), "upload"); !s.ok()) return s;
  return device_->upload_strided(*dst.buffer->state(), dst.offset * 4, dst.run * 4, dst.stride * 4,
                                 dst.segments, src.data());
}

Status Context::download(const StridedView& src, std::span<float> dst) {
  if (Status s = check_strided(*device_, src, dst.size(), "download"); !s.ok()) return s;
  return device_->download_strided(*src.buffer->state(), src.offset * 4, src.run * 4, src.stride * 4,
                                   src.segments, dst.data());
}

Result<std::array<std::uint32_t, 3>> Context::local_size(std::string_view kernel) {
  auto p = device_->pipeline(kernel);
  if (!p.ok()) return p.error();
  return (*p)->interface.local_size;
}

}  // namespace tl::gpu
