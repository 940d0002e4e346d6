#pragma once
// Safetensors reader: an 8-byte little-endian header length, a JSON header mapping tensor names
// to {dtype, shape, data_offsets}, then the raw little-endian data. Files are not memory-mapped (a
// file truncated underneath a mapping raises SIGBUS): the header is read with pread() and each
// tensor's bytes are pread() in chunks as they are converted, every byte count checked, so a file
// that shrinks while it is loaded gives an error naming it. In-memory buffers (the embedded model,
// tests, the fuzzer) are viewed directly. Every header field is validated before use, because
// model files are hostile input: header length, offsets (range, order, overlap), and byte size
// against dtype size x shape product (with overflow checks).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.h"

namespace tl {

class ReadableFile;

struct SafetensorsTensor {
  std::string name;
  std::string dtype;                     // as in the header: "F32", "F16", "BF16", "I64", ...
  std::vector<std::int64_t> shape;
  std::span<const unsigned char> bytes;  // view into the buffer for in-memory files; empty when `file` is set
  std::uint64_t byte_size = 0;           // size of the data (dtype size x element count)
  std::shared_ptr<const ReadableFile> file;  // set for tensors of a file on disk: data at file_offset
  std::uint64_t file_offset = 0;
  std::string source;                    // file name, for messages

  std::int64_t element_count() const;
  // F32, F16 and BF16 convert to float; other dtypes are parsed (for validation) but not loadable.
  bool is_float() const;
};

// Bytes per element for a safetensors dtype name, 0 for names the format does not define.
std::size_t safetensors_dtype_size(std::string_view dtype);

// One parsed file. Does not own in-memory bytes; tensors of a file on disk hold the open file.
struct SafetensorsFile {
  std::string source;
  std::vector<SafetensorsTensor> tensors;  // in header order
  std::shared_ptr<const void> keepalive;
};

Result<SafetensorsFile> parse_safetensors(std::span<const unsigned char> bytes, std::string source_name);

// The tensors of a checkpoint: one file, or several shards listed by model.safetensors.index.json.
class TensorStore {
 public:
  // `dir`/model.safetensors, else `dir`/model.safetensors.index.json and its shards.
  static Result<TensorStore> open_dir(const std::filesystem::path& dir);
  static Result<TensorStore> open_file(const std::filesystem::path& file);
  static Result<TensorStore> open_index(const std::filesystem::path& index_json);
  // The bytes must outlive the store (embedded resources, test buffers).
  static Result<TensorStore> from_memory(std::span<const unsigned char> bytes, std::string source_name);

  const SafetensorsTensor* find(std::string_view name) const;
  std::vector<std::string> names() const;
  // The float dtype holding the most elements ("F32", "F16", "BF16"), or "" when there is none.
  std::string dominant_float_dtype() const;
  // An error when one of the files changed (size or modification time) since it was opened.
  Status check_unchanged() const;
  // The file (or index) name, for messages.
  const std::string& source() const { return source_; }

 private:
  Status add_file(SafetensorsFile file);
  std::string source_;
  std::vector<SafetensorsFile> files_;
  // name -> (file index, tensor index)
  std::map<std::string, std::pair<std::size_t, std::size_t>, std::less<>> by_name_;
};

// Converts a block of the tensor, viewed as 2-D [shape[0], product of the rest] (1-D tensors are
// [1, n]), to float: element (row0 + r, col0 + c) goes to dst[r * dst_row_stride + c * dst_col_stride].
// The strides express the layout change (transpose, splitting a fused projection) in the same pass.
// Errors: a dtype other than F32/F16/BF16 (naming the tensor and dtype), a block outside the tensor.
Status copy_block_as_float(const SafetensorsTensor& t, std::int64_t row0, std::int64_t rows,
                           std::int64_t col0, std::int64_t cols, float* dst,
                           std::ptrdiff_t dst_row_stride, std::ptrdiff_t dst_col_stride);

// Shape as text, e.g. "[1000, 64]".
std::string shape_string(std::span<const std::int64_t> shape);

}  // namespace tl
