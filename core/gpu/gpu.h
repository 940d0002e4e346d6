#pragma once
// Vulkan compute device layer: the public API of core/gpu, free of Vulkan types.
//
// Sections: devices (list, choose) · Context (one logical device, memory budget, buffers,
// transfers) · BufferView · Batch (the one dispatch helper: records kernels, submits once).
//
// Limits, up front:
// - Vulkan is loaded at run time (dlopen); every entry point returns an Error instead of failing
//   when there is no loader, no device, no memory, or the device is lost. Callers fall back to the
//   CPU and show Error::message (one line, starting with the problem: "no Vulkan loader",
//   "no Vulkan device", "out of device memory", "device lost", "Vulkan initialisation failed").
// - Buffers hold 4-byte elements (float or uint32); views and sizes count elements.
// - A Context and everything made from it are used from one thread (the engine worker).
// - fp32 only.
#include <array>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/util/result.h"

namespace tl::gpu {

// ---------------------------------------------------------------------------------------------
// Devices

enum class DeviceKind { Discrete, Integrated, Virtual, Cpu, Other };
const char* device_kind_name(DeviceKind kind);  // "discrete", "integrated", "virtual", "cpu", "other"

struct MemoryHeap {
  std::uint64_t size_bytes = 0;
  bool device_local = false;
};

struct DeviceInfo {
  std::uint32_t index = 0;  // position in list_devices(): what a numeric selector names
  std::string name;         // e.g. "NVIDIA H100 80GB HBM3", "llvmpipe (LLVM 15.0.6, 256 bits)"
  DeviceKind kind = DeviceKind::Other;
  std::uint32_t vendor_id = 0;
  std::uint32_t device_id = 0;
  std::string api_version;  // "1.3.230"
  std::vector<MemoryHeap> heaps;
  bool has_compute_queue = false;  // devices without one are listed but never chosen
  std::uint32_t subgroup_size = 0;

  // Size of the largest device-local heap (0 if none).
  std::uint64_t device_local_bytes() const;
};

// Every physical device the Vulkan loader reports, in its order. Errors: no loader, instance
// creation failure. An empty list is not an error here (choose_device reports it).
Result<std::vector<DeviceInfo>> list_devices();

// The index (into `devices`) to use for `selector`:
//   ""          the best device: discrete > integrated > virtual > CPU implementation > other,
//               then the larger device-local heap, then the lower index;
//   "0", "1"..  that index;
//   otherwise   the first device whose name contains `selector`, ignoring case.
// Devices without a compute queue are never chosen. Errors say what was asked and what exists.
Result<std::uint32_t> choose_device(std::span<const DeviceInfo> devices, std::string_view selector);

// Limits that kernel wrappers need to size their dispatches.
struct DeviceLimits {
  std::array<std::uint32_t, 3> max_workgroup_count{};
  std::array<std::uint32_t, 3> max_workgroup_size{};
  std::uint32_t max_workgroup_invocations = 0;
  std::uint32_t max_push_constants_bytes = 0;
  std::uint32_t max_shared_memory_bytes = 0;
  std::uint64_t max_storage_buffer_range_bytes = 0;
  std::uint64_t min_storage_buffer_offset_alignment = 0;
  std::uint64_t max_allocation_bytes = 0;
  std::uint32_t max_bound_storage_buffers = 0;
  std::uint32_t subgroup_size = 0;
  bool subgroup_arithmetic = false;  // compute shaders may use subgroupAdd & co.
};

// ---------------------------------------------------------------------------------------------
// Context, buffers

struct ContextOptions {
  // Device selector as for choose_device(). Empty: the environment variable TL_GPU_DEVICE, then
  // automatic choice.
  std::string device;
  // Share of the chosen memory heap that buffers may use together (the rest is left to the
  // driver, the display and other programs).
  double memory_budget_fraction = 0.75;
  // Nonzero: the budget in bytes instead of the fraction (capped by the heap size).
  std::uint64_t memory_budget_bytes = 0;
  // Enable VK_LAYER_KHRONOS_validation when installed (also TL_GPU_VALIDATION=1). Development aid.
  bool validation = false;
  // Transfer through a staging buffer and copy commands even where buffers could be mapped (UMA
  // devices, lavapipe): lets tests run the path discrete GPUs take.
  bool force_staging = false;
};

class VulkanDevice;  // internal: core/gpu/vulkan_device.h
struct BufferState;  // internal

// A device buffer of 4-byte elements. Move-only; freeing returns its bytes to the budget. A buffer
// keeps its device alive, and a Batch keeps the buffers it recorded alive until it is destroyed.
class Buffer {
 public:
  Buffer();
  ~Buffer();
  Buffer(Buffer&&) noexcept;
  Buffer& operator=(Buffer&&) noexcept;

  std::uint64_t size() const;  // elements
  const std::string& label() const;
  explicit operator bool() const { return state_ != nullptr; }

  const std::shared_ptr<BufferState>& state() const { return state_; }  // internal
  explicit Buffer(std::shared_ptr<BufferState> state);                  // internal

 private:
  std::shared_ptr<BufferState> state_;
};

// A range of a buffer, in elements. A default view of a buffer covers all of it.
struct BufferView {
  const Buffer* buffer = nullptr;
  std::uint64_t offset = 0;
  std::uint64_t count = 0;

  BufferView() = default;
  BufferView(const Buffer& b) : buffer(&b), offset(0), count(b.size()) {}  // NOLINT: implicit on purpose
  BufferView(const Buffer& b, std::uint64_t off, std::uint64_t n) : buffer(&b), offset(off), count(n) {}
};

// `segments` runs of `run` elements each, run s starting at offset + s * stride (elements):
// e.g. a band of rows of a column-major matrix (run = band rows, stride = matrix rows).
struct StridedView {
  const Buffer* buffer = nullptr;
  std::uint64_t offset = 0, run = 0, stride = 0, segments = 0;
};

class Batch;

class Context {
 public:
  // Opens the loader, creates an instance, picks a device (see ContextOptions::device) and creates
  // a logical device with one compute queue.
  static Result<std::unique_ptr<Context>> create(const ContextOptions& options = {});
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  const DeviceInfo& device() const;
  const DeviceLimits& limits() const;
  std::uint64_t memory_budget_bytes() const;
  std::uint64_t memory_in_use_bytes() const;
  bool device_lost() const;  // once lost, every later call fails with "device lost: ..."

  // A zero-initialised buffer. Errors: out of device memory (budget or driver), allocation larger
  // than the device allows.
  Result<Buffer> create_buffer(std::uint64_t elements, std::string_view label);

  // Blocking transfers; the span size is the element count and must fit the view.
  Status upload(BufferView dst, std::span<const float> src);
  Status upload(BufferView dst, std::span<const std::uint32_t> src);
  Status download(BufferView src, std::span<float> dst);
  Status download(BufferView src, std::span<std::uint32_t> dst);
  // Strided transfers; the span holds the runs one after the other (segments * run elements).
  Status upload(const StridedView& dst, std::span<const float> src);
  Status download(const StridedView& src, std::span<float> dst);

  Result<Batch> begin_batch();

  // The workgroup size a kernel was compiled with (reflected from its SPIR-V).
  Result<std::array<std::uint32_t, 3>> local_size(std::string_view kernel);

  VulkanDevice& vulkan() const { return *device_; }  // internal

 private:
  explicit Context(std::shared_ptr<VulkanDevice> device);
  std::shared_ptr<VulkanDevice> device_;
};

// ---------------------------------------------------------------------------------------------
// Batch: the one dispatch helper

struct WorkGroups {
  std::uint32_t x = 1, y = 1, z = 1;
};

// Records kernels into one command buffer, with a memory barrier after each, then submits once and
// waits: a whole analysis can run without host round trips. dispatch() checks, before recording:
// the kernel exists; the number of views equals the shader's bindings; the params size equals the
// shader's push-constant block (after the view bases, see shader_params.h); the workgroup count is
// within the device limits; every view lies inside its buffer and fits maxStorageBufferRange.
// A Batch is single-use: after submit_and_wait() it only holds its buffers until destroyed.
class Batch {
 public:
  Batch(Batch&&) noexcept;
  Batch& operator=(Batch&&) noexcept;
  ~Batch();

  template <class Params>
  Status dispatch(std::string_view kernel, std::initializer_list<BufferView> views, const Params& params,
                  WorkGroups groups) {
    static_assert(std::is_trivially_copyable_v<Params> && alignof(Params) == 4,
                  "push-constant params are structs of 32-bit scalars (shader_params.h)");
    return dispatch_raw(kernel, std::span<const BufferView>(views.begin(), views.size()), &params,
                        sizeof(Params), groups);
  }
  Status dispatch_raw(std::string_view kernel, std::span<const BufferView> views, const void* params,
                      std::uint32_t params_bytes, WorkGroups groups);

  // Sets every element of `dst` to the bit pattern of `value` (0.0f: zero).
  Status fill(BufferView dst, float value = 0.0f);
  Status copy(BufferView src, BufferView dst);  // same element count

  Status submit_and_wait();
  std::uint32_t recorded_commands() const;

 private:
  friend class Context;
  struct State;
  explicit Batch(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace tl::gpu
