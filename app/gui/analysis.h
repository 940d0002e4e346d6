#pragma once
// What the app computes from a model and a sentence, kept free of widgets so tests can call it
// directly: the model session (model + tokenizer), one analysis of a text (encoding, forward
// trace, token labels, top-k predictions), and the Maps shown by the heatmap view, computed by
// any method of the registry (core/methods/registry.h) from the analysis' trace.
#include <QImage>
#include <QString>
#include <memory>
#include <string>
#include <vector>

#include "core/forward/trace.h"
#include "core/lens/map.h"
#include "core/methods/registry.h"
#include "core/model/model.h"
#include "core/tokenizer/tokenizer.h"
#include "core/util/result.h"
#include "render/heatmap.h"
#include "render/word_groups.h"

namespace tl::app {

class ComputeDevice;  // app/gui/compute_device.h

struct ModelSession {
  std::shared_ptr<const Model> model;
  std::shared_ptr<const Tokenizer> tokenizer;
  // Where the forward pass and the maps run (View > Compute device); null: the CPU.
  std::shared_ptr<ComputeDevice> compute;

  QString displayName() const;  // "stories260K (embedded)" or the folder name
};

// The embedded default model and its tokenizer.
Result<ModelSession> load_embedded_session();
// A model folder: config.json + safetensors + a tokenizer (tokenizer.json, vocab.json + merges.txt
// or vocab.txt) in the same folder.
Result<ModelSession> load_session(const std::string& folder);

struct Prediction {
  int id = -1;
  std::string token;  // display text
  double probability = 0.0;
};

struct Analysis {
  QString text;
  Encoding encoding;
  std::shared_ptr<const Trace> trace;
  std::vector<std::string> labels;  // display text per token (map axes)
  // Causal LMs: the next token after the last position. Masked LMs: the first mask position (-1
  // and no predictions when the text has no mask token).
  int prediction_row = -1;
  std::vector<Prediction> predictions;
};

// Runs the forward pass for an already tokenized text. Errors: from forward() (too long, ...).
Result<Analysis> analyse(const ModelSession& session, const QString& text, const Encoding& encoding, int top_k = 10);

// Top-k of softmax(logits.row(row)), most probable first. Softmax in double with the max subtracted.
std::vector<Prediction> top_predictions(const MatD& logits, int row, int k, const Tokenizer& tokenizer);

// What the heatmap shows: a registry method, its scope, block and head.
struct MapChoice {
  std::string method = "tensorlens-in";
  Scope scope = Scope::EndToEnd;
  int block = 1;  // 1-based; ignored end to end
  int head = 0;   // per-head methods only
  // The Out direction / explained token (vocabulary id) for methods that read one (uses_target());
  // -1: each position's prediction (docs/TENSORLENS.md §3 default).
  int target_token = -1;
};

// Methods whose map depends on a target token: the Out maps (tensorlens-out, tensorlens-in-out)
// and the methods that explain one prediction (gradients, occlusion, ...).
bool uses_target(const MethodInfo& info);

// The scopes a method offers (Layer needs per_layer; UpTo and EndToEnd need cumulative).
bool scope_supported(const MethodInfo& info, Scope scope);
// `choice` with its scope, block and head made valid for the method and the model.
MapChoice normalised(MapChoice choice, const Model& model);

// What the registry reads for this session and analysis (model, trace, input, tokenizer, text).
MethodInputs method_inputs(const ModelSession& session, const Analysis& analysis);

// Computes the chosen map from the analysis' trace (no forward pass). Errors from the registry.
Result<Map> compute_map(const ModelSession& session, const Analysis& analysis, const MapChoice& choice,
                        Progress* progress = nullptr);
// The same method and scope at every block (Layer, UpTo) for a colour scale shared across blocks;
// end to end there is one map only.
Result<std::vector<Map>> compute_maps_all_blocks(const ModelSession& session, const Analysis& analysis,
                                                 const MapChoice& choice, Progress* progress = nullptr);

// A map ready to draw: its cells coloured under a style, by Vulkan or by the CPU rasteriser
// (one pixel per cell), with the prepared values the view needs for tooltips and the colorbar.
struct RenderedCells {
  std::shared_ptr<const Map> map;  // as drawn: words summed when style.group_words
  render::HeatmapStyle style;
  render::PreparedHeatmap prepared;
  QImage image;
  QString renderer;  // "Vulkan (<device>)" or "CPU"
  render::SpecialTokens special;  // of `map`'s axes (figure export draws the same cells)
  // Words as rows/columns: which axes are grouped and how tokens map to words (null: none).
  std::shared_ptr<const render::WordGroups> words;
  bool word_rows = false, word_cols = false;

  // Token index <-> drawn row/column. A word selected as a row stands for its last token (the one
  // that has read the whole word), as a column for its first.
  int displayRow(int token) const;
  int displayCol(int token) const;
  int tokenRow(int row) const;
  int tokenCol(int col) const;
  // Tokens [first, last] a drawn row/column stands for (one token unless words are grouped).
  std::pair<int, int> rowTokens(int row) const;
  std::pair<int, int> colTokens(int col) const;
};

// The word groups of an analysed text (render/word_groups.h).
render::WordGroups word_groups_of(const Analysis& analysis);

// A raw map as a view draws it: words summed into one row/column when style.group_words (only the
// axes that are the sentence's tokens), and the special-token/sink flags of the drawn axes. The one
// place this is decided: the main heatmap and every analysis view go through it, so they all show
// the same cells under the same options.
struct DisplayedMap {
  std::shared_ptr<const Map> map{};  // as drawn
  render::SpecialTokens special{};   // of `map`'s axes
  std::shared_ptr<const render::WordGroups> words{};  // null unless an axis is grouped
  bool word_rows = false, word_cols = false;
};
// `causal`: the model is a decoder (position 0 is the attention sink, flagged with the specials).
DisplayedMap displayed_map(std::shared_ptr<const Map> raw, const Analysis& analysis, const render::HeatmapStyle& style,
                           bool causal);
// The range a displayed map contributes to a shared scale (render::display_range under `style`).
render::ValueRange displayed_range(const DisplayedMap& shown, const render::HeatmapStyle& style);

// Special-token flags of the encoding applied to a map's axes: an axis is flagged only when its
// labels are the sentence's tokens (not logit-lens stages or a single explained row). `causal`
// also flags position 0, the attention sink of decoders (render/special_tokens.h).
render::SpecialTokens special_tokens(const Encoding& encoding, const std::vector<std::string>& token_labels, const Map& map,
                                     bool causal = false);

}  // namespace tl::app
