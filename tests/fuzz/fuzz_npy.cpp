// libFuzzer target: the .npy reader (core/io/npy.h) on arbitrary bytes. A parsed array must be
// consistent (its data size is the product of its shape), and serialising it must not fail.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "core/io/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto array = tl::parse_npy({data, size}, "fuzz.npy");
  if (!array) return 0;
  if (static_cast<std::int64_t>(array->data.size()) != array->size()) std::abort();
  (void)tl::serialize_npy(array->shape, array->data);
  return 0;
}
