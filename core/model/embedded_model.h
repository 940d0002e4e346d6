#pragma once
// Files of the default model compiled into the binary (generated from resources/default_model by
// resources/CMakeLists.txt). Names: config.json, model.safetensors, tokenizer.json,
// tokenizer_config.json, special_tokens_map.json. Unknown names give an empty span.
#include <span>
#include <string_view>

namespace tl::resources {
std::span<const unsigned char> default_model_file(std::string_view name);
}
