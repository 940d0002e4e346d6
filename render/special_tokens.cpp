#include "render/special_tokens.h"

namespace tl::render {

std::vector<bool> special_or_sink(const TokenFlags& tokens) {
  std::vector<bool> flags(tokens.labels.size(), false);
  for (std::size_t k = 0; k < flags.size() && k < tokens.special.size(); ++k) flags[k] = tokens.special[k];
  if (tokens.causal && !flags.empty()) flags[0] = true;
  return flags;
}

SpecialTokens special_tokens_for(const Map& map, const TokenFlags& tokens) {
  SpecialTokens s;
  const std::vector<bool> flags = special_or_sink(tokens);
  const int n = static_cast<int>(flags.size());
  if (map.rows() == n && map.row_labels == tokens.labels) s.rows = flags;
  if (map.cols() == n && map.col_labels == tokens.labels) s.cols = flags;
  return s;
}

}  // namespace tl::render
