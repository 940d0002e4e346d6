#include "render/word_groups.h"

#include <cctype>

namespace tl::render {
namespace {

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

bool has_space_marker(std::string_view piece) {
  return starts_with(piece, "\xc4\xa0") /* Ġ */ || starts_with(piece, "\xe2\x96\x81") /* ▁ */;
}

// Letters, digits and every non-ASCII byte (accented letters, CJK) count as word characters; the
// apostrophe too, so contractions and possessives stay one word.
bool word_char(unsigned char c) { return c >= 0x80 || std::isalnum(c) || c == '\''; }

bool continues(const TokenText& t, std::size_t k) {
  const auto& prev = t.spans[k - 1];
  const auto& cur = t.spans[k];
  if (t.special[k] || t.special[k - 1]) return false;
  if (prev.first >= prev.second || cur.first >= cur.second) return false;  // empty spans: inserted tokens
  if (cur.first > prev.second || cur.first < prev.first) return false;  // a gap (whitespace) or out of order
  if (cur.second > t.text.size() || prev.second > t.text.size()) return false;
  const std::string_view piece = k < t.pieces.size() ? std::string_view(t.pieces[k]) : std::string_view();
  if (starts_with(piece, "##")) return true;
  if (has_space_marker(piece)) return false;
  const auto first = static_cast<unsigned char>(t.text[cur.first]);
  if (std::isspace(first)) return false;
  // The last byte before this token's span (equal to prev's last byte when the spans touch).
  const auto last = static_cast<unsigned char>(t.text[cur.first > prev.first ? cur.first - 1 : prev.first]);
  if (std::isspace(last)) return false;
  return word_char(first) == word_char(last);
}

bool same_labels(const std::vector<std::string>& a, const std::vector<std::string>& b) { return a == b; }

}  // namespace

WordGroups word_groups(const TokenText& t) {
  WordGroups g;
  const std::size_t n = t.labels.size();
  g.token_labels = t.labels;
  g.word_of_token.assign(n, 0);
  const bool usable = t.spans.size() == n && t.special.size() == n;
  for (std::size_t k = 0; k < n; ++k) {
    if (k > 0 && usable && continues(t, k)) {
      g.words.back().second = static_cast<int>(k) + 1;
      g.labels.back() += t.labels[k];
    } else {
      g.words.emplace_back(static_cast<int>(k), static_cast<int>(k) + 1);
      g.labels.push_back(t.labels[k]);
    }
    g.word_of_token[k] = static_cast<int>(g.words.size()) - 1;
  }
  return g;
}

bool groups_rows(const Map& map, const WordGroups& g) {
  return map.rows() == static_cast<int>(g.word_of_token.size()) &&
         same_labels(map.row_labels, g.token_labels);
}

bool groups_cols(const Map& map, const WordGroups& g) {
  return map.cols() == static_cast<int>(g.word_of_token.size()) &&
         same_labels(map.col_labels, g.token_labels);
}

Map group_words(const Map& map, const WordGroups& g) {
  const bool rows = groups_rows(map, g), cols = groups_cols(map, g);
  if (!rows && !cols) return map;
  Map out;
  out.is_signed = map.is_signed;
  out.provenance = map.provenance;
  out.provenance.options["words"] = "summed";
  const int R = rows ? g.size() : map.rows();
  const int C = cols ? g.size() : map.cols();
  // Columns first (each row's word sums), then rows.
  Eigen::MatrixXd by_col(map.rows(), C);
  for (int c = 0; c < C; ++c) {
    const auto [b, e] = cols ? g.words[static_cast<std::size_t>(c)] : std::make_pair(c, c + 1);
    by_col.col(c) = map.values.middleCols(b, e - b).rowwise().sum();
  }
  out.values.resize(R, C);
  if (map.bias.size()) out.bias.resize(R);
  for (int r = 0; r < R; ++r) {
    const auto [b, e] = rows ? g.words[static_cast<std::size_t>(r)] : std::make_pair(r, r + 1);
    out.values.row(r) = by_col.middleRows(b, e - b).colwise().sum();
    if (map.bias.size()) out.bias[r] = map.bias.segment(b, e - b).sum();
  }
  out.row_labels = rows ? g.labels : map.row_labels;
  out.col_labels = cols ? g.labels : map.col_labels;
  return out;
}

SpecialTokens group_special(const SpecialTokens& special, const Map& map, const WordGroups& g) {
  SpecialTokens out = special;
  auto word_flags = [&](bool (SpecialTokens::*flag)(int) const) {
    std::vector<bool> f(g.words.size(), false);
    for (std::size_t w = 0; w < g.words.size(); ++w) {
      for (int k = g.words[w].first; k < g.words[w].second; ++k) f[w] = f[w] || (special.*flag)(k);
    }
    return f;
  };
  if (groups_rows(map, g)) out.rows = word_flags(&SpecialTokens::row);
  if (groups_cols(map, g)) out.cols = word_flags(&SpecialTokens::col);
  return out;
}

}  // namespace tl::render
