#pragma once
// Workspace file: what the user was looking at (models, sentences, per-view state), saved as a
// versioned JSON document so the app can restore it after a restart or a crash (autosave).
//
// Limits, up front: the file is hostile input like any other user file. Loading never fails
// outright: it returns every field it could read (defaults for the rest) and a status that names
// what was wrong — a newer format version (fields this build knows are still read, unknown ones
// ignored), a corrupt document (nothing recoverable) or bad fields (skipped one by one). Counts and
// string sizes are capped so a hostile file cannot make the app allocate without bound.
//
// Format (version 1):
//   {"format": "tensorlens-workspace", "version": 1,
//    "models": [{"source": "embedded"} | {"source": "/path/to/folder"}],
//    "sentences": ["Once upon a time", ...], "current_sentence": 0,
//    "views": [{"model": 0, "sentence": 0, "method": "tensorlens-in", "scope": "end-to-end",
//               "block": 1, "head": 0, "selection": [i, j] | null,
//               "colour": {"colormap": "auto", "row_normalise": false, "log_scale": false,
//                          "hide_special": true, "shared_scale": false}}]}
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.h"

namespace tl {

inline constexpr int kWorkspaceVersion = 1;
inline constexpr std::string_view kWorkspaceFormat = "tensorlens-workspace";
inline constexpr std::string_view kEmbeddedModelSource = "embedded";

// Caps on what a workspace file may hold (larger files are refused before parsing).
struct WorkspaceLimits {
  static constexpr std::size_t kMaxFileBytes = std::size_t(16) << 20;
  static constexpr std::size_t kMaxModels = 16;
  static constexpr std::size_t kMaxSentences = 1000;
  static constexpr std::size_t kMaxViews = 64;
  static constexpr std::size_t kMaxSentenceBytes = std::size_t(1) << 20;
  static constexpr std::size_t kMaxStringBytes = 4096;  // paths, method names
};

struct WorkspaceModel {
  std::string source = std::string(kEmbeddedModelSource);  // "embedded" or a model folder path
  bool embedded() const { return source == kEmbeddedModelSource; }
};

struct WorkspaceColour {
  std::string colormap = "auto";  // auto, viridis, magma, diverging
  bool row_normalise = false;
  bool log_scale = false;
  bool hide_special = true;
  bool shared_scale = false;
};

struct WorkspaceView {
  int model = 0;     // index into Workspace::models
  int sentence = 0;  // index into Workspace::sentences
  std::string method = "tensorlens-in";
  std::string scope = "end-to-end";  // layer, up-to, end-to-end
  int block = 1;                     // 1-based
  int head = 0;
  int selected_row = -1, selected_col = -1;  // -1: no selection
  WorkspaceColour colour;
};

struct Workspace {
  std::vector<WorkspaceModel> models;
  std::vector<std::string> sentences;
  int current_sentence = 0;
  std::vector<WorkspaceView> views;
};

enum class WorkspaceProblem {
  None,          // read completely
  Missing,       // no file (first start): not worth a message
  NewerVersion,  // written by a newer build: known fields read, the rest ignored
  BadFields,     // some fields were wrong and were skipped (the rest was read)
  Corrupt,       // not a workspace document at all: nothing recovered
};

struct WorkspaceLoad {
  Workspace workspace;  // everything that could be recovered (defaults elsewhere)
  WorkspaceProblem problem = WorkspaceProblem::None;
  Status status;                     // ok, or one line naming the file and what was wrong/recovered
  std::vector<std::string> skipped;  // one entry per skipped field, e.g. "views[0].block: not an integer"
};

std::string serialize_workspace(const Workspace& ws);
WorkspaceLoad parse_workspace(std::string_view json_text, std::string_view source_name = "workspace.json");
WorkspaceLoad load_workspace(const std::filesystem::path& path);
// Atomic (temp file, fsync, rename): a crash while saving leaves the previous file intact.
// Creates the parent folder when it is missing.
Status save_workspace(const std::filesystem::path& path, const Workspace& ws);

const char* to_string(WorkspaceProblem problem);

}  // namespace tl
