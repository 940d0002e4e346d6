// The Hugging Face cache scanner on fake cache trees built in a temporary folder: repository
// names, refs/main, the newest-snapshot fallback, hostile refs, dangling blob links, roots and
// their precedence.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>

#include "core/model/hf_cache.h"

namespace fs = std::filesystem;
using namespace tl;

namespace {

class HfCache : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::path(TL_TEST_TMP_DIR) /
            ("hf_cache_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(base_);
    fs::create_directories(base_);
  }
  void TearDown() override { fs::remove_all(base_); }

  static void write(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
  }
  // A snapshot as huggingface_hub makes it: files are symlinks into ../../blobs.
  static fs::path snapshot(const fs::path& repo, const std::string& rev, const std::string& model_type,
                           std::vector<std::string> files = {"model.safetensors", "tokenizer.json"}) {
    const fs::path snap = repo / "snapshots" / rev;
    fs::create_directories(snap);
    write(repo / "blobs" / ("cfg-" + rev), "{\"model_type\": \"" + model_type + "\", \"hidden_size\": 8}");
    fs::create_symlink(fs::path("../../blobs") / ("cfg-" + rev), snap / "config.json");
    for (const auto& f : files) {
      write(repo / "blobs" / (f + "-" + rev), "x");
      fs::create_symlink(fs::path("../../blobs") / (f + "-" + rev), snap / f);
    }
    return snap;
  }
  fs::path base_;
};

TEST_F(HfCache, ListsRepositoriesAtRefsMain) {
  const fs::path root = base_ / "hub";
  const fs::path gpt2 = root / "models--gpt2";
  snapshot(gpt2, "1111111111111111111111111111111111111111", "gpt2");
  const fs::path main_snap = snapshot(gpt2, "2222222222222222222222222222222222222222", "gpt2");
  write(gpt2 / "refs" / "main", "2222222222222222222222222222222222222222\n");
  snapshot(root / "models--EleutherAI--pythia-70m", "abc", "gpt_neox",
           {"model.safetensors", "vocab.json", "merges.txt"});
  write(root / "models--EleutherAI--pythia-70m" / "refs" / "main", "abc");
  snapshot(root / "datasets--someone--data", "d1", "none");  // not a model
  fs::create_directories(root / ".locks" / "models--gpt2");

  const auto models = scan_hf_cache({root});
  ASSERT_EQ(models.size(), 2u);
  EXPECT_EQ(models[0].repo_id, "EleutherAI/pythia-70m");  // sorted by id
  EXPECT_EQ(models[0].model_type, "gpt_neox");
  EXPECT_TRUE(models[0].has_tokenizer);  // vocab.json + merges.txt
  EXPECT_EQ(models[0].display(), "EleutherAI/pythia-70m (gpt_neox)");
  EXPECT_EQ(models[1].repo_id, "gpt2");
  EXPECT_TRUE(models[1].is_main);
  EXPECT_EQ(models[1].folder, main_snap);
  EXPECT_EQ(models[1].revision, "2222222222222222222222222222222222222222");
  EXPECT_TRUE(models[1].has_safetensors);
  EXPECT_TRUE(models[1].has_tokenizer);
}

TEST_F(HfCache, WithoutRefsTheNewestSnapshotWins) {
  const fs::path repo = base_ / "hub" / "models--org--tiny";
  const fs::path old_snap = snapshot(repo, "old", "llama");
  const fs::path new_snap = snapshot(repo, "new", "llama");
  const auto now = fs::file_time_type::clock::now();
  fs::last_write_time(old_snap, now - std::chrono::hours(48));
  fs::last_write_time(new_snap, now - std::chrono::hours(1));
  auto models = scan_hf_cache({base_ / "hub"});
  ASSERT_EQ(models.size(), 1u);
  EXPECT_EQ(models[0].repo_id, "org/tiny");
  EXPECT_EQ(models[0].revision, "new");
  EXPECT_FALSE(models[0].is_main);
}

TEST_F(HfCache, HostileOrBrokenEntriesAreSkippedNotFatal) {
  const fs::path root = base_ / "hub";
  // refs/main tries to leave snapshots/: ignored, the snapshot scan takes over.
  const fs::path escape = root / "models--org--escape";
  snapshot(escape, "good", "bert");
  write(escape / "refs" / "main", "../../../../etc");
  // refs/main names a missing snapshot.
  const fs::path missing = root / "models--org--missing";
  snapshot(missing, "present", "roberta");
  write(missing / "refs" / "main", "absent");
  // No config.json anywhere: not a loadable model, not listed.
  fs::create_directories(root / "models--org--noconfig" / "snapshots" / "r1");
  // A snapshots "folder" that is a file.
  write(root / "models--org--weird" / "snapshots", "not a folder");
  // Unparseable config and a dangling weights link (blob deleted by a cache cleanup).
  const fs::path broken = root / "models--org--broken" / "snapshots" / "r";
  write(broken / "config.json", "{ not json");
  fs::create_symlink("../../blobs/gone", broken / "model.safetensors");
  // An empty models-- folder name.
  fs::create_directories(root / "models--");

  const auto models = scan_hf_cache({root, base_ / "does-not-exist"});
  ASSERT_EQ(models.size(), 3u);
  EXPECT_EQ(models[0].repo_id, "org/broken");
  EXPECT_EQ(models[0].model_type, "");
  EXPECT_FALSE(models[0].has_safetensors);
  EXPECT_EQ(models[1].repo_id, "org/escape");
  EXPECT_EQ(models[1].revision, "good");
  EXPECT_FALSE(models[1].is_main);
  EXPECT_EQ(models[2].repo_id, "org/missing");
  EXPECT_EQ(models[2].revision, "present");
}

TEST_F(HfCache, RootsFollowHuggingFaceHubPrecedence) {
  write(base_ / "home" / ".cache" / "huggingface" / "hub" / ".keep", "");
  write(base_ / "hf_home" / "hub" / ".keep", "");
  HfCacheEnv env;
  env.home = (base_ / "home").string();
  env.hf_home = (base_ / "hf_home").string();
  env.xdg_cache_home = (base_ / "no-such-xdg").string();
  auto roots = hf_cache_roots(env);
  ASSERT_EQ(roots.size(), 2u);
  EXPECT_EQ(roots[0], fs::weakly_canonical(base_ / "hf_home" / "hub"));
  EXPECT_EQ(roots[1], fs::weakly_canonical(base_ / "home" / ".cache" / "huggingface" / "hub"));
  // HF_HUB_CACHE first; the same folder reached twice is listed once.
  env.hf_hub_cache = (base_ / "hf_home" / "hub").string();
  env.xdg_cache_home = (base_ / "home" / ".cache").string();
  roots = hf_cache_roots(env);
  ASSERT_EQ(roots.size(), 2u);
  EXPECT_EQ(roots[0], fs::weakly_canonical(base_ / "hf_home" / "hub"));
  EXPECT_TRUE(hf_cache_roots(HfCacheEnv{}).empty());
}

TEST_F(HfCache, EarlierRootHidesTheSameRepository) {
  snapshot(base_ / "a" / "models--gpt2", "ra", "gpt2");
  snapshot(base_ / "b" / "models--gpt2", "rb", "gpt2");
  snapshot(base_ / "b" / "models--bert-base-uncased", "rc", "bert");
  const auto models = scan_hf_cache({base_ / "a", base_ / "b"});
  ASSERT_EQ(models.size(), 2u);
  EXPECT_EQ(models[0].repo_id, "bert-base-uncased");
  EXPECT_EQ(models[1].repo_id, "gpt2");
  EXPECT_EQ(models[1].revision, "ra");
}

}  // namespace
