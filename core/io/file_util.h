#pragma once
// Small file helpers shared by the loaders and exporters.
#include <filesystem>
#include <memory>
#include <span>
#include <string>

#include "core/util/result.h"

namespace tl {

// Read-only memory map of a whole file (no copy). Empty files map to an empty span.
class MappedFile {
 public:
  static Result<std::shared_ptr<MappedFile>> open(const std::filesystem::path& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  std::span<const unsigned char> bytes() const { return {data_, size_}; }
  const std::filesystem::path& path() const { return path_; }

 private:
  MappedFile() = default;
  const unsigned char* data_ = nullptr;
  std::size_t size_ = 0;
  std::filesystem::path path_;
};

Result<std::string> read_text_file(const std::filesystem::path& path, std::size_t max_bytes = std::size_t(1) << 30);
// Atomic write: temporary file in the same folder, fsync, rename. A failure leaves no partial file.
Status write_file_atomic(const std::filesystem::path& path, std::span<const unsigned char> bytes);
Status write_text_atomic(const std::filesystem::path& path, std::string_view text);

}  // namespace tl
