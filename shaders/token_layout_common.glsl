// The token layout of a stream state on the device (shader_params.h): one uint buffer
//   [offset[n_tokens] | count[n_tokens] | row_token[rows]]
// Include after TL_PUSH_PARAMS (whose params have n_tokens), with TL_LAYOUT_BINDING defined.
#ifndef TL_TOKEN_LAYOUT_COMMON_GLSL
#define TL_TOKEN_LAYOUT_COMMON_GLSL

layout(std430, set = 0, binding = TL_LAYOUT_BINDING) readonly buffer TokenLayout { uint token_layout[]; };

uint block_offset(uint t) { return token_layout[view_base[TL_LAYOUT_BINDING] + t]; }
uint block_count(uint t) { return token_layout[view_base[TL_LAYOUT_BINDING] + p.n_tokens + t]; }
uint row_token(uint r) { return token_layout[view_base[TL_LAYOUT_BINDING] + 2 * p.n_tokens + r]; }

#endif
