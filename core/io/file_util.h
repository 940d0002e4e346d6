#pragma once
// File helpers shared by the loaders and exporters. Every file core/ reads goes through
// ReadableFile: the path is stat()ed first and anything but a regular file (a FIFO, a device, a
// socket, a folder) is refused by name without being opened, so a named pipe can never block a
// loader; the open itself is O_NONBLOCK | O_CLOEXEC and is checked again with fstat() (the path may
// have been replaced in between). Reads are pread()s whose byte counts are checked: a file that
// shrinks or changes while it is read gives an error naming it, never a signal (nothing is
// memory-mapped, so there is no SIGBUS to get).
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/util/result.h"

namespace tl {

// What stat() says about a path, in words: "a FIFO (named pipe)", "a folder", ...
std::string file_kind_name(mode_t mode);

// Whether `path` exists: false for ENOENT / ENOTDIR, an error naming the path and the reason for
// anything else (a symlink loop, permission denied), so "missing" is never reported for "unreadable".
Result<bool> path_exists(const std::filesystem::path& path);
// Whether `path` is a folder; errors as path_exists (a missing path is an error: "no such folder").
Status check_folder(const std::filesystem::path& path);

class ReadableFile {
 public:
  // max_bytes: a larger file is refused before anything is read ("file too large").
  static Result<std::shared_ptr<const ReadableFile>> open(const std::filesystem::path& path,
                                                          std::uint64_t max_bytes = UINT64_MAX);
  ~ReadableFile();
  ReadableFile(const ReadableFile&) = delete;
  ReadableFile& operator=(const ReadableFile&) = delete;

  std::uint64_t size() const { return size_; }  // at open
  const std::filesystem::path& path() const { return path_; }
  // Exactly n bytes at `offset` into dst. Short reads (the file shrank) and read errors are errors
  // naming the file, `what` (e.g. "tensor 'wte.weight'") and the sizes.
  Status read_at(std::uint64_t offset, void* dst, std::size_t n, const std::string& what = {}) const;
  // An error when the file's size or modification time differ from when it was opened.
  Status check_unchanged() const;

 private:
  ReadableFile() = default;
  int fd_ = -1;
  std::uint64_t size_ = 0;
  struct timespec mtime_ {};
  std::filesystem::path path_;
};

// The whole file (a regular file, at most max_bytes), read through ReadableFile.
Result<std::string> read_text_file(const std::filesystem::path& path, std::size_t max_bytes = std::size_t(1) << 30);
Result<std::vector<unsigned char>> read_binary_file(const std::filesystem::path& path,
                                                    std::size_t max_bytes = std::size_t(1) << 32);

// Test hook: called before every ReadableFile::read_at with the path and offset (null: none). Lets a
// test change a file underneath a loader at a chosen point.
void set_read_hook_for_testing(std::function<void(const std::filesystem::path&, std::uint64_t)> hook);

// Whether a write may replace an existing file. Replace never replaces anything but a regular file
// (a device node, FIFO or folder in the way is an error).
enum class Overwrite { Refuse, Replace };

// Before any work: `path` can be written. Its folder exists and is a folder, `path` is not a folder
// or another non-regular file, and (with Refuse) it does not exist. Errors name the path and say
// what to do ("... already exists (use --force to replace it)").
Status check_output_path(const std::filesystem::path& path, Overwrite overwrite);

// Atomic write: temporary file in the same folder (`<name>.tmp-<pid>-<n>`), fsync, rename. A
// failure leaves no partial file; temporaries that dead processes left for the same target
// (killed mid-write) are removed first. With Refuse the rename is RENAME_NOREPLACE, so of two
// writers racing for one name exactly one succeeds and the other gets "already exists".
Status write_file_atomic(const std::filesystem::path& path, std::span<const unsigned char> bytes,
                         Overwrite overwrite = Overwrite::Replace);
Status write_text_atomic(const std::filesystem::path& path, std::string_view text,
                         Overwrite overwrite = Overwrite::Replace);

}  // namespace tl
