#include "core/tokenizer/normalizers.h"

#include <algorithm>
#include <vector>

namespace tl::tok {

namespace {

// ---- Unicode normalization forms with alignment ------------------------------------------------

// NFD / NFKD: every character decomposes in place (its pieces keep its original range), then runs of
// combining marks are put in canonical order.
void decompose(NormalizedString& s, bool compatibility) {
  std::vector<CharSpan> out;
  std::u32string pieces;
  for (const CharSpan& c : s.chars()) {
    pieces.clear();
    append_decomposition(pieces, c.cp, compatibility);
    for (char32_t p : pieces) out.push_back({p, c.source});
  }
  for (std::size_t i = 0; i < out.size();) {
    if (combining_class(out[i].cp) == 0) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < out.size() && combining_class(out[j].cp) != 0) ++j;
    std::stable_sort(
        out.begin() + static_cast<std::ptrdiff_t>(i), out.begin() + static_cast<std::ptrdiff_t>(j),
        [](const CharSpan& a, const CharSpan& b) { return combining_class(a.cp) < combining_class(b.cp); });
    i = j;
  }
  s.assign(out);
}

// NFC / NFKC: composition never crosses an extended grapheme cluster boundary, so each cluster is
// normalized on its own and its characters map to the cluster's original range.
void compose(NormalizedString& s, bool compatibility) {
  const std::vector<CharSpan> in = s.chars();
  std::vector<CharSpan> out;
  out.reserve(in.size());
  std::int32_t state = 0;
  std::size_t start = 0;
  std::string cluster;
  for (std::size_t i = 1; i <= in.size(); ++i) {
    if (i < in.size() && !is_grapheme_break(in[i - 1].cp, in[i].cp, state)) continue;
    cluster.clear();
    Span hull = in[start].source;
    for (std::size_t k = start; k < i; ++k) {
      append_utf8(cluster, in[k].cp);
      hull.begin = std::min(hull.begin, in[k].source.begin);
      hull.end = std::max(hull.end, in[k].source.end);
    }
    const bool ascii = i - start == 1 && in[start].cp < 0x80;  // fast path: ASCII is in every form
    if (ascii) {
      out.push_back(in[start]);
    } else {
      for_each_char(utf8proc_normalize(cluster, /*compose=*/true, compatibility),
                    [&](char32_t cp, std::size_t, std::size_t) {
                      out.push_back({cp, hull});
                    });
    }
    start = i;
  }
  s.assign(out);
}

void lowercase(NormalizedString& s) {
  std::string lower;
  s.transform([&](char32_t c, NormalizedString::Emitter& e) {
    lower.clear();
    append_lowercase(lower, c);
    e.push_utf8(lower);
  });
}

void strip_nonspacing_marks(NormalizedString& s) {
  s.transform([](char32_t c, NormalizedString::Emitter& e) {
    if (!is_mark_nonspacing(c)) e.push(c);
  });
}

// ---- Normalizers -------------------------------------------------------------------------------

class BertNormalizer final : public Normalizer {
 public:
  BertNormalizer(bool clean_text, bool handle_chinese_chars, bool strip_accents, bool lowercase)
      : clean_text_(clean_text),
        handle_chinese_chars_(handle_chinese_chars),
        strip_accents_(strip_accents),
        lowercase_(lowercase) {}

  void normalize(NormalizedString& s) const override {
    if (clean_text_) {
      s.transform([](char32_t c, NormalizedString::Emitter& e) {
        const bool control = c != '\t' && c != '\n' && c != '\r' && is_other(c);
        if (c == 0 || c == 0xFFFD || control) return;
        e.push(is_whitespace(c) ? U' ' : c);
      });
    }
    if (handle_chinese_chars_) {
      s.transform([](char32_t c, NormalizedString::Emitter& e) {
        if (!is_chinese_char(c)) return e.push(c);
        e.push(U' ');
        e.push(c);
        e.push(U' ');
      });
    }
    if (strip_accents_) {
      decompose(s, false);
      strip_nonspacing_marks(s);
    }
    if (lowercase_) lowercase(s);
  }

 private:
  bool clean_text_, handle_chinese_chars_, strip_accents_, lowercase_;
};

class UnicodeForm final : public Normalizer {
 public:
  UnicodeForm(bool compose, bool compatibility) : compose_(compose), compatibility_(compatibility) {}
  void normalize(NormalizedString& s) const override {
    if (compose_)
      compose(s, compatibility_);
    else
      decompose(s, compatibility_);
  }

 private:
  bool compose_, compatibility_;
};

class Lowercase final : public Normalizer {
 public:
  void normalize(NormalizedString& s) const override { lowercase(s); }
};

// Removes nonspacing marks only; tokenizer files put NFD / NFKD in front of it.
class StripAccents final : public Normalizer {
 public:
  void normalize(NormalizedString& s) const override { strip_nonspacing_marks(s); }
};

class Prepend final : public Normalizer {
 public:
  explicit Prepend(std::string prefix) : prefix_(std::move(prefix)) {}
  void normalize(NormalizedString& s) const override { s.prepend(prefix_); }

 private:
  std::string prefix_;
};

// Every match of the pattern becomes `content`, aligned to the whole matched range.
class Replace final : public Normalizer {
 public:
  Replace(Regex pattern, std::string content) : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void normalize(NormalizedString& s) const override {
    const std::vector<Span> found = pattern_.find_all(s.str());
    if (found.empty()) return;
    std::vector<CharSpan> out;
    std::size_t next = 0, offset = 0;
    for (const CharSpan& c : s.chars()) {
      const std::size_t at = offset;
      offset += utf8_length(c.cp);
      if (next < found.size() && at >= found[next].begin) {
        if (at == found[next].begin) {
          const Span source = s.original_span(found[next].begin, found[next].end);
          for_each_char(content_, [&](char32_t cp, std::size_t, std::size_t) {
            out.push_back({cp, source});
          });
        }
        if (offset >= found[next].end) ++next;
        continue;
      }
      out.push_back(c);
    }
    s.assign(out);
  }

 private:
  Regex pattern_;
  std::string content_;
};

class Strip final : public Normalizer {
 public:
  Strip(bool left, bool right) : left_(left), right_(right) {}
  void normalize(NormalizedString& s) const override {
    std::size_t begin = s.size(), end = 0;  // first and past-the-last non-whitespace bytes
    for_each_char(s.str(), [&](char32_t cp, std::size_t i, std::size_t len) {
      if (is_whitespace(cp)) return;
      begin = std::min(begin, i);
      end = i + len;
    });
    if (begin > end) {  // all whitespace
      if (left_ || right_) s = s.slice(0, 0);
      return;
    }
    s = s.slice(left_ ? begin : 0, right_ ? end : s.size());
  }

 private:
  bool left_, right_;
};

class SequenceNormalizer final : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> parts) : parts_(std::move(parts)) {}
  void normalize(NormalizedString& s) const override {
    for (const auto& p : parts_) p->normalize(s);
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> parts_;
};

}  // namespace

static Result<std::unique_ptr<Normalizer>> parse_normalizer_at(const Json& j, const std::string& path,
                                                               int depth) {
  if (depth > kMaxNesting) return too_deep(path);
  using Ptr = std::unique_ptr<Normalizer>;
  TL_TOK_TRY(type, get_type(j, path));
  if (type == "BertNormalizer") {
    TL_TOK_TRY(clean_text, get_bool(j, "clean_text", true, path));
    TL_TOK_TRY(chinese, get_bool(j, "handle_chinese_chars", true, path));
    TL_TOK_TRY(lower, get_bool(j, "lowercase", true, path));
    TL_TOK_TRY(strip, get_optional_bool(j, "strip_accents", path));
    // strip_accents null means "strip when lowercasing", as BERT's uncased models do.
    return Ptr(std::make_unique<BertNormalizer>(clean_text, chinese, strip.value_or(lower), lower));
  }
  if (type == "Lowercase") return Ptr(std::make_unique<Lowercase>());
  if (type == "StripAccents") return Ptr(std::make_unique<StripAccents>());
  if (type == "NFD") return Ptr(std::make_unique<UnicodeForm>(false, false));
  if (type == "NFKD") return Ptr(std::make_unique<UnicodeForm>(false, true));
  if (type == "NFC") return Ptr(std::make_unique<UnicodeForm>(true, false));
  if (type == "NFKC") return Ptr(std::make_unique<UnicodeForm>(true, true));
  if (type == "Prepend") {
    TL_TOK_TRY(prefix, get_string(j, "prepend", path));
    return Ptr(std::make_unique<Prepend>(std::move(prefix)));
  }
  if (type == "Replace") {
    TL_TOK_TRY(pattern, get_pattern(j, "pattern", path));
    TL_TOK_TRY(content, get_string(j, "content", path));
    return Ptr(std::make_unique<Replace>(std::move(pattern), std::move(content)));
  }
  if (type == "Strip") {
    TL_TOK_TRY(left, get_bool(j, "strip_left", true, path));
    TL_TOK_TRY(right, get_bool(j, "strip_right", true, path));
    return Ptr(std::make_unique<Strip>(left, right));
  }
  if (type == "Sequence") {
    const Json* list = find_field(j, "normalizers");
    if (!list || !list->is_array()) return field_error(field_path(path, "normalizers"), "expected an array");
    std::vector<Ptr> parts;
    for (std::size_t i = 0; i < list->size(); ++i) {
      TL_TOK_TRY(part,
                 parse_normalizer_at((*list)[i], index_path(field_path(path, "normalizers"), i), depth + 1));
      parts.push_back(std::move(part));
    }
    return Ptr(std::make_unique<SequenceNormalizer>(std::move(parts)));
  }
  return unknown_type(path, type, "normalizer");
}

Result<std::unique_ptr<Normalizer>> parse_normalizer(const Json& j, const std::string& path) {
  return parse_normalizer_at(j, path, 0);
}

std::unique_ptr<Normalizer> make_bert_normalizer(bool lowercase, bool strip_accents,
                                                 bool handle_chinese_chars) {
  return std::make_unique<BertNormalizer>(true, handle_chinese_chars, strip_accents, lowercase);
}

}  // namespace tl::tok
