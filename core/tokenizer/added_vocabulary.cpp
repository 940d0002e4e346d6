#include "core/tokenizer/added_vocabulary.h"

#include <algorithm>
#include <cstdint>

namespace tl::tok {

namespace {

char32_t last_char(std::string_view s) {
  std::size_t i = s.size() - 1;
  while (i > 0 && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) --i;
  std::size_t len = 0;
  return decode_utf8(s, i, len);
}

char32_t first_char(std::string_view s) {
  std::size_t len = 0;
  return decode_utf8(s, 0, len);
}

// Start of the whitespace run that ends s (s.size() when s does not end with whitespace).
std::size_t trailing_space_start(std::string_view s) {
  std::size_t start = s.size();
  while (start > 0) {
    std::size_t i = start - 1;
    while (i > 0 && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) --i;
    std::size_t len = 0;
    if (!is_whitespace(decode_utf8(s, i, len))) break;
    start = i;
  }
  return start;
}

std::size_t leading_space_end(std::string_view s) {
  std::size_t end = 0;
  while (end < s.size()) {
    std::size_t len = 0;
    if (!is_whitespace(decode_utf8(s, end, len))) break;
    end += len;
  }
  return end;
}

}  // namespace

void AddedVocabulary::Matcher::add(std::string pattern, std::size_t token) {
  if (pattern.empty()) return;
  patterns.emplace_back(std::move(pattern), token);
}

void AddedVocabulary::Matcher::finish() {
  // Bytewise order (std::string compares as unsigned char); equal patterns keep insertion order,
  // which is priority order (special tokens first, then file order).
  std::stable_sort(patterns.begin(), patterns.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
}

std::size_t AddedVocabulary::Matcher::longest_at(std::string_view text, std::size_t i) const {
  // Invariant: every pattern in [lo, hi) starts with text[i, i + d). Those of length d sort first.
  std::size_t lo = 0, hi = patterns.size(), best = SIZE_MAX;
  for (std::size_t d = 0; i + d < text.size() && lo < hi; ++d) {
    const unsigned char c = static_cast<unsigned char>(text[i + d]);
    const auto byte_at = [d](std::size_t k, const auto& ps) { return static_cast<unsigned char>(ps[k].first[d]); };
    // First pattern longer than d whose byte d is >= c ...
    std::size_t a = lo, n = hi - lo;
    while (n > 0) {
      const std::size_t half = n / 2, mid = a + half;
      if (patterns[mid].first.size() <= d || byte_at(mid, patterns) < c) a = mid + 1, n -= half + 1;
      else n = half;
    }
    // ... and the end of those whose byte d is c.
    std::size_t b = a;
    n = hi - a;
    while (n > 0) {
      const std::size_t half = n / 2, mid = b + half;
      if (byte_at(mid, patterns) == c) b = mid + 1, n -= half + 1;
      else n = half;
    }
    lo = a;
    hi = b;
    if (lo < hi && patterns[lo].first.size() == d + 1) best = lo;
  }
  return best;
}

AddedVocabulary::AddedVocabulary(std::vector<AddedToken> tokens, const Normalizer* normalizer)
    : tokens_(std::move(tokens)) {
  // The reference matches special tokens before other added tokens when both match equally.
  std::vector<std::size_t> order(tokens_.size());
  for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::stable_partition(order.begin(), order.end(), [&](std::size_t k) { return tokens_[k].special; });
  for (std::size_t k : order) {
    const AddedToken& t = tokens_[k];
    index_by_id_.emplace(t.id, k);
    index_by_content_.emplace(t.content, k);
    if (!t.normalized) {
      raw_.add(t.content, k);
      continue;
    }
    NormalizedString pattern = NormalizedString::from_original(t.content);
    if (normalizer) normalizer->normalize(pattern);
    normalized_.add(pattern.str(), k);
  }
  raw_.finish();
  normalized_.finish();
}

const AddedToken* AddedVocabulary::by_id(int id) const {
  const auto it = index_by_id_.find(id);
  return it == index_by_id_.end() ? nullptr : &tokens_[it->second];
}

const AddedToken* AddedVocabulary::by_content(std::string_view content) const {
  const auto it = index_by_content_.find(std::string(content));
  return it == index_by_content_.end() ? nullptr : &tokens_[it->second];
}

std::vector<AddedVocabulary::Found> AddedVocabulary::find(const Matcher& m, std::string_view text) const {
  std::vector<Found> out;
  if (m.patterns.empty()) {
    out.push_back({{0, text.size()}, -1});
    return out;
  }
  std::size_t done = 0;  // end of the last match (with its stripped whitespace)
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t best = m.longest_at(text, i);
    if (best == SIZE_MAX) {
      ++i;
      continue;
    }
    std::size_t start = i, stop = i + m.patterns[best].first.size();
    i = stop;
    const std::size_t token_index = m.patterns[best].second;
    const AddedToken& t = tokens_[token_index];
    if (t.single_word) {
      const bool space_before = start == 0 || !is_word_char(last_char(text.substr(0, start)));
      const bool space_after = stop == text.size() || !is_word_char(first_char(text.substr(stop)));
      if (!space_before || !space_after) continue;
    }
    if (t.lstrip) start = std::max(trailing_space_start(text.substr(0, start)), done);
    if (t.rstrip) stop += leading_space_end(text.substr(stop));
    if (done < start) out.push_back({{done, start}, -1});
    out.push_back({{start, stop}, static_cast<int>(token_index)});
    done = stop;
    i = std::max(i, stop);
  }
  if (done < text.size()) out.push_back({{done, text.size()}, -1});
  return out;
}

std::vector<Piece> AddedVocabulary::extract_and_normalize(const Normalizer* normalizer,
                                                          const NormalizedString& text) const {
  std::vector<Piece> pieces;
  if (text.empty()) return pieces;
  for (const Found& raw : find(raw_, text.str())) {
    NormalizedString part = text.slice(raw.span.begin, raw.span.end);
    if (raw.token >= 0) {
      pieces.push_back({std::move(part), tokens_[static_cast<std::size_t>(raw.token)].id});
      continue;
    }
    if (normalizer) normalizer->normalize(part);
    if (part.empty()) continue;
    for (const Found& f : find(normalized_, part.str())) {
      if (f.span.begin == f.span.end) continue;
      const int id = f.token >= 0 ? tokens_[static_cast<std::size_t>(f.token)].id : -1;
      pieces.push_back({part.slice(f.span.begin, f.span.end), id});
    }
  }
  return pieces;
}

}  // namespace tl::tok
