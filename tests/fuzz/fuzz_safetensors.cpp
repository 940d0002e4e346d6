// libFuzzer target: the safetensors reader on arbitrary bytes, two ways: the parser alone (with a
// small float copy from every tensor it accepts), and a whole model load with the embedded
// stories260K config.json, so the weight mapping (shapes, dtypes, names) sees hostile headers too.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/io/safetensors.h"
#include "core/model/embedded_model.h"
#include "core/model/model.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const unsigned char> bytes(data, size);
  auto file = tl::parse_safetensors(bytes, "fuzz.safetensors");
  if (file) {
    std::vector<float> buf(64);
    for (const auto& t : file->tensors) {
      if (!t.is_float() || t.element_count() == 0) continue;
      // One row of at most 64 values, viewed as [shape[0], rest].
      const std::int64_t rows = t.shape.empty() ? 1 : t.shape[0];
      const std::int64_t cols = rows > 0 ? t.element_count() / rows : 0;
      if (rows == 0 || cols == 0) continue;
      (void)tl::copy_block_as_float(t, 0, 1, 0, std::min<std::int64_t>(cols, 64), buf.data(), 64, 1);
    }
  }
  const auto config = tl::resources::default_model_file("config.json");
  const std::string_view config_text(reinterpret_cast<const char*>(config.data()), config.size());
  (void)tl::load_model_from_memory(config_text, bytes, "fuzz");
  return 0;
}
