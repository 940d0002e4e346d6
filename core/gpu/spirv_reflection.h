#pragma once
// The few facts about a compute shader that the dispatch helper checks, read from its SPIR-V:
// the workgroup size (OpExecutionMode[Id] LocalSize[Id]), the number of storage-buffer bindings in
// descriptor set 0 (highest binding + 1) and the size of the push-constant block in bytes.
// Only what glslc emits for shaders/*.comp is understood (local sizes as literals or constant ids,
// one push block).
#include <array>
#include <cstdint>
#include <span>

#include "core/util/result.h"

namespace tl::gpu {

struct ShaderInterface {
  std::array<std::uint32_t, 3> local_size{1, 1, 1};
  std::uint32_t binding_count = 0;
  std::uint32_t push_constant_bytes = 0;
};

Result<ShaderInterface> reflect_compute_shader(std::span<const std::uint32_t> words);

}  // namespace tl::gpu
