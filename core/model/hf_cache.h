#pragma once
// The models already downloaded into the local Hugging Face cache, for the app's model picker.
//
// Layout (huggingface_hub): <root>/models--<org>--<name>/snapshots/<revision>/<files>, with
// refs/main holding the revision the hub's "main" branch pointed at when downloaded; files in a
// snapshot are usually symlinks into ../../blobs. Roots, in huggingface_hub's precedence:
// $HF_HUB_CACHE (or the older $HUGGINGFACE_HUB_CACHE), $HF_HOME/hub, $XDG_CACHE_HOME/huggingface/hub,
// ~/.cache/huggingface/hub; every existing one is listed (a user may have more than one).
//
// The cache is user data: a refs/main naming something that is not a snapshot folder (or trying
// to leave it: "../x"), an unreadable config.json, dangling symlinks are skipped or noted, never
// fatal. Only folders with a config.json are listed; whether they can be opened (safetensors
// weights, a tokenizer) is reported, not decided here.
#include <filesystem>
#include <string>
#include <vector>

namespace tl {

struct HfCacheEnv {
  std::string hf_hub_cache;    // $HF_HUB_CACHE, else $HUGGINGFACE_HUB_CACHE
  std::string hf_home;         // $HF_HOME
  std::string xdg_cache_home;  // $XDG_CACHE_HOME
  std::string home;            // $HOME
  static HfCacheEnv from_process();
};

// Existing cache roots, most preferred first, without duplicates.
std::vector<std::filesystem::path> hf_cache_roots(const HfCacheEnv& env);

struct CachedModel {
  std::string repo_id;           // "org/name" ("name" for repositories without an organisation)
  std::string revision;          // snapshot folder name (a commit hash)
  std::filesystem::path folder;  // <root>/models--org--name/snapshots/<revision>
  bool is_main = false;          // the snapshot refs/main names (else the newest snapshot)
  std::string model_type;        // config.json "model_type" ("" when missing or unreadable)
  bool has_safetensors = false;  // model.safetensors or model.safetensors.index.json
  bool has_tokenizer = false;    // tokenizer.json, vocab.json + merges.txt, or vocab.txt
  std::string display() const;   // "org/name (gpt2)"
};

// One entry per cached model repository (its refs/main snapshot, else the most recently modified
// snapshot that has a config.json), sorted by repo id; roots scanned in order, a repository found
// in an earlier root hides the same id in later ones.
std::vector<CachedModel> scan_hf_cache(const std::vector<std::filesystem::path>& roots);

}  // namespace tl
