// Host/shader parameter layouts, defined once and included by both C++ and GLSL.
// Push-constant structs only use 32-bit scalars so std430/C++ layouts agree; sizes are checked
// with static_assert on the C++ side.
#ifndef TL_SHADER_PARAMS_H
#define TL_SHADER_PARAMS_H

#ifdef __cplusplus
#include <cstdint>
namespace tl::gpu {
using uint = std::uint32_t;
#define TL_STRUCT(name) struct name
#else
#define TL_STRUCT(name) struct name
#endif

TL_STRUCT(SaxpyParams) {
  uint n;
  float a;
};

#ifdef __cplusplus
static_assert(sizeof(SaxpyParams) == 8);
}  // namespace tl::gpu
#endif
#endif
