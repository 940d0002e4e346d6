#pragma once
// NormalizedString: text after normalization plus, for every byte of it, the byte range of the
// original input it came from. This is what lets every token report its span in the user's text
// through lowercasing, accent stripping, byte-level mapping, prepended "▁" and so on.
// Split / Match: the pattern splitting shared by normalizers, pre-tokenizers and added tokens
// (the same five behaviours as Hugging Face tokenizers' SplitDelimiterBehavior).
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/tokenizer/unicode.h"

namespace tl::tok {

struct Span {
  std::size_t begin = 0;
  std::size_t end = 0;
};

// A character of a NormalizedString with the original range it comes from.
struct CharSpan {
  char32_t cp = 0;
  Span source;
};

class NormalizedString {
 public:
  // Appends characters that all come from one source character (see transform()).
  class Emitter {
   public:
    void push(char32_t cp);
    void push_utf8(std::string_view s);

   private:
    friend class NormalizedString;
    Emitter(std::string& text, std::vector<Span>& align) : text_(text), align_(align) {}
    std::string& text_;
    std::vector<Span>& align_;
    Span source_;
  };

  NormalizedString() = default;
  // The text itself, aligned one to one with original bytes starting at `offset`. Invalid UTF-8
  // bytes become U+FFFD (aligned to the bytes they replace), so everything downstream is valid UTF-8.
  static NormalizedString from_original(std::string_view text, std::size_t offset = 0);

  const std::string& str() const { return text_; }
  bool empty() const { return text_.empty(); }
  std::size_t size() const { return text_.size(); }
  // Original span of the normalized byte range [begin, end); an empty range gives an empty span
  // at the corresponding original position.
  Span original_span(std::size_t begin, std::size_t end) const;
  Span original_span() const { return whole_; }
  NormalizedString slice(std::size_t begin, std::size_t end) const;

  // Rebuilds the string: f(code_point, emitter) is called for every character, and every character
  // it pushes is aligned to that source character (pushing nothing removes the character).
  template <class F>
  void transform(F&& f) {
    std::string text;
    std::vector<Span> align;
    text.reserve(text_.size());
    align.reserve(align_.size());
    Emitter e(text, align);
    for_each_char(text_, [&](char32_t cp, std::size_t i, std::size_t) {
      e.source_ = align_[i];
      f(cp, e);
    });
    text_.swap(text);
    align_.swap(align);
  }
  // Character-level access for transformations that reorder or merge characters (Unicode
  // normalization forms); assign() keeps the original range of the whole string.
  std::vector<CharSpan> chars() const;
  void assign(const std::vector<CharSpan>& chars);
  // Inserts s in front; it is aligned to the first character. Does nothing on an empty string.
  void prepend(std::string_view s);

 private:
  std::string text_;
  std::vector<Span> align_;  // one entry per byte of text_
  Span whole_;               // the original range this string covers (kept when it becomes empty)
};

// One piece of a string cut by a pattern: [begin, end) and whether the pattern matched it.
struct Match {
  std::size_t begin = 0;
  std::size_t end = 0;
  bool is_match = false;
};

enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

// Every character for which pred is true is its own match; the runs between are non-matches.
template <class Pred>
std::vector<Match> find_char_matches(std::string_view s, Pred&& pred) {
  std::vector<Match> out;
  std::size_t last = 0;
  for_each_char(s, [&](char32_t cp, std::size_t i, std::size_t len) {
    if (!pred(cp)) return;
    if (last < i) out.push_back({last, i, false});
    out.push_back({i, i + len, true});
    last = i + len;
  });
  if (last < s.size()) out.push_back({last, s.size(), false});
  return out;
}
// Matches given as [begin, end) ranges (sorted, disjoint) plus the gaps between them.
std::vector<Match> matches_with_gaps(const std::vector<Span>& found, std::size_t size);
void invert(std::vector<Match>& matches);
// Cuts ns along matches (which cover it) according to behavior; empty pieces are dropped.
std::vector<NormalizedString> split(const NormalizedString& ns, const std::vector<Match>& matches,
                                    SplitBehavior behavior);

}  // namespace tl::tok
