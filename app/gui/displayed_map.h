#pragma once
// What the app draws from the engine's results (core/engine/session.h computes them): a raw map as
// a view shows it (words summed, special tokens and the decoder sink flagged) and its coloured
// cells. The one place this is decided: the main heatmap and every analysis view go through it.
#include <QImage>
#include <QString>
#include <memory>
#include <string>
#include <vector>

#include "core/engine/session.h"
#include "core/lens/map.h"
#include "render/heatmap.h"
#include "render/word_groups.h"

namespace tl::app {

// The engine's names, used throughout the app (one type each, defined in core/engine).
using engine::Analysis;
using engine::MapChoice;
using engine::normalised;
using engine::Prediction;
using engine::scope_supported;
using engine::SessionPtr;

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
