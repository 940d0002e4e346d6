#pragma once
// Regex: a compiled PCRE2 pattern (UTF + UCP, JIT when available) for the patterns that tokenizer
// files carry (the GPT-2 split regex, Split / Replace patterns). Immutable and shareable between
// threads; each search allocates its own match data.
//
// Searches are bounded for hostile patterns. PCRE2's match limit applies to one match attempt,
// not to a whole text (a pattern like (?:(a+)+b)|x spends millions of steps at every 'a' and still
// stays under it), so find_all drives the search itself, one anchored attempt per start position,
// and checks between attempts the deadline of the enclosing RegexBudget (one per encode, set by
// Tokenizer; kDefaultRegexSeconds for a search outside any). A PCRE2 resource limit, the deadline
// or a cancelled Progress throws RegexError naming the pattern; Tokenizer turns it into an error.
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/tokenizer/normalized_string.h"
#include "core/util/progress.h"
#include "core/util/result.h"

namespace tl::tok {

constexpr double kDefaultRegexSeconds = 2.0;

struct RegexError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The time every regex search on this thread may take until the budget goes out of scope.
class RegexBudget {
 public:
  RegexBudget(std::chrono::steady_clock::time_point deadline, const Progress* progress = nullptr);
  ~RegexBudget();
  RegexBudget(const RegexBudget&) = delete;
  RegexBudget& operator=(const RegexBudget&) = delete;
  std::chrono::steady_clock::time_point deadline() const { return deadline_; }
  const Progress* progress() const { return progress_; }
  static const RegexBudget* current();

 private:
  std::chrono::steady_clock::time_point deadline_;
  const Progress* progress_;
  const RegexBudget* previous_;
};

class Regex {
 public:
  // literal: match the pattern text itself (Hugging Face {"String": ...} patterns).
  static Result<Regex> compile(std::string_view pattern, bool literal = false);

  // All non-overlapping, non-empty matches in valid UTF-8 text, left to right. Throws RegexError.
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
