#pragma once
// SPIR-V of every shaders/*.comp, compiled by glslc at build time and embedded by
// shaders/CMakeLists.txt (generated source in the build directory). Looked up by file stem
// ("gemm_tiled"); an unknown name gives an empty span. The bytes are 16-byte aligned.
#include <span>
#include <string_view>

namespace tl::shaders {
std::span<const unsigned char> spirv_bytes(std::string_view name);
}
