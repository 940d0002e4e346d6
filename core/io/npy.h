#pragma once
// NumPy .npy reader/writer (format versions 1.0-3.0, little-endian, C order). Reads
// f4/f8/f2/i8/i4/u1/b1 into doubles; writes f4 or f8. Hostile input is checked: header length,
// shape product overflow and data size are validated before anything is allocated.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "core/io/file_util.h"
#include "core/util/result.h"

namespace tl {

struct NpyArray {
  std::vector<std::int64_t> shape;
  std::vector<double> data;  // C order
  std::string dtype;         // as in the header, e.g. "<f4"

  std::int64_t size() const;
  // Element at a multi-index (C order).
  double at(std::initializer_list<std::int64_t> index) const;
};

Result<NpyArray> parse_npy(std::span<const unsigned char> bytes, std::string_view source_name = "array.npy");
Result<NpyArray> read_npy(const std::filesystem::path& path);

enum class NpyType { Float32, Float64 };
// Atomic: writes to a temporary file beside `path`, then renames.
Status write_npy(const std::filesystem::path& path, std::span<const std::int64_t> shape,
                 std::span<const double> data, NpyType type = NpyType::Float32,
                 Overwrite overwrite = Overwrite::Replace);
// Serialises to bytes (used by write_npy and tests).
std::vector<unsigned char> serialize_npy(std::span<const std::int64_t> shape, std::span<const double> data,
                                         NpyType type = NpyType::Float32);

}  // namespace tl
