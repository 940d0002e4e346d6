#pragma once
// Which rows and columns of a Map are special tokens or attention sinks, for HeatmapStyle's
// hide_special option. Shared by the app and `tensorlens-cli render` so both leave out the same
// cells.
//
// An axis is flagged only when its labels are the sentence's tokens (not logit-lens stages or a
// single explained row). Attention sinks: in causal models the first position collects attention
// whatever its token is (Xiao et al. 2023, "Efficient Streaming Language Models with Attention
// Sinks"), so it is flagged even when the tokenizer added no BOS there (GPT-2, Pythia).
#include <string>
#include <vector>

#include "core/lens/map.h"
#include "render/heatmap.h"

namespace tl::render {

struct TokenFlags {
  std::vector<std::string> labels;  // display label per token, as on the Map's axes
  std::vector<bool> special;        // per token: added by the tokenizer (BOS, CLS, SEP, ...)
  bool causal = false;              // decoder model: position 0 is the attention sink
};

// Special/sink flags per token (special OR the causal sink at position 0).
std::vector<bool> special_or_sink(const TokenFlags& tokens);
SpecialTokens special_tokens_for(const Map& map, const TokenFlags& tokens);

}  // namespace tl::render
