// Output files (core/io/file_util.h): checked before any work, written atomically, never replacing
// without being asked, never replacing a non-regular file, and temporaries of dead writers removed.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/io/file_util.h"

namespace tl {
namespace {

std::filesystem::path fresh_dir(const std::string& name) {
  auto dir = std::filesystem::path(TL_TEST_TMP_DIR) / "output-files" / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(OutputFiles, RefuseKeepsTheExistingFileAndSaysForce) {
  const auto dir = fresh_dir("refuse");
  const auto f = dir / "map.csv";
  ASSERT_TRUE(write_text_atomic(f, "first", Overwrite::Refuse).ok());
  Status again = write_text_atomic(f, "second", Overwrite::Refuse);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("already exists (use --force"), std::string::npos) << again.error().message;
  EXPECT_EQ(slurp(f), "first");
  EXPECT_FALSE(check_output_path(f, Overwrite::Refuse).ok());
  ASSERT_TRUE(write_text_atomic(f, "second", Overwrite::Replace).ok());
  EXPECT_EQ(slurp(f), "second");
  // Nothing but the file is left in the folder.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 1);
}

TEST(OutputFiles, BadTargetsAreRefusedBeforeAnyWork) {
  const auto dir = fresh_dir("bad");
  Status missing = check_output_path(dir / "no-such-folder" / "x.npy", Overwrite::Replace);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("does not exist"), std::string::npos) << missing.error().message;
  Status folder = check_output_path(dir, Overwrite::Replace);
  ASSERT_FALSE(folder.ok());
  EXPECT_NE(folder.error().message.find("is a folder"), std::string::npos);
  // A device node or FIFO is never replaced by a regular file, even when replacing is allowed.
  const auto fifo = dir / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  Status device = write_text_atomic(fifo, "x", Overwrite::Replace);
  ASSERT_FALSE(device.ok());
  EXPECT_NE(device.error().message.find("not a regular file"), std::string::npos) << device.error().message;
  struct stat st{};
  ASSERT_EQ(::lstat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_FALSE(check_output_path("/dev/null", Overwrite::Replace).ok());
}

TEST(OutputFiles, TemporariesOfDeadWritersAreRemoved) {
  const auto dir = fresh_dir("stale");
  const auto f = dir / "report.json";
  // A writer killed mid-write (its pid is gone) and one that is still alive (this process).
  const pid_t dead = [] {
    pid_t child = ::fork();
    if (child == 0) ::_exit(0);
    int status = 0;
    ::waitpid(child, &status, 0);
    return child;
  }();
  const auto stale = dir / ("report.json.tmp-" + std::to_string(dead) + "-12345");
  const auto live = dir / ("report.json.tmp-" + std::to_string(::getpid()) + "-777");
  const auto other = dir / "other.json.tmp-1-1";
  for (const auto& p : {stale, live, other}) std::ofstream(p) << "partial";
  ASSERT_TRUE(write_text_atomic(f, "{}", Overwrite::Refuse).ok());
  EXPECT_FALSE(std::filesystem::exists(stale));
  EXPECT_TRUE(std::filesystem::exists(live));
  EXPECT_TRUE(std::filesystem::exists(other)) << "another target's temporaries are not ours to judge";
}

}  // namespace
}  // namespace tl
