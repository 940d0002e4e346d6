// Files that change or are not what they seem: a checkpoint truncated while it is loaded gives an
// error or a model, never a signal (nothing is memory-mapped; every read is checked); a FIFO in
// place of any file a loader reads is refused at once instead of blocking in open(); a symlink loop,
// a broken link or a folder in place of a file is named as such.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fcntl.h>

#include <atomic>
#include <chrono>
#include <future>
#include <random>
#include <thread>

#include "core/io/file_util.h"
#include "core/io/npy.h"
#include "core/io/safetensors.h"
#include "core/model/model.h"
#include "core/tokenizer/tokenizer.h"
#include "safetensors_test_util.h"

namespace fs = std::filesystem;
using namespace tl;
using namespace tl::test;

namespace {

const fs::path kGpt2 = fs::path(TL_TEST_DATA_DIR) / "reference-models" / "tiny-gpt2";
const fs::path kTok512 = fs::path(TL_TEST_DATA_DIR) / "tokenizers" / "tok512";

class FileSafety : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(TL_TEST_TMP_DIR) /
           ("file-safety-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    set_read_hook_for_testing(nullptr);
    fs::remove_all(dir_);
  }
  void copy_gpt2() {
    fs::copy_file(kGpt2 / "config.json", dir_ / "config.json");
    fs::copy_file(kGpt2 / "model.safetensors", dir_ / "model.safetensors");
  }
  fs::path dir_;
};

std::string error_of(const Result<std::shared_ptr<const Model>>& m) { return m.ok() ? "(loaded)" : m.error().message; }

TEST_F(FileSafety, CheckpointTruncatedDuringLoadIsAnError) {
  copy_gpt2();
  const auto file = dir_ / "model.safetensors";
  std::uint64_t header_len = 0;
  {
    const auto b = read_bytes(file);
    std::memcpy(&header_len, b.data(), 8);
  }
  // The first read of tensor data finds the file cut to half its size.
  bool truncated = false;
  set_read_hook_for_testing([&](const fs::path& p, std::uint64_t offset) {
    if (!truncated && p == file && offset >= 8 + header_len) {
      truncated = true;
      ASSERT_EQ(::truncate(file.c_str(), static_cast<off_t>(fs::file_size(file) / 2)), 0);
    }
  });
  const auto e = error_of(load_model(dir_));
  EXPECT_TRUE(truncated);
  EXPECT_NE(e.find(file.string()), std::string::npos) << e;
  EXPECT_NE(e.find("changed while being read"), std::string::npos) << e;
}

TEST_F(FileSafety, CheckpointRewrittenInPlaceDuringLoadIsAnError) {
  copy_gpt2();
  const auto file = dir_ / "model.safetensors";
  bool rewritten = false;
  set_read_hook_for_testing([&](const fs::path& p, std::uint64_t offset) {
    if (!rewritten && p == file && offset > 1000) {
      rewritten = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a later modification time
      const int fd = ::open(file.c_str(), O_WRONLY);
      ASSERT_GE(fd, 0);
      const char x = 0x7f;
      ASSERT_EQ(::pwrite(fd, &x, 1, static_cast<off_t>(fs::file_size(file) - 1)), 1);
      ::close(fd);
    }
  });
  const auto e = error_of(load_model(dir_));
  EXPECT_TRUE(rewritten);
  EXPECT_NE(e.find("changed while being read"), std::string::npos) << e;
}

// No hook: another thread truncates the file at a random moment of the load, many times. Each load
// ends in a model or an error; a memory-mapped reader would die of SIGBUS here.
TEST_F(FileSafety, CheckpointTruncatedByAnotherThreadNeverSignals) {
  copy_gpt2();
  const auto file = dir_ / "model.safetensors";
  const auto original = read_bytes(file);
  std::mt19937 rng(7);
  int errors = 0, loaded = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int trial = 0; trial < 60; ++trial) {
    write_bytes(file, original);
    const auto delay = std::chrono::microseconds(rng() % 3000);
    const off_t keep = static_cast<off_t>(rng() % original.size());
    std::thread cutter([&] {
      std::this_thread::sleep_for(delay);
      (void)::truncate(file.c_str(), keep);
    });
    auto m = load_model(dir_);
    cutter.join();
    if (m.ok()) {
      ++loaded;
    } else {
      ++errors;
      EXPECT_NE(m.error().message.find(file.string()), std::string::npos) << m.error().message;
    }
  }
  EXPECT_EQ(errors + loaded, 60);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(60));
}

// Runs f on another thread; fails (and unblocks the FIFO) when it does not return within 5 s.
template <class F>
std::string bounded(const fs::path& fifo, F f) {
  auto fut = std::async(std::launch::async, f);
  if (fut.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
    ADD_FAILURE() << "blocked on " << fifo;
    const int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);  // lets a blocked open() return
    if (fd >= 0) ::close(fd);
  }
  return fut.get();
}

void expect_fifo_error(const std::string& e, const fs::path& fifo) {
  EXPECT_NE(e.find(fifo.string()), std::string::npos) << e;
  EXPECT_NE(e.find("FIFO"), std::string::npos) << e;
}

TEST_F(FileSafety, FifoInPlaceOfEveryModelFileIsRefusedAtOnce) {
  copy_gpt2();
  for (const char* name : {"config.json", "model.safetensors"}) {
    const auto real = dir_ / (std::string(name) + ".real");
    fs::rename(dir_ / name, real);
    ASSERT_EQ(::mkfifo((dir_ / name).c_str(), 0644), 0);
    expect_fifo_error(bounded(dir_ / name, [&] { return error_of(load_model(dir_)); }), dir_ / name);
    fs::remove(dir_ / name);
    fs::rename(real, dir_ / name);
  }
  // A shard of a sharded checkpoint, and the index itself.
  fs::remove(dir_ / "model.safetensors");
  write_bytes(dir_ / "model.safetensors.index.json",
              Bytes{'{', '"', 'w', 'e', 'i', 'g', 'h', 't', '_', 'm', 'a', 'p', '"', ':', '{', '"', 'a', '"', ':', '"',
                    's', '1', '"', '}', '}'});
  ASSERT_EQ(::mkfifo((dir_ / "s1").c_str(), 0644), 0);
  expect_fifo_error(bounded(dir_ / "s1", [&] { return error_of(load_model(dir_)); }), dir_ / "s1");
  fs::remove(dir_ / "model.safetensors.index.json");
  ASSERT_EQ(::mkfifo((dir_ / "model.safetensors.index.json").c_str(), 0644), 0);
  expect_fifo_error(bounded(dir_ / "model.safetensors.index.json", [&] { return error_of(load_model(dir_)); }),
                    dir_ / "model.safetensors.index.json");
}

TEST_F(FileSafety, FifoInPlaceOfEveryTokenizerFileIsRefusedAtOnce) {
  const auto tok_error = [&] {
    auto t = Tokenizer::from_dir(dir_);
    return t.ok() ? std::string("(loaded)") : t.error().message;
  };
  // tokenizer.json, and the files read beside it.
  for (const char* fifo : {"tokenizer.json", "special_tokens_map.json"}) {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    fs::copy_file(kTok512 / "tokenizer.json", dir_ / "tokenizer.json");
    fs::copy_file(kTok512 / "special_tokens_map.json", dir_ / "special_tokens_map.json");
    fs::remove(dir_ / fifo);
    ASSERT_EQ(::mkfifo((dir_ / fifo).c_str(), 0644), 0);
    expect_fifo_error(bounded(dir_ / fifo, tok_error), dir_ / fifo);
  }
  // The fallbacks: vocab.json + merges.txt (with tokenizer_config.json), vocab.txt.
  for (const char* fifo : {"vocab.json", "merges.txt", "tokenizer_config.json"}) {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    write_bytes(dir_ / "vocab.json", Bytes{'{', '}'});
    write_bytes(dir_ / "merges.txt", Bytes{'\n'});
    write_bytes(dir_ / "tokenizer_config.json", Bytes{'{', '}'});
    fs::remove(dir_ / fifo);
    ASSERT_EQ(::mkfifo((dir_ / fifo).c_str(), 0644), 0);
    expect_fifo_error(bounded(dir_ / fifo, tok_error), dir_ / fifo);
  }
  fs::remove_all(dir_);
  fs::create_directories(dir_);
  ASSERT_EQ(::mkfifo((dir_ / "vocab.txt").c_str(), 0644), 0);
  expect_fifo_error(bounded(dir_ / "vocab.txt", tok_error), dir_ / "vocab.txt");
  // Tokenizer::from_file on a FIFO.
  const auto e = bounded(dir_ / "vocab.txt", [&] {
    auto t = Tokenizer::from_file(dir_ / "vocab.txt");
    return t.ok() ? std::string("(loaded)") : t.error().message;
  });
  expect_fifo_error(e, dir_ / "vocab.txt");
}

TEST_F(FileSafety, FifoAsNpyOrTextFileIsRefusedAtOnce) {
  ASSERT_EQ(::mkfifo((dir_ / "a.npy").c_str(), 0644), 0);
  expect_fifo_error(bounded(dir_ / "a.npy",
                            [&] {
                              auto a = read_npy(dir_ / "a.npy");
                              return a.ok() ? std::string("(loaded)") : a.error().message;
                            }),
                    dir_ / "a.npy");
  expect_fifo_error(bounded(dir_ / "a.npy",
                            [&] {
                              auto a = read_text_file(dir_ / "a.npy");
                              return a.ok() ? std::string("(loaded)") : a.error().message;
                            }),
                    dir_ / "a.npy");
}

TEST_F(FileSafety, SymlinkLoopIsNotReportedAsMissing) {
  copy_gpt2();
  fs::remove(dir_ / "config.json");
  fs::create_symlink("config.json", dir_ / "config.json");  // points at itself
  const auto e = error_of(load_model(dir_));
  EXPECT_EQ(e.find("no config.json"), std::string::npos) << e;
  EXPECT_NE(e.find("symbolic links"), std::string::npos) << e;  // strerror(ELOOP)
  EXPECT_NE(e.find((dir_ / "config.json").string()), std::string::npos) << e;
}

TEST_F(FileSafety, BrokenSymlinkAndFolderAreNamed) {
  copy_gpt2();
  fs::remove(dir_ / "config.json");
  fs::create_symlink("nowhere.json", dir_ / "config.json");
  auto e = error_of(load_model(dir_));
  EXPECT_NE(e.find("broken symbolic link"), std::string::npos) << e;
  fs::remove(dir_ / "config.json");
  fs::create_directory(dir_ / "config.json");
  e = error_of(load_model(dir_));
  EXPECT_NE(e.find("is a folder, not a regular file"), std::string::npos) << e;
  // A model folder that is a symlink loop.
  fs::create_symlink("loop", dir_ / "loop");
  e = error_of(load_model(dir_ / "loop"));
  EXPECT_NE(e.find("symbolic links"), std::string::npos) << e;
}

TEST_F(FileSafety, CannotOpenSaysWhy) {
  auto t = read_text_file(dir_ / "missing.json");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find("No such file or directory"), std::string::npos) << t.error().message;
}

}  // namespace
