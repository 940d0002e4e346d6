#include "core/tokenizer/pre_tokenizers.h"

#include "core/util/assert.h"

namespace tl::tok {

namespace {

// White_Space spelled out, so that \s means what it means in Oniguruma (which the reference
// library uses) rather than PCRE2's slightly different set.
#define TL_TOK_WS \
  R"(\t\n\x{0B}\f\r\x{20}\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000})"

const Regex& gpt2_split_regex() {
  static const Regex re = [] {
    auto r = Regex::compile(R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^)" TL_TOK_WS
                            R"(\p{L}\p{N}]+|[)" TL_TOK_WS R"(]+(?![^)" TL_TOK_WS R"(])|[)" TL_TOK_WS R"(]+)");
    TL_ASSERT(r.ok(), "GPT-2 split regex must compile");
    return std::move(r.value());
  }();
  return re;
}

// Rust regex \w+|[^\w\s]+ (the Whitespace pre-tokenizer).
const Regex& word_or_symbols_regex() {
  static const Regex re = [] {
    auto r = Regex::compile(
        R"([\p{L}\p{M}\p{Nd}\p{Nl}\p{Pc}\x{200C}\x{200D}]+|[^\p{L}\p{M}\p{Nd}\p{Nl}\p{Pc}\x{200C}\x{200D})" TL_TOK_WS
        R"(]+)");
    TL_ASSERT(r.ok(), "word regex must compile");
    return std::move(r.value());
  }();
  return re;
}

#undef TL_TOK_WS

bool is_bert_punctuation(char32_t c) {
  const bool ascii =
      (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
  return ascii || is_punctuation(c);
}

std::vector<NormalizedString> one(const NormalizedString& s) { return {s}; }

class ByteLevel final : public PreTokenizer {
 public:
  ByteLevel(bool add_prefix_space, bool use_regex)
      : add_prefix_space_(add_prefix_space), use_regex_(use_regex) {}

  void pre_tokenize(std::vector<Piece>& pieces) const override {
    split_pieces(pieces, [&](const NormalizedString& s) {
      NormalizedString t = s;
      if (add_prefix_space_ && t.str().front() != ' ') t.prepend(" ");
      if (!use_regex_) return one(t);
      return split(t, gpt2_split_regex().find_matches(t.str()), SplitBehavior::Isolated);
    });
    std::string utf8;
    for (Piece& p : pieces) {
      if (p.added_id >= 0) continue;
      p.text.transform([&](char32_t c, NormalizedString::Emitter& e) {
        utf8.clear();
        append_utf8(utf8, c);
        for (unsigned char b : utf8) e.push(byte_to_char(b));
      });
    }
  }

 private:
  bool add_prefix_space_, use_regex_;
};

class BertPreTokenizer final : public PreTokenizer {
 public:
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    split_pieces(pieces, [](const NormalizedString& s) {
      return split(s, find_char_matches(s.str(), is_whitespace), SplitBehavior::Removed);
    });
    split_pieces(pieces, [](const NormalizedString& s) {
      return split(s, find_char_matches(s.str(), is_bert_punctuation), SplitBehavior::Isolated);
    });
  }
};

// Keeps runs of word characters and runs of other non-space characters.
class Whitespace final : public PreTokenizer {
 public:
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    split_pieces(pieces, [](const NormalizedString& s) {
      std::vector<Match> m = word_or_symbols_regex().find_matches(s.str());
      invert(m);
      return split(s, m, SplitBehavior::Removed);
    });
  }
};

class WhitespaceSplit final : public PreTokenizer {
 public:
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    split_pieces(pieces, [](const NormalizedString& s) {
      return split(s, find_char_matches(s.str(), is_whitespace), SplitBehavior::Removed);
    });
  }
};

enum class PrependScheme { Always, Never, First };

class Metaspace final : public PreTokenizer {
 public:
  Metaspace(char32_t replacement, PrependScheme scheme, bool split)
      : replacement_(replacement), scheme_(scheme), split_(split) {
    append_utf8(replacement_utf8_, replacement);
  }

  void pre_tokenize(std::vector<Piece>& pieces) const override {
    split_pieces(pieces, [&](const NormalizedString& s) {
      NormalizedString t = s;
      t.transform([&](char32_t c, NormalizedString::Emitter& e) { e.push(c == U' ' ? replacement_ : c); });
      const bool starts_with_replacement =
          t.str().compare(0, replacement_utf8_.size(), replacement_utf8_) == 0;
      const bool at_start = t.original_span().begin == 0;
      if (!starts_with_replacement &&
          (scheme_ == PrependScheme::Always || (scheme_ == PrependScheme::First && at_start)))
        t.prepend(replacement_utf8_);
      if (!split_) return one(t);
      return split(t, find_char_matches(t.str(), [&](char32_t c) { return c == replacement_; }),
                   SplitBehavior::MergedWithNext);
    });
  }

 private:
  char32_t replacement_;
  std::string replacement_utf8_;
  PrependScheme scheme_;
  bool split_;
};

class SplitPattern final : public PreTokenizer {
 public:
  SplitPattern(Regex pattern, SplitBehavior behavior, bool invert)
      : pattern_(std::move(pattern)), behavior_(behavior), invert_(invert) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    split_pieces(pieces, [&](const NormalizedString& s) {
      std::vector<Match> m = pattern_.find_matches(s.str());
      if (invert_) invert(m);
      return split(s, m, behavior_);
    });
  }

 private:
  Regex pattern_;
  SplitBehavior behavior_;
  bool invert_;
};

class Punctuation final : public PreTokenizer {
 public:
  explicit Punctuation(SplitBehavior behavior) : behavior_(behavior) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    split_pieces(pieces, [&](const NormalizedString& s) {
      return split(s, find_char_matches(s.str(), is_bert_punctuation), behavior_);
    });
  }

 private:
  SplitBehavior behavior_;
};

class Digits final : public PreTokenizer {
 public:
  explicit Digits(bool individual) : individual_(individual) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    const auto is_digit = [](char32_t c) { return c >= '0' && c <= '9'; };
    split_pieces(pieces, [&](const NormalizedString& s) {
      return split(s, find_char_matches(s.str(), is_digit),
                   individual_ ? SplitBehavior::Isolated : SplitBehavior::Contiguous);
    });
  }

 private:
  bool individual_;
};

class SequencePreTokenizer final : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> parts)
      : parts_(std::move(parts)) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    for (const auto& p : parts_) p->pre_tokenize(pieces);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> parts_;
};

Result<SplitBehavior> get_behavior(const Json& j, const std::string& path, SplitBehavior fallback) {
  TL_TOK_TRY(name, get_optional_string(j, "behavior", path));
  if (!name) return fallback;
  if (*name == "Removed") return SplitBehavior::Removed;
  if (*name == "Isolated") return SplitBehavior::Isolated;
  if (*name == "MergedWithPrevious") return SplitBehavior::MergedWithPrevious;
  if (*name == "MergedWithNext") return SplitBehavior::MergedWithNext;
  if (*name == "Contiguous") return SplitBehavior::Contiguous;
  return field_error(field_path(path, "behavior"), "unknown split behavior '" + *name + "'");
}

Result<std::unique_ptr<PreTokenizer>> parse_metaspace(const Json& j, const std::string& path) {
  TL_TOK_TRY(replacement, get_string(j, "replacement", path));
  std::size_t len = 0;
  const char32_t c = replacement.empty() ? 0 : decode_utf8(replacement, 0, len);
  if (replacement.empty() || len != replacement.size())
    return field_error(field_path(path, "replacement"), "expected a single character");
  // Older files say add_prefix_space; newer ones prepend_scheme (which wins when present).
  TL_TOK_TRY(add_prefix_space, get_bool(j, "add_prefix_space", true, path));
  TL_TOK_TRY(scheme_name, get_optional_string(j, "prepend_scheme", path));
  PrependScheme scheme = add_prefix_space ? PrependScheme::Always : PrependScheme::Never;
  if (scheme_name) {
    if (*scheme_name == "always")
      scheme = PrependScheme::Always;
    else if (*scheme_name == "never")
      scheme = PrependScheme::Never;
    else if (*scheme_name == "first")
      scheme = PrependScheme::First;
    else
      return field_error(field_path(path, "prepend_scheme"), "unknown prepend scheme '" + *scheme_name + "'");
  }
  TL_TOK_TRY(split, get_bool(j, "split", true, path));
  return std::unique_ptr<PreTokenizer>(std::make_unique<Metaspace>(c, scheme, split));
}

}  // namespace

static Result<std::unique_ptr<PreTokenizer>> parse_pre_tokenizer_at(const Json& j, const std::string& path,
                                                                    int depth) {
  if (depth > kMaxNesting) return too_deep(path);
  using Ptr = std::unique_ptr<PreTokenizer>;
  TL_TOK_TRY(type, get_type(j, path));
  if (type == "ByteLevel") {
    TL_TOK_TRY(add_prefix_space, get_bool(j, "add_prefix_space", true, path));
    TL_TOK_TRY(use_regex, get_bool(j, "use_regex", true, path));
    return Ptr(std::make_unique<ByteLevel>(add_prefix_space, use_regex));
  }
  if (type == "BertPreTokenizer") return Ptr(std::make_unique<BertPreTokenizer>());
  if (type == "Whitespace") return Ptr(std::make_unique<Whitespace>());
  if (type == "WhitespaceSplit") return Ptr(std::make_unique<WhitespaceSplit>());
  if (type == "Metaspace") return parse_metaspace(j, path);
  if (type == "Split") {
    TL_TOK_TRY(pattern, get_pattern(j, "pattern", path));
    TL_TOK_TRY(behavior, get_behavior(j, path, SplitBehavior::Removed));
    TL_TOK_TRY(inverted, get_bool(j, "invert", false, path));
    return Ptr(std::make_unique<SplitPattern>(std::move(pattern), behavior, inverted));
  }
  if (type == "Punctuation") {
    TL_TOK_TRY(behavior, get_behavior(j, path, SplitBehavior::Isolated));
    return Ptr(std::make_unique<Punctuation>(behavior));
  }
  if (type == "Digits") {
    TL_TOK_TRY(individual, get_bool(j, "individual_digits", false, path));
    return Ptr(std::make_unique<Digits>(individual));
  }
  if (type == "Sequence") {
    const std::string list_path = field_path(path, "pretokenizers");
    const Json* list = find_field(j, "pretokenizers");
    if (!list || !list->is_array()) return field_error(list_path, "expected an array");
    std::vector<Ptr> parts;
    for (std::size_t i = 0; i < list->size(); ++i) {
      TL_TOK_TRY(part, parse_pre_tokenizer_at((*list)[i], index_path(list_path, i), depth + 1));
      parts.push_back(std::move(part));
    }
    return Ptr(std::make_unique<SequencePreTokenizer>(std::move(parts)));
  }
  return unknown_type(path, type, "pre_tokenizer");
}

Result<std::unique_ptr<PreTokenizer>> parse_pre_tokenizer(const Json& j, const std::string& path) {
  return parse_pre_tokenizer_at(j, path, 0);
}

std::unique_ptr<PreTokenizer> make_byte_level_pre_tokenizer(bool add_prefix_space) {
  return std::make_unique<ByteLevel>(add_prefix_space, true);
}

std::unique_ptr<PreTokenizer> make_bert_pre_tokenizer() { return std::make_unique<BertPreTokenizer>(); }

}  // namespace tl::tok
