#include "core/tokenizer/normalized_string.h"

#include <algorithm>

namespace tl::tok {

void NormalizedString::Emitter::push(char32_t cp) {
  const std::size_t before = text_.size();
  append_utf8(text_, cp);
  align_.insert(align_.end(), text_.size() - before, source_);
}

void NormalizedString::Emitter::push_utf8(std::string_view s) {
  text_.append(s);
  align_.insert(align_.end(), s.size(), source_);
}

NormalizedString NormalizedString::from_original(std::string_view text, std::size_t offset) {
  NormalizedString ns;
  ns.whole_ = {offset, offset + text.size()};
  ns.text_.reserve(text.size());
  ns.align_.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    std::size_t len = 0;
    const char32_t cp = decode_utf8(text, i, len);
    const Span source{offset + i, offset + i + len};
    const std::size_t before = ns.text_.size();
    if (cp == 0xFFFD && text.substr(i, len) != "\xEF\xBF\xBD")
      append_utf8(ns.text_, cp);  // invalid input bytes
    else
      ns.text_.append(text.substr(i, len));
    ns.align_.insert(ns.align_.end(), ns.text_.size() - before, source);
    i += len;
  }
  return ns;
}

Span NormalizedString::original_span(std::size_t begin, std::size_t end) const {
  if (begin >= end) {
    std::size_t pos = whole_.begin;
    if (begin < align_.size())
      pos = align_[begin].begin;
    else if (!align_.empty())
      pos = align_.back().end;
    return {pos, pos};
  }
  Span s{align_[begin].begin, align_[end - 1].end};
  if (s.begin > s.end) {  // reordered characters (canonical ordering): take the hull
    for (std::size_t i = begin; i < end; ++i) {
      s.begin = std::min(s.begin, align_[i].begin);
      s.end = std::max(s.end, align_[i].end);
    }
  }
  return s;
}

NormalizedString NormalizedString::slice(std::size_t begin, std::size_t end) const {
  NormalizedString ns;
  ns.text_ = text_.substr(begin, end - begin);
  ns.align_.assign(align_.begin() + static_cast<std::ptrdiff_t>(begin),
                   align_.begin() + static_cast<std::ptrdiff_t>(end));
  ns.whole_ = original_span(begin, end);
  return ns;
}

std::vector<CharSpan> NormalizedString::chars() const {
  std::vector<CharSpan> out;
  out.reserve(text_.size());
  for_each_char(text_, [&](char32_t cp, std::size_t i, std::size_t) { out.push_back({cp, align_[i]}); });
  return out;
}

void NormalizedString::assign(const std::vector<CharSpan>& chars) {
  text_.clear();
  align_.clear();
  for (const CharSpan& c : chars) {
    append_utf8(text_, c.cp);
    align_.resize(text_.size(), c.source);
  }
}

void NormalizedString::prepend(std::string_view s) {
  if (text_.empty()) return;
  text_.insert(0, s);
  align_.insert(align_.begin(), s.size(), align_.front());
}

std::vector<Match> matches_with_gaps(const std::vector<Span>& found, std::size_t size) {
  std::vector<Match> out;
  std::size_t last = 0;
  for (const Span& f : found) {
    if (last < f.begin) out.push_back({last, f.begin, false});
    out.push_back({f.begin, f.end, true});
    last = f.end;
  }
  if (last < size) out.push_back({last, size, false});
  return out;
}

void invert(std::vector<Match>& matches) {
  for (Match& m : matches) m.is_match = !m.is_match;
}

std::vector<NormalizedString> split(const NormalizedString& ns, const std::vector<Match>& matches,
                                    SplitBehavior behavior) {
  // Decide the pieces first (as [begin, end) + keep), then slice.
  std::vector<Match> pieces;  // here is_match means "remove"
  bool previous_match = false;
  switch (behavior) {
    case SplitBehavior::Isolated:
      for (const Match& m : matches) pieces.push_back({m.begin, m.end, false});
      break;
    case SplitBehavior::Removed:
      pieces = matches;
      break;
    case SplitBehavior::Contiguous:
      for (const Match& m : matches) {
        if (m.is_match == previous_match && !pieces.empty())
          pieces.back().end = m.end;
        else
          pieces.push_back({m.begin, m.end, false});
        previous_match = m.is_match;
      }
      break;
    case SplitBehavior::MergedWithPrevious:
      for (const Match& m : matches) {
        if (m.is_match && !previous_match && !pieces.empty())
          pieces.back().end = m.end;
        else
          pieces.push_back({m.begin, m.end, false});
        previous_match = m.is_match;
      }
      break;
    case SplitBehavior::MergedWithNext:
      for (auto it = matches.rbegin(); it != matches.rend(); ++it) {
        if (it->is_match && !previous_match && !pieces.empty())
          pieces.back().begin = it->begin;
        else
          pieces.push_back({it->begin, it->end, false});
        previous_match = it->is_match;
      }
      std::reverse(pieces.begin(), pieces.end());
      break;
  }
  std::vector<NormalizedString> out;
  out.reserve(pieces.size());
  for (const Match& p : pieces)
    if (!p.is_match && p.begin < p.end) out.push_back(ns.slice(p.begin, p.end));
  return out;
}

}  // namespace tl::tok
