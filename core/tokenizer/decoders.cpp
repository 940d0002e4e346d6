#include "core/tokenizer/decoders.h"

#include <cstdio>

#include "core/tokenizer/regex.h"
#include "core/tokenizer/unicode.h"

namespace tl::tok {

void Decoder::display(std::string& piece) const {
  std::vector<std::string> tokens{piece};
  decode_chain(tokens);
  piece.clear();
  for (const std::string& t : tokens) piece += t;
}

std::string Decoder::decode(std::vector<std::string> tokens) const {
  decode_chain(tokens);
  std::string out;
  for (const std::string& t : tokens) out += t;
  return out;
}

namespace {

std::string byte_token_name(unsigned char b) {
  char name[8];
  std::snprintf(name, sizeof(name), "<0x%02X>", b);
  return name;
}

// "<0x0A>" -> 0x0A (the exact spelling the reference accepts: six characters, two hex digits).
std::optional<unsigned char> parse_byte_token(const std::string& t) {
  if (t.size() != 6 || t.compare(0, 3, "<0x") != 0 || t[5] != '>') return std::nullopt;
  unsigned value = 0;
  for (int k = 3; k < 5; ++k) {
    const char c = t[static_cast<std::size_t>(k)];
    const int digit = c >= '0' && c <= '9'   ? c - '0'
                      : c >= 'a' && c <= 'f' ? c - 'a' + 10
                      : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                             : -1;
    if (digit < 0) return std::nullopt;
    value = value * 16 + static_cast<unsigned>(digit);
  }
  return static_cast<unsigned char>(value);
}

// Byte-level pieces back to their bytes; a piece with characters outside the alphabet (an added
// token such as "<|endoftext|>") contributes its own UTF-8 bytes.
void append_byte_level_bytes(std::string& bytes, const std::string& token) {
  const std::size_t before = bytes.size();
  bool all_mapped = true;
  for_each_char(token, [&](char32_t c, std::size_t, std::size_t) {
    const int b = char_to_byte(c);
    if (b < 0) all_mapped = false;
    if (all_mapped) bytes += static_cast<char>(b);
  });
  if (!all_mapped) {
    bytes.resize(before);
    bytes += token;
  }
}

// Valid UTF-8 stays text; bytes that do not form a character are shown as "<0xE4>".
std::string bytes_for_display(const std::string& bytes) {
  std::string out;
  for (std::size_t i = 0; i < bytes.size();) {
    std::size_t len = 0;
    const char32_t cp = decode_utf8(bytes, i, len);
    if (cp == 0xFFFD && bytes.compare(i, len, "\xEF\xBF\xBD") != 0) {
      for (std::size_t k = 0; k < len; ++k) out += byte_token_name(static_cast<unsigned char>(bytes[i + k]));
    } else {
      out.append(bytes, i, len);
    }
    i += len;
  }
  return out;
}

class ByteLevelDecoder final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string bytes;
    for (const std::string& t : tokens) append_byte_level_bytes(bytes, t);
    tokens.assign(1, utf8_lossy(bytes));
  }
  void display(std::string& piece) const override {
    std::string bytes;
    append_byte_level_bytes(bytes, piece);
    piece = bytes_for_display(bytes);
  }
};

class WordPieceDecoder final : public Decoder {
 public:
  WordPieceDecoder(std::string prefix, bool cleanup) : prefix_(std::move(prefix)), cleanup_(cleanup) {}

  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      std::string& t = tokens[i];
      if (i != 0) {
        if (t.compare(0, prefix_.size(), prefix_) == 0)
          t.erase(0, prefix_.size());
        else
          t.insert(t.begin(), ' ');
      }
      if (cleanup_) t = cleanup(t);
    }
  }
  void display(std::string& piece) const override {
    if (piece.size() > prefix_.size() && piece.compare(0, prefix_.size(), prefix_) == 0)
      piece.erase(0, prefix_.size());
  }

 private:
  // BERT's clean_up_tokenization: no space before punctuation and English contractions.
  static std::string cleanup(std::string s) {
    static const std::pair<const char*, const char*> kRules[] = {
        {" .", "."},   {" ?", "?"},           {" !", "!"},   {" ,", ","},     {" ' ", "'"},   {" n't", "n't"},
        {" 'm", "'m"}, {" do not", " don't"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
    for (const auto& [from, to] : kRules) {
      const std::string f(from), r(to);
      std::string out;
      std::size_t pos = 0;
      for (std::size_t hit; (hit = s.find(f, pos)) != std::string::npos; pos = hit + f.size())
        out.append(s, pos, hit - pos).append(r);
      out.append(s, pos);
      s.swap(out);
    }
    return s;
  }

  std::string prefix_;
  bool cleanup_;
};

// "▁" becomes a space; the text's first "▁" (the one the pre-tokenizer prepended) is dropped.
// tokenizers 0.13 dropped every "▁" of the first token, which later versions fixed; this follows
// the later behaviour.
class MetaspaceDecoder final : public Decoder {
 public:
  MetaspaceDecoder(char32_t replacement, bool drop_first_space)
      : replacement_(replacement), drop_first_space_(drop_first_space) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::size_t i = 0; i < tokens.size(); ++i)
      tokens[i] = replace(tokens[i], i == 0 && drop_first_space_);
  }
  void display(std::string& piece) const override { piece = replace(piece, false); }

 private:
  std::string replace(const std::string& t, bool drop_leading) const {
    std::string out;
    for_each_char(t, [&](char32_t c, std::size_t i, std::size_t) {
      if (c != replacement_) return append_utf8(out, c);
      if (!(drop_leading && i == 0)) out += ' ';
    });
    return out;
  }
  char32_t replacement_;
  bool drop_first_space_;
};

// Subword-nmt style: the end-of-word suffix ("</w>") becomes a space (nothing on the last token).
class BpeDecoder final : public Decoder {
 public:
  explicit BpeDecoder(std::string suffix) : suffix_(std::move(suffix)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    if (suffix_.empty()) return;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      std::string& t = tokens[i];
      const std::string with = i + 1 == tokens.size() ? "" : " ";
      for (std::size_t pos = 0; (pos = t.find(suffix_, pos)) != std::string::npos; pos += with.size())
        t.replace(pos, suffix_.size(), with);
    }
  }

 private:
  std::string suffix_;
};

class ReplaceDecoder final : public Decoder {
 public:
  ReplaceDecoder(Regex pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::string& t : tokens) {
      const std::vector<Span> found = pattern_.find_all(t);
      if (found.empty()) continue;
      std::string out;
      std::size_t last = 0;
      for (const Span& f : found) {
        out.append(t, last, f.begin - last).append(content_);
        last = f.end;
      }
      out.append(t, last);
      t.swap(out);
    }
  }

 private:
  Regex pattern_;
  std::string content_;
};

// Runs of "<0xXX>" pieces become the text they encode; a run that is not valid UTF-8 gives one
// U+FFFD per byte, as the reference does.
class ByteFallbackDecoder final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    std::string bytes;
    std::size_t byte_count = 0;
    const auto flush = [&] {
      if (byte_count == 0) return;
      if (is_valid_utf8(bytes)) {
        out.push_back(bytes);
      } else {
        for (std::size_t k = 0; k < byte_count; ++k) out.emplace_back("\xEF\xBF\xBD");
      }
      bytes.clear();
      byte_count = 0;
    };
    for (std::string& t : tokens) {
      if (const auto b = parse_byte_token(t)) {
        bytes += static_cast<char>(*b);
        ++byte_count;
        continue;
      }
      flush();
      out.push_back(std::move(t));
    }
    flush();
    tokens.swap(out);
  }
  void display(std::string& piece) const override {
    const auto b = parse_byte_token(piece);
    if (b && *b < 0x80) piece = std::string(1, static_cast<char>(*b));  // a lone high byte keeps its name
  }
};

class FuseDecoder final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string all;
    for (const std::string& t : tokens) all += t;
    tokens.assign(1, std::move(all));
  }
  void display(std::string&) const override {}
};

// Removes up to `start` leading and `stop` trailing copies of one character from every token.
class StripDecoder final : public Decoder {
 public:
  StripDecoder(char32_t content, std::size_t start, std::size_t stop)
      : content_(content), start_(start), stop_(stop) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::string& t : tokens) {
      std::u32string chars;
      for_each_char(t, [&](char32_t c, std::size_t, std::size_t) { chars += c; });
      std::size_t begin = 0, end = chars.size();
      while (begin < start_ && begin < end && chars[begin] == content_) ++begin;
      while (chars.size() - end < stop_ && end > begin && chars[end - 1] == content_) --end;
      std::string out;
      for (std::size_t k = begin; k < end; ++k) append_utf8(out, chars[k]);
      t.swap(out);
    }
  }
  void display(std::string&) const override {}

 private:
  char32_t content_;
  std::size_t start_, stop_;
};

class SequenceDecoder final : public Decoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> parts) : parts_(std::move(parts)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (const auto& p : parts_) p->decode_chain(tokens);
  }
  void display(std::string& piece) const override {
    for (const auto& p : parts_) p->display(piece);
  }

 private:
  std::vector<std::unique_ptr<Decoder>> parts_;
};

Result<char32_t> get_single_char(const Json& j, std::string_view key, const std::string& path) {
  TL_TOK_TRY(s, get_string(j, key, path));
  std::size_t len = 0;
  const char32_t c = s.empty() ? 0 : decode_utf8(s, 0, len);
  if (s.empty() || len != s.size()) return field_error(field_path(path, key), "expected a single character");
  return c;
}

}  // namespace

static Result<std::unique_ptr<Decoder>> parse_decoder_at(const Json& j, const std::string& path, int depth) {
  if (depth > kMaxNesting) return too_deep(path);
  using Ptr = std::unique_ptr<Decoder>;
  TL_TOK_TRY(type, get_type(j, path));
  if (type == "ByteLevel") return Ptr(std::make_unique<ByteLevelDecoder>());
  if (type == "WordPiece") {
    TL_TOK_TRY(prefix, get_optional_string(j, "prefix", path));
    TL_TOK_TRY(cleanup, get_bool(j, "cleanup", true, path));
    return Ptr(std::make_unique<WordPieceDecoder>(prefix.value_or("##"), cleanup));
  }
  if (type == "Metaspace") {
    TL_TOK_TRY(replacement, get_single_char(j, "replacement", path));
    TL_TOK_TRY(add_prefix_space, get_bool(j, "add_prefix_space", true, path));
    TL_TOK_TRY(scheme, get_optional_string(j, "prepend_scheme", path));
    const bool drop_first = scheme ? *scheme != "never" : add_prefix_space;
    return Ptr(std::make_unique<MetaspaceDecoder>(replacement, drop_first));
  }
  if (type == "BPEDecoder") {
    TL_TOK_TRY(suffix, get_optional_string(j, "suffix", path));
    return Ptr(std::make_unique<BpeDecoder>(suffix.value_or("</w>")));
  }
  if (type == "Replace") {
    TL_TOK_TRY(pattern, get_pattern(j, "pattern", path));
    TL_TOK_TRY(content, get_string(j, "content", path));
    return Ptr(std::make_unique<ReplaceDecoder>(std::move(pattern), std::move(content)));
  }
  if (type == "ByteFallback") return Ptr(std::make_unique<ByteFallbackDecoder>());
  if (type == "Fuse") return Ptr(std::make_unique<FuseDecoder>());
  if (type == "Strip") {
    TL_TOK_TRY(content, get_single_char(j, "content", path));
    TL_TOK_TRY(start, get_int(j, "start", 0, path));
    TL_TOK_TRY(stop, get_int(j, "stop", 0, path));
    if (start < 0 || stop < 0) return field_error(path, "start and stop must not be negative");
    return Ptr(std::make_unique<StripDecoder>(content, static_cast<std::size_t>(start),
                                              static_cast<std::size_t>(stop)));
  }
  if (type == "Sequence") {
    const std::string list_path = field_path(path, "decoders");
    const Json* list = find_field(j, "decoders");
    if (!list || !list->is_array()) return field_error(list_path, "expected an array");
    std::vector<Ptr> parts;
    for (std::size_t i = 0; i < list->size(); ++i) {
      TL_TOK_TRY(part, parse_decoder_at((*list)[i], index_path(list_path, i), depth + 1));
      parts.push_back(std::move(part));
    }
    return Ptr(std::make_unique<SequenceDecoder>(std::move(parts)));
  }
  return unknown_type(path, type, "decoder");
}

Result<std::unique_ptr<Decoder>> parse_decoder(const Json& j, const std::string& path) {
  return parse_decoder_at(j, path, 0);
}

std::unique_ptr<Decoder> make_byte_level_decoder() { return std::make_unique<ByteLevelDecoder>(); }
std::unique_ptr<Decoder> make_wordpiece_decoder(std::string prefix) {
  return std::make_unique<WordPieceDecoder>(std::move(prefix), true);
}

}  // namespace tl::tok
