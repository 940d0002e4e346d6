// libFuzzer target: config.json -> ModelSpec (core/model/model.h parse_config) on arbitrary text.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/model/model.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)tl::parse_config(text, "fuzz/config.json");
  return 0;
}
