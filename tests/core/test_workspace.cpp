// The workspace file (core/workspace): round trip, atomic save, and every failure path reported
// with what was recovered (newer version, bad fields, corrupt, missing), never fatal.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "core/io/file_util.h"
#include "core/workspace/workspace.h"

namespace fs = std::filesystem;

namespace {

tl::Workspace sample() {
  tl::Workspace ws;
  ws.models = {{"embedded"}, {"/models/gpt2"}};
  ws.sentences = {"Once upon a time", "Paris is the [MASK] of France.",
                  "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac"};
  ws.current_sentence = 2;
  tl::WorkspaceView a;
  a.model = 1;
  a.sentence = 2;
  a.method = "rollout";
  a.scope = "layer";
  a.block = 3;
  a.head = 2;
  a.selected_row = 4;
  a.selected_col = 1;
  a.colour = {"magma", true, true, false, true};
  ws.views = {a, tl::WorkspaceView{}};
  return ws;
}

fs::path tmp_dir(const std::string& name) {
  fs::path d = fs::path(TL_TEST_TMP_DIR) / ("workspace_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string without_version(std::string s, const std::string& version_field) {
  const auto at = s.find("\"version\": 1");
  s.replace(at, 12, version_field);
  return s;
}

}  // namespace

TEST(Workspace, RoundTripKeepsEveryField) {
  const tl::Workspace ws = sample();
  const std::string text = tl::serialize_workspace(ws);
  const tl::WorkspaceLoad back = tl::parse_workspace(text);
  ASSERT_TRUE(back.status.ok()) << back.status.error().message;
  EXPECT_EQ(back.problem, tl::WorkspaceProblem::None);
  EXPECT_EQ(tl::serialize_workspace(back.workspace), text);
  const auto& v = back.workspace.views.at(0);
  EXPECT_EQ(back.workspace.models.at(1).source, "/models/gpt2");
  EXPECT_TRUE(back.workspace.models.at(0).embedded());
  EXPECT_EQ(back.workspace.sentences.at(2), ws.sentences[2]);
  EXPECT_EQ(back.workspace.current_sentence, 2);
  EXPECT_EQ(v.method, "rollout");
  EXPECT_EQ(v.scope, "layer");
  EXPECT_EQ(v.block, 3);
  EXPECT_EQ(v.head, 2);
  EXPECT_EQ(v.selected_row, 4);
  EXPECT_EQ(v.selected_col, 1);
  EXPECT_EQ(v.colour.colormap, "magma");
  EXPECT_TRUE(v.colour.row_normalise);
  EXPECT_TRUE(v.colour.log_scale);
  EXPECT_FALSE(v.colour.hide_special);
  EXPECT_TRUE(v.colour.shared_scale);
  EXPECT_EQ(back.workspace.views.at(1).selected_row, -1);
}

TEST(Workspace, SaveIsAtomicAndLeavesNoTemporaries) {
  const fs::path dir = tmp_dir("save");
  const fs::path file = dir / "sub" / "workspace.json";  // the folder is created
  ASSERT_TRUE(tl::save_workspace(file, sample()).ok());
  tl::Workspace changed = sample();
  changed.sentences.push_back("a second save replaces the first");
  ASSERT_TRUE(tl::save_workspace(file, changed).ok());
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(file.parent_path())) ++entries;
  EXPECT_EQ(entries, 1) << "a temporary file was left beside the workspace";
  const tl::WorkspaceLoad back = tl::load_workspace(file);
  ASSERT_TRUE(back.status.ok());
  EXPECT_EQ(back.workspace.sentences.size(), 4u);
}

TEST(Workspace, FailedSaveKeepsThePreviousFile) {
  const fs::path dir = tmp_dir("failed");
  const fs::path file = dir / "workspace.json";
  ASSERT_TRUE(tl::save_workspace(file, sample()).ok());
  // A write that fails half-way (a full disk, a quota): a file-size limit of 16 bytes makes write()
  // fail with EFBIG, for root too (permissions would not stop root).
  rlimit old_limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);  // EFBIG instead of the signal
  rlimit small = old_limit;
  small.rlim_cur = 16;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  tl::Workspace other;
  other.sentences = {"never written"};
  const tl::Status s = tl::save_workspace(file, other);
  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  std::signal(SIGXFSZ, old_handler);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("workspace.json"), std::string::npos) << s.error().message;
  EXPECT_EQ(tl::load_workspace(file).workspace.sentences.size(), 3u);
  int entries = 0;  // and no temporary file is left behind
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++entries;
  EXPECT_EQ(entries, 1);
}

TEST(Workspace, FailedRenameLeavesNoTemporary) {
  // Works as root too: the target is a non-empty folder, so the final rename fails.
  const fs::path dir = tmp_dir("rename");
  const fs::path target = dir / "workspace.json";
  fs::create_directories(target / "occupied");
  const tl::Status s = tl::save_workspace(target, sample());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("workspace.json"), std::string::npos) << s.error().message;
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++entries;
  EXPECT_EQ(entries, 1) << "the temporary file was left behind";
}

TEST(Workspace, MissingFileIsNotAnError) {
  const tl::WorkspaceLoad r = tl::load_workspace(tmp_dir("missing") / "nope.json");
  EXPECT_EQ(r.problem, tl::WorkspaceProblem::Missing);
  EXPECT_TRUE(r.workspace.sentences.empty());
}

TEST(Workspace, NewerVersionReadsWhatItKnows) {
  std::string text =
      without_version(tl::serialize_workspace(sample()), "\"version\": 9, \"new_thing\": {\"x\": [1, 2]}");
  const tl::WorkspaceLoad r = tl::parse_workspace(text, "ws.json");
  EXPECT_EQ(r.problem, tl::WorkspaceProblem::NewerVersion);
  ASSERT_FALSE(r.status.ok());
  const std::string& m = r.status.error().message;
  EXPECT_NE(m.find("ws.json"), std::string::npos) << m;
  EXPECT_NE(m.find("version 9"), std::string::npos) << m;
  EXPECT_NE(m.find("3 sentence(s)"), std::string::npos) << m;
  EXPECT_EQ(r.workspace.sentences.size(), 3u);
  EXPECT_EQ(r.workspace.views.at(0).method, "rollout");
}

TEST(Workspace, BadFieldsAreSkippedOneByOne) {
  std::string text = tl::serialize_workspace(sample());
  auto replace = [&](const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    text.replace(at, from.size(), to);
  };
  replace("\"block\": 3", "\"block\": \"three\"");
  replace("\"scope\": \"layer\"", "\"scope\": \"sideways\"");
  replace("\"/models/gpt2\"", "42");
  replace("\"head\": 2", "\"head\": -5");
  const tl::WorkspaceLoad r = tl::parse_workspace(text, "ws.json");
  EXPECT_EQ(r.problem, tl::WorkspaceProblem::BadFields);
  ASSERT_FALSE(r.status.ok());
  EXPECT_NE(r.status.error().message.find("views[0].block: not an integer"), std::string::npos)
      << r.status.error().message;
  EXPECT_GE(r.skipped.size(), 4u);
  // The rest was read; the bad fields have their defaults; view 0 pointed at model 1, which was
  // dropped, so it falls back to model 0.
  ASSERT_EQ(r.workspace.models.size(), 1u);
  const auto& v = r.workspace.views.at(0);
  EXPECT_EQ(v.block, 1);
  EXPECT_EQ(v.scope, "end-to-end");
  EXPECT_EQ(v.head, 0);
  EXPECT_EQ(v.model, 0);
  EXPECT_EQ(v.method, "rollout");
  EXPECT_EQ(v.colour.colormap, "magma");
  EXPECT_EQ(r.workspace.sentences.size(), 3u);
}

TEST(Workspace, CorruptFilesRestoreNothingAndSaySo) {
  const std::string good = tl::serialize_workspace(sample());
  const std::vector<std::string> bad = {"",
                                        "not json",
                                        good.substr(0, good.size() / 2),
                                        "[1, 2, 3]",
                                        "{\"version\": 1}",
                                        "{\"format\": \"tensorlens-workspace\", \"version\": \"1\"}",
                                        std::string(40000, '['),
                                        "{\"format\": \"tensorlens-workspace\", \"version\": 0}"};
  for (const auto& text : bad) {
    const tl::WorkspaceLoad r = tl::parse_workspace(text, "ws.json");
    EXPECT_EQ(r.problem, tl::WorkspaceProblem::Corrupt) << text.substr(0, 60);
    ASSERT_FALSE(r.status.ok());
    EXPECT_NE(r.status.error().message.find("ws.json"), std::string::npos);
    EXPECT_TRUE(r.workspace.sentences.empty());
  }
}

TEST(Workspace, CapsCountsAndSizes) {
  tl::Workspace ws;
  ws.sentences.assign(tl::WorkspaceLimits::kMaxSentences + 5, "x");
  ws.sentences.push_back(std::string(tl::WorkspaceLimits::kMaxSentenceBytes + 1, 'y'));
  const tl::WorkspaceLoad r = tl::parse_workspace(tl::serialize_workspace(ws));
  EXPECT_EQ(r.problem, tl::WorkspaceProblem::BadFields);
  EXPECT_EQ(r.workspace.sentences.size(), tl::WorkspaceLimits::kMaxSentences);
}

TEST(Workspace, SeedCorpusFilesLoadAsLabelled) {
  // The fuzz seeds double as fixtures: each is named after what loading it must report.
  const fs::path dir = fs::path(TL_TEST_DATA_DIR) / ".." / "fuzz" / "corpus" / "workspace";
  EXPECT_EQ(tl::load_workspace(dir / "valid.json").problem, tl::WorkspaceProblem::None);
  EXPECT_EQ(tl::load_workspace(dir / "newer_version.json").problem, tl::WorkspaceProblem::NewerVersion);
  EXPECT_EQ(tl::load_workspace(dir / "bad_fields.json").problem, tl::WorkspaceProblem::BadFields);
  EXPECT_EQ(tl::load_workspace(dir / "truncated.json").problem, tl::WorkspaceProblem::Corrupt);
}
