// Shared by every kernel: the push-constant block convention of core/gpu/shader_params.h.
#ifndef TL_COMMON_GLSL
#define TL_COMMON_GLSL
#extension GL_GOOGLE_include_directive : require
#include "shader_params.h"

// view_base[b]: element offset of the view bound at binding b (set by gpu::Batch::dispatch).
#define TL_PUSH_PARAMS(Type) \
  layout(push_constant) uniform Push { uint view_base[TL_MAX_VIEWS]; Type p; }

#endif
