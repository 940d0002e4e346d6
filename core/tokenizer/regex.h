#pragma once
// Regex: a compiled PCRE2 pattern (UTF + UCP, JIT when available) for the patterns that tokenizer
// files carry (the GPT-2 split regex, Split / Replace patterns). Immutable and shareable between
// threads; each search allocates its own match data.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/tokenizer/normalized_string.h"
#include "core/util/result.h"

namespace tl::tok {

class Regex {
 public:
  // literal: match the pattern text itself (Hugging Face {"String": ...} patterns).
  static Result<Regex> compile(std::string_view pattern, bool literal = false);

  // All non-overlapping, non-empty matches in valid UTF-8 text, left to right.
  std::vector<Span> find_all(std::string_view text) const;
  // Matches and the gaps between them, covering text.
  std::vector<Match> find_matches(std::string_view text) const {
    return matches_with_gaps(find_all(text), text.size());
  }
  const std::string& pattern() const { return pattern_; }

 private:
  struct Code;
  std::shared_ptr<const Code> code_;
  std::string pattern_;
};

}  // namespace tl::tok
