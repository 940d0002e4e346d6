#pragma once
// RAII owners for Vulkan objects (internal to core/gpu). Every handle core/gpu creates is held by
// one of these from the line that creates it, so an early error return cannot leak it.
//
// - DeviceObject<H>: any object destroyed by vkDestroyX(VkDevice, H, allocator) or vkFreeMemory.
//   Command buffers and descriptor sets are not owned individually: they die with their pool.
// - InstanceOwner / DeviceOwner: the instance and logical device themselves.
// Owners are move-only; destruction order is the reverse of declaration order in the holder, so
// holders declare the device before the objects created from it.
#include <utility>

#include "core/gpu/vulkan_loader.h"

namespace tl::gpu {

template <class Handle>
class DeviceObject {
 public:
  using DestroyFn = void(VKAPI_PTR*)(VkDevice, Handle, const VkAllocationCallbacks*);

  DeviceObject() = default;
  DeviceObject(VkDevice device, Handle handle, DestroyFn destroy)
      : device_(device), handle_(handle), destroy_(destroy) {}
  DeviceObject(const DeviceObject&) = delete;
  DeviceObject& operator=(const DeviceObject&) = delete;
  DeviceObject(DeviceObject&& o) noexcept { *this = std::move(o); }
  DeviceObject& operator=(DeviceObject&& o) noexcept {
    if (this != &o) {
      reset();
      device_ = std::exchange(o.device_, VK_NULL_HANDLE);
      handle_ = std::exchange(o.handle_, VK_NULL_HANDLE);
      destroy_ = std::exchange(o.destroy_, nullptr);
    }
    return *this;
  }
  ~DeviceObject() { reset(); }

  void reset() {
    if (handle_ != VK_NULL_HANDLE && destroy_) destroy_(device_, handle_, nullptr);
    handle_ = VK_NULL_HANDLE;
  }
  Handle get() const { return handle_; }
  explicit operator bool() const { return handle_ != VK_NULL_HANDLE; }

 private:
  VkDevice device_ = VK_NULL_HANDLE;
  Handle handle_ = VK_NULL_HANDLE;
  DestroyFn destroy_ = nullptr;
};

class InstanceOwner {
 public:
  InstanceOwner() = default;
  InstanceOwner(VkInstance instance, PFN_vkDestroyInstance destroy)
      : instance_(instance), destroy_(destroy) {}
  InstanceOwner(const InstanceOwner&) = delete;
  InstanceOwner& operator=(const InstanceOwner&) = delete;
  InstanceOwner(InstanceOwner&& o) noexcept { *this = std::move(o); }
  InstanceOwner& operator=(InstanceOwner&& o) noexcept {
    if (this != &o) {
      reset();
      instance_ = std::exchange(o.instance_, VK_NULL_HANDLE);
      destroy_ = std::exchange(o.destroy_, nullptr);
    }
    return *this;
  }
  ~InstanceOwner() { reset(); }
  void reset() {
    if (instance_ != VK_NULL_HANDLE && destroy_) destroy_(instance_, nullptr);
    instance_ = VK_NULL_HANDLE;
  }
  VkInstance get() const { return instance_; }

 private:
  VkInstance instance_ = VK_NULL_HANDLE;
  PFN_vkDestroyInstance destroy_ = nullptr;
};

class DeviceOwner {
 public:
  DeviceOwner() = default;
  DeviceOwner(VkDevice device, PFN_vkDestroyDevice destroy, PFN_vkDeviceWaitIdle wait_idle)
      : device_(device), destroy_(destroy), wait_idle_(wait_idle) {}
  DeviceOwner(const DeviceOwner&) = delete;
  DeviceOwner& operator=(const DeviceOwner&) = delete;
  DeviceOwner(DeviceOwner&& o) noexcept { *this = std::move(o); }
  DeviceOwner& operator=(DeviceOwner&& o) noexcept {
    if (this != &o) {
      reset();
      device_ = std::exchange(o.device_, VK_NULL_HANDLE);
      destroy_ = std::exchange(o.destroy_, nullptr);
      wait_idle_ = std::exchange(o.wait_idle_, nullptr);
    }
    return *this;
  }
  ~DeviceOwner() { reset(); }
  void reset() {
    if (device_ != VK_NULL_HANDLE && destroy_) {
      // Work still in flight (after an error return) must finish before the device goes.
      if (wait_idle_) wait_idle_(device_);
      destroy_(device_, nullptr);
    }
    device_ = VK_NULL_HANDLE;
  }
  VkDevice get() const { return device_; }

 private:
  VkDevice device_ = VK_NULL_HANDLE;
  PFN_vkDestroyDevice destroy_ = nullptr;
  PFN_vkDeviceWaitIdle wait_idle_ = nullptr;
};

}  // namespace tl::gpu
