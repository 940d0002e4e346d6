#include "core/io/file_util.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <algorithm>
#include <random>

namespace tl {

namespace {
std::string errno_text() { return std::strerror(errno); }
}  // namespace

std::string file_kind_name(mode_t mode) {
  if (S_ISREG(mode)) return "a regular file";
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "not a regular file";
}

Result<bool> path_exists(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return true;
  const std::string e = errno_text();
  if (errno == ENOENT || errno == ENOTDIR) {
    // A dangling symbolic link is there, but points nowhere: say so rather than "missing".
    if (::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode))
      return make_error(path.string() + ": is a broken symbolic link (its target does not exist)");
    return false;
  }
  return make_error(path.string() + ": cannot read: " + e);
}

Status check_folder(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return make_error(path.string() + ": not a folder (no such file or folder)");
    return make_error(path.string() + ": cannot read: " + errno_text());
  }
  if (!S_ISDIR(st.st_mode)) return make_error(path.string() + ": not a folder (it is " + file_kind_name(st.st_mode) + ")");
  return {};
}

namespace {
std::function<void(const std::filesystem::path&, std::uint64_t)>& read_hook() {
  static std::function<void(const std::filesystem::path&, std::uint64_t)> hook;
  return hook;
}
}  // namespace

void set_read_hook_for_testing(std::function<void(const std::filesystem::path&, std::uint64_t)> hook) {
  read_hook() = std::move(hook);
}

Result<std::shared_ptr<const ReadableFile>> ReadableFile::open(const std::filesystem::path& path,
                                                               std::uint64_t max_bytes) {
  const std::string name = path.string();
  // stat() before open(): open() on a FIFO without a writer blocks, and on a device may have effects.
  struct stat st {};
  if (::stat(name.c_str(), &st) != 0) return make_error(name + ": cannot open: " + errno_text());
  if (!S_ISREG(st.st_mode))
    return make_error(name + ": is " + file_kind_name(st.st_mode) + ", not a regular file");
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes)
    return make_error(name + ": file too large (" + std::to_string(st.st_size) + " bytes, limit " +
                      std::to_string(max_bytes) + ")");
  // O_NONBLOCK: should the path have become a FIFO since the stat(), open() still returns at once.
  int fd = ::open(name.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return make_error(name + ": cannot open: " + errno_text());
  struct stat fst {};
  if (::fstat(fd, &fst) != 0) {
    std::string e = errno_text();
    ::close(fd);
    return make_error(name + ": cannot stat: " + e);
  }
  if (!S_ISREG(fst.st_mode) || fst.st_dev != st.st_dev || fst.st_ino != st.st_ino) {
    ::close(fd);
    return make_error(name + ": changed while being opened (it is now " + file_kind_name(fst.st_mode) + ")");
  }
  if (static_cast<std::uint64_t>(fst.st_size) > max_bytes) {
    ::close(fd);
    return make_error(name + ": file too large (" + std::to_string(fst.st_size) + " bytes, limit " +
                      std::to_string(max_bytes) + ")");
  }
  std::shared_ptr<ReadableFile> f(new ReadableFile());
  f->fd_ = fd;
  f->size_ = static_cast<std::uint64_t>(fst.st_size);
  f->mtime_ = fst.st_mtim;
  f->path_ = path;
  return std::shared_ptr<const ReadableFile>(std::move(f));
}

ReadableFile::~ReadableFile() {
  if (fd_ >= 0) ::close(fd_);
}

Status ReadableFile::read_at(std::uint64_t offset, void* dst, std::size_t n, const std::string& what) const {
  if (const auto& hook = read_hook()) hook(path_, offset);
  const std::string where = path_.string() + (what.empty() ? "" : ": " + what);
  auto* out = static_cast<unsigned char*>(dst);
  std::size_t done = 0;
  while (done < n) {
    const std::size_t chunk = std::min<std::size_t>(n - done, std::size_t(1) << 30);
    const ssize_t got = ::pread(fd_, out + done, chunk, static_cast<off_t>(offset + done));
    if (got < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) continue;  // O_NONBLOCK has no effect on regular files; be safe anyway
      return make_error(where + ": read failed at byte " + std::to_string(offset + done) + ": " + errno_text());
    }
    if (got == 0) {
      struct stat st {};
      const std::string now =
          ::fstat(fd_, &st) == 0 ? "; it is now " + std::to_string(st.st_size) + " bytes" : std::string();
      return make_error(where + ": the file changed while being read (" + std::to_string(n) + " bytes expected at byte " +
                        std::to_string(offset) + ", the file was " + std::to_string(size_) + " bytes when opened" +
                        now + ")");
    }
    done += static_cast<std::size_t>(got);
  }
  return {};
}

Status ReadableFile::check_unchanged() const {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return make_error(path_.string() + ": cannot stat: " + errno_text());
  if (static_cast<std::uint64_t>(st.st_size) != size_ || st.st_mtim.tv_sec != mtime_.tv_sec ||
      st.st_mtim.tv_nsec != mtime_.tv_nsec)
    return make_error(path_.string() + ": the file changed while being read (" + std::to_string(size_) +
                      " bytes when opened, " + std::to_string(st.st_size) + " bytes now)");
  return {};
}

template <class Buffer>
static Result<Buffer> read_whole(const std::filesystem::path& path, std::uint64_t max_bytes) {
  auto f = ReadableFile::open(path, max_bytes);
  if (!f) return f.error();
  const auto& file = *f.value();
  Buffer buf;
  try {
    buf.resize(static_cast<std::size_t>(file.size()));
  } catch (const std::bad_alloc&) {
    return make_error(path.string() + ": not enough memory to read " + std::to_string(file.size()) + " bytes");
  }
  if (Status st = file.read_at(0, buf.data(), buf.size()); !st) return st.error();
  // A file that grew, or was rewritten in place, while being read.
  if (Status st = file.check_unchanged(); !st) return st.error();
  return buf;
}

Result<std::string> read_text_file(const std::filesystem::path& path, std::size_t max_bytes) {
  return read_whole<std::string>(path, max_bytes);
}

Result<std::vector<unsigned char>> read_binary_file(const std::filesystem::path& path, std::size_t max_bytes) {
  return read_whole<std::vector<unsigned char>>(path, max_bytes);
}

namespace {

std::string already_exists(const std::filesystem::path& path) {
  return path.string() + " already exists (use --force to replace it)";
}

// `<name>.tmp-<pid>-<n>` temporaries of `path` whose process is gone (SIGKILL, power loss).
void remove_stale_temporaries(const std::filesystem::path& path) {
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  const std::string prefix = path.filename().string() + ".tmp-";
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string rest = name.substr(prefix.size());
    const auto dash = rest.find('-');
    if (dash == std::string::npos || dash == 0) continue;
    char* stop = nullptr;
    const long pid = std::strtol(rest.c_str(), &stop, 10);
    if (stop != rest.c_str() + dash || pid <= 0) continue;
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // alive (or not ours to judge)
    std::error_code rm;
    std::filesystem::remove(it->path(), rm);
  }
}

}  // namespace

Status check_output_path(const std::filesystem::path& path, Overwrite overwrite) {
  if (path.empty()) return make_error("no output file given");
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  struct stat st{};
  if (::stat(dir.c_str(), &st) != 0)
    return make_error(path.string() + ": the folder " + dir.string() + " does not exist (" + errno_text() + ")");
  if (!S_ISDIR(st.st_mode)) return make_error(path.string() + ": " + dir.string() + " is not a folder");
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::Ok();
    return make_error(path.string() + ": cannot check the output file: " + errno_text());
  }
  if (S_ISDIR(st.st_mode)) return make_error(path.string() + " is a folder, not a file");
  if (!S_ISREG(st.st_mode))
    return make_error(path.string() + " is not a regular file (a device, FIFO or link): refusing to replace it");
  if (overwrite == Overwrite::Refuse) return make_error(already_exists(path));
  return Status::Ok();
}

Status write_file_atomic(const std::filesystem::path& path, std::span<const unsigned char> bytes, Overwrite overwrite) {
  if (Status ok = check_output_path(path, overwrite); !ok) return ok;
  remove_stale_temporaries(path);
  std::random_device rd;
  auto tmp = path;
  tmp += ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(rd());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return make_error(path.string() + ": cannot write: " + errno_text());
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::string e = errno_text();
      ::close(fd);
      ::unlink(tmp.c_str());
      return make_error(path.string() + ": write failed: " + e);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    std::string e = errno_text();
    ::unlink(tmp.c_str());
    return make_error(path.string() + ": write failed: " + e);
  }
  const int moved = overwrite == Overwrite::Refuse
                        ? ::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE)
                        : ::rename(tmp.c_str(), path.c_str());
  if (moved != 0) {
    const int err = errno;
    std::string e = errno_text();
    ::unlink(tmp.c_str());
    if (err == EEXIST) return make_error(already_exists(path));
    return make_error(path.string() + ": cannot rename into place: " + e);
  }
  return Status::Ok();
}

Status write_text_atomic(const std::filesystem::path& path, std::string_view text, Overwrite overwrite) {
  return write_file_atomic(path, {reinterpret_cast<const unsigned char*>(text.data()), text.size()}, overwrite);
}

}  // namespace tl
