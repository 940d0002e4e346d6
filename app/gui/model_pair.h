#pragma once
// How two models' views of the same sentence line up (two-model mode): blocks by relative depth,
// tokens by the bytes of the text they cover. Plain functions (no widgets), tested on their own.
#include <cstddef>
#include <utility>
#include <vector>

#include "core/tokenizer/tokenizer.h"

namespace tl::app {

// Block l (1-based) of a model with `layers_from` blocks at the same relative depth in a model
// with `layers_to` blocks: round(l * layers_to / layers_from), kept inside 1..layers_to.
int relative_layer(int l, int layers_from, int layers_to);

// Byte range of tokens [first, last] of an encoding (the union of their spans).
std::pair<std::size_t, std::size_t> byte_range(const Encoding& e, int first, int last);

// Tokens of `to` whose byte spans overlap [begin, end) of the same text. An empty range (a token
// the tokenizer inserted: BOS, CLS, SEP) matches the inserted tokens of `to` at the same byte
// offset, so [CLS] and <s> at the start correspond.
std::vector<int> overlapping_tokens(const Encoding& to, std::size_t begin, std::size_t end);

}  // namespace tl::app
