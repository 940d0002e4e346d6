#include "app/gui/displayed_map.h"

#include <algorithm>

#include "render/special_tokens.h"

namespace tl::app {

render::SpecialTokens special_tokens(const Encoding& encoding, const std::vector<std::string>& token_labels, const Map& map,
                                     bool causal) {
  render::TokenFlags tokens;
  tokens.labels = token_labels;
  tokens.special.assign(encoding.special.begin(), encoding.special.end());
  tokens.causal = causal;
  return render::special_tokens_for(map, tokens);
}

namespace {
int to_display(const render::WordGroups* w, bool grouped, int token) {
  if (!w || !grouped || token < 0 || token >= static_cast<int>(w->word_of_token.size())) return token;
  return w->word_of_token[static_cast<std::size_t>(token)];
}
int to_token(const render::WordGroups* w, bool grouped, int index, bool last) {
  if (!w || !grouped || index < 0 || index >= w->size()) return index;
  const auto& [b, e] = w->words[static_cast<std::size_t>(index)];
  return last ? e - 1 : b;
}
}  // namespace

int RenderedCells::displayRow(int token) const { return to_display(words.get(), word_rows, token); }
int RenderedCells::displayCol(int token) const { return to_display(words.get(), word_cols, token); }
int RenderedCells::tokenRow(int row) const { return to_token(words.get(), word_rows, row, /*last=*/true); }
int RenderedCells::tokenCol(int col) const { return to_token(words.get(), word_cols, col, /*last=*/false); }

std::pair<int, int> RenderedCells::rowTokens(int row) const { return {to_token(words.get(), word_rows, row, false), tokenRow(row)}; }
std::pair<int, int> RenderedCells::colTokens(int col) const { return {tokenCol(col), to_token(words.get(), word_cols, col, true)}; }

render::WordGroups word_groups_of(const Analysis& analysis) {
  render::TokenText t;
  t.text = analysis.text;
  t.spans = analysis.encoding.spans;
  t.pieces = analysis.encoding.tokens;
  t.special.assign(analysis.encoding.special.begin(), analysis.encoding.special.end());
  t.labels = analysis.labels;
  return render::word_groups(t);  // copies what it keeps: `text` may go
}

DisplayedMap displayed_map(std::shared_ptr<const Map> raw, const Analysis& analysis, const render::HeatmapStyle& style,
                           bool causal) {
  DisplayedMap d;
  d.map = raw;
  d.special = special_tokens(analysis.encoding, analysis.labels, *raw, causal);
  if (!style.group_words) return d;
  auto groups = std::make_shared<const render::WordGroups>(word_groups_of(analysis));
  d.word_rows = render::groups_rows(*raw, *groups);
  d.word_cols = render::groups_cols(*raw, *groups);
  if (d.word_rows || d.word_cols) {
    d.map = std::make_shared<const Map>(render::group_words(*raw, *groups));
    d.special = render::group_special(d.special, *raw, *groups);
    d.words = std::move(groups);
  }
  return d;
}

render::ValueRange displayed_range(const DisplayedMap& shown, const render::HeatmapStyle& style) {
  return render::display_range(*shown.map, style, shown.special);
}

}  // namespace tl::app
