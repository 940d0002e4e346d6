#pragma once
// Words made of several tokens, as one row or column of a map (values summed), so "unbelievable"
// split into "un", "belie", "vable" reads as one word. A transform on Maps, kept out of widgets so
// it is tested on its own and the figure export draws the same thing as the view.
//
// Word boundaries come from the tokenizer: a token continues the word of the token before it when
// their byte spans touch (no whitespace between them in the text), neither is a special token,
// the token carries no leading-space marker ("Ġ" byte-level BPE, "▁" SentencePiece) unless it is
// an explicit WordPiece continuation ("##"), and the two characters that meet are of the same kind
// (letters/digits, or punctuation): "Lily." is two words, "don't" one.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/lens/map.h"
#include "render/heatmap.h"

namespace tl::render {

struct TokenText {
  std::string_view text;                                   // the input the spans index into
  std::vector<std::pair<std::size_t, std::size_t>> spans;  // byte span per token
  std::vector<std::string> pieces;                         // vocabulary pieces ("Ġthe", "##ing")
  std::vector<bool> special;
  std::vector<std::string> labels;  // display label per token (map axes)
};

struct WordGroups {
  std::vector<std::pair<int, int>> words;  // token range [first, end) of each word
  std::vector<int> word_of_token;
  std::vector<std::string> labels;        // the word's token labels concatenated
  std::vector<std::string> token_labels;  // the labels an axis must carry to be grouped
  int size() const { return static_cast<int>(words.size()); }
  bool trivial() const { return words.size() == word_of_token.size(); }  // every word one token
};

WordGroups word_groups(const TokenText& tokens);

// Sums the rows and columns of each word. Only axes whose labels are the tokens are grouped (not
// logit-lens stages or a single explained row). Bias parts are summed with their rows; the
// provenance gains options.words = "summed".
Map group_words(const Map& map, const WordGroups& groups);
// Special flags of a grouped map: a word is special when its token is (special tokens are always
// words of their own).
SpecialTokens group_special(const SpecialTokens& special, const Map& map, const WordGroups& groups);
// Whether grouping changes this axis of `map`.
bool groups_rows(const Map& map, const WordGroups& groups);
bool groups_cols(const Map& map, const WordGroups& groups);

}  // namespace tl::render
