#include "core/tokenizer/post_processors.h"

#include <unordered_map>

#include "core/tokenizer/unicode.h"

namespace tl::tok {

namespace {

void append_token(Encoding& out, int id, const std::string& token, std::pair<std::size_t, std::size_t> span,
                  int sequence, int type_id, bool special) {
  out.ids.push_back(id);
  out.tokens.push_back(token);
  out.spans.push_back(span);
  out.sequence.push_back(sequence);
  out.type_ids.push_back(type_id);
  out.special.push_back(special);
}

void append_special(Encoding& out, const SpecialTokenRef& t, std::size_t position, int type_id) {
  append_token(out, t.id, t.token, {position, position}, -1, type_id, true);
}

void append_encoding(Encoding& out, const Encoding& e, std::optional<int> type_id) {
  for (std::size_t i = 0; i < e.size(); ++i)
    append_token(out, e.ids[i], e.tokens[i], e.spans[i], e.sequence[i], type_id.value_or(e.type_ids[i]),
                 e.special[i]);
}

// Byte-level tokens carry their leading space ("Ġthe"); trimming moves the span past it. A lone
// prefix space on the first token stays when the pre-tokenizer added it.
void trim_byte_level_offsets(Encoding& e, bool add_prefix_space) {
  const auto is_space = [](char32_t c) { return c == byte_to_char(' ') || is_whitespace(c); };
  for (std::size_t i = 0; i < e.size(); ++i) {
    if (e.special[i] && e.sequence[i] < 0) continue;
    const std::string& token = e.tokens[i];
    std::vector<char32_t> chars;
    for_each_char(token, [&](char32_t c, std::size_t, std::size_t) { chars.push_back(c); });
    std::size_t leading = 0, trailing = 0;
    while (leading < chars.size() && is_space(chars[leading])) ++leading;
    while (trailing < chars.size() && is_space(chars[chars.size() - 1 - trailing])) ++trailing;
    auto& [begin, end] = e.spans[i];
    if (leading > 0) {
      const bool is_first = i == 0 || begin == 0;
      if (is_first && add_prefix_space && leading == 1) leading = 0;
      begin = std::min(begin + leading, end);
    }
    if (trailing > 0 && end >= trailing) end = std::max(end - trailing, begin);
  }
}

void set_sequence(std::vector<SeqEncoding>& encodings) {
  for (std::size_t k = 0; k < encodings.size(); ++k)
    for (int& s : encodings[k].enc.sequence)
      if (s >= 0) s = static_cast<int>(k);
}

class TemplateProcessing final : public PostProcessor {
 public:
  struct Item {
    bool is_sequence = false;
    std::size_t sequence = 0;  // 0 = $A, 1 = $B
    std::string special;       // key into special_tokens
    int type_id = 0;
  };
  struct Special {
    std::vector<int> ids;
    std::vector<std::string> tokens;
  };

  TemplateProcessing(std::vector<Item> single, std::vector<Item> pair,
                     std::unordered_map<std::string, Special> specials)
      : single_(std::move(single)), pair_(std::move(pair)), specials_(std::move(specials)) {}

  void process(std::vector<SeqEncoding>& encodings, bool add_special_tokens) const override {
    const std::vector<Item>& items = encodings.size() >= 2 ? pair_ : single_;
    SeqEncoding out;
    std::size_t position = 0;
    for (const Item& item : items) {
      if (item.is_sequence) {
        if (item.sequence >= encodings.size()) continue;
        append_encoding(out.enc, encodings[item.sequence].enc, item.type_id);
        position = encodings[item.sequence].text_size;
      } else if (add_special_tokens) {
        const Special& s = specials_.at(item.special);
        for (std::size_t k = 0; k < s.ids.size(); ++k)
          append_special(out.enc, {s.tokens[k], s.ids[k]}, position, item.type_id);
      }
    }
    out.text_size = position;
    encodings.assign(1, std::move(out));
  }

 private:
  std::vector<Item> single_, pair_;
  std::unordered_map<std::string, Special> specials_;
};

class BertProcessing final : public PostProcessor {
 public:
  BertProcessing(SpecialTokenRef cls, SpecialTokenRef sep) : cls_(std::move(cls)), sep_(std::move(sep)) {}
  void process(std::vector<SeqEncoding>& encodings, bool add_special_tokens) const override {
    set_sequence(encodings);
    if (!add_special_tokens) return;
    SeqEncoding out;
    append_special(out.enc, cls_, 0, 0);
    append_encoding(out.enc, encodings[0].enc, std::nullopt);
    append_special(out.enc, sep_, encodings[0].text_size, 0);
    if (encodings.size() >= 2) {
      append_encoding(out.enc, encodings[1].enc, std::nullopt);
      append_special(out.enc, sep_, encodings[1].text_size, 1);
    }
    encodings.assign(1, std::move(out));
  }

 private:
  SpecialTokenRef cls_, sep_;
};

class RobertaProcessing final : public PostProcessor {
 public:
  RobertaProcessing(SpecialTokenRef cls, SpecialTokenRef sep, bool trim_offsets, bool add_prefix_space)
      : cls_(std::move(cls)),
        sep_(std::move(sep)),
        trim_offsets_(trim_offsets),
        add_prefix_space_(add_prefix_space) {}
  void process(std::vector<SeqEncoding>& encodings, bool add_special_tokens) const override {
    set_sequence(encodings);
    if (trim_offsets_)
      for (SeqEncoding& e : encodings) trim_byte_level_offsets(e.enc, add_prefix_space_);
    if (!add_special_tokens) return;
    // RoBERTa has a single segment: every type id is 0, also for a pair.
    SeqEncoding out;
    append_special(out.enc, cls_, 0, 0);
    append_encoding(out.enc, encodings[0].enc, 0);
    append_special(out.enc, sep_, encodings[0].text_size, 0);
    if (encodings.size() >= 2) {
      append_special(out.enc, sep_, encodings[0].text_size, 0);
      append_encoding(out.enc, encodings[1].enc, 0);
      append_special(out.enc, sep_, encodings[1].text_size, 0);
    }
    encodings.assign(1, std::move(out));
  }

 private:
  SpecialTokenRef cls_, sep_;
  bool trim_offsets_, add_prefix_space_;
};

class ByteLevelProcessing final : public PostProcessor {
 public:
  ByteLevelProcessing(bool add_prefix_space, bool trim_offsets)
      : add_prefix_space_(add_prefix_space), trim_offsets_(trim_offsets) {}
  void process(std::vector<SeqEncoding>& encodings, bool) const override {
    if (trim_offsets_)
      for (SeqEncoding& e : encodings) trim_byte_level_offsets(e.enc, add_prefix_space_);
    set_sequence(encodings);
  }

 private:
  bool add_prefix_space_, trim_offsets_;
};

class SequenceProcessing final : public PostProcessor {
 public:
  explicit SequenceProcessing(std::vector<std::unique_ptr<PostProcessor>> parts) : parts_(std::move(parts)) {}
  void process(std::vector<SeqEncoding>& encodings, bool add_special_tokens) const override {
    for (const auto& p : parts_) p->process(encodings, add_special_tokens);
  }

 private:
  std::vector<std::unique_ptr<PostProcessor>> parts_;
};

// ["[SEP]", 102]
Result<SpecialTokenRef> get_token_ref(const Json& j, std::string_view key, const std::string& path) {
  const std::string p = field_path(path, key);
  const Json* v = find_field(j, key);
  if (!v || !v->is_array() || v->size() != 2 || !(*v)[0].is_string() || !(*v)[1].is_number_integer())
    return field_error(p, "expected [\"token\", id]");
  const std::int64_t id = (*v)[1].get<std::int64_t>();
  if (id < 0 || id > kMaxTokenId) return field_error(p, "id out of range");
  return SpecialTokenRef{(*v)[0].get<std::string>(), static_cast<int>(id)};
}

Result<std::unordered_map<std::string, TemplateProcessing::Special>> parse_template_specials(
    const Json& j, const std::string& path) {
  std::unordered_map<std::string, TemplateProcessing::Special> out;
  const Json* map = find_field(j, "special_tokens");
  if (!map) return out;
  const std::string map_path = field_path(path, "special_tokens");
  if (!map->is_object()) return field_error(map_path, "expected an object");
  for (const auto& [key, value] : map->items()) {
    const std::string p = map_path + "[\"" + key + "\"]";
    const Json* ids = find_field(value, "ids");
    const Json* tokens = find_field(value, "tokens");
    if (!ids || !tokens || !ids->is_array() || !tokens->is_array() || ids->size() != tokens->size())
      return field_error(p, "expected ids and tokens arrays of the same length");
    TemplateProcessing::Special s;
    for (std::size_t k = 0; k < ids->size(); ++k) {
      const Json& id = (*ids)[k];
      const Json& token = (*tokens)[k];
      if (!id.is_number_integer() || id.get<std::int64_t>() < 0 || id.get<std::int64_t>() > kMaxTokenId ||
          !token.is_string())
        return field_error(p, "bad id or token at index " + std::to_string(k));
      s.ids.push_back(static_cast<int>(id.get<std::int64_t>()));
      s.tokens.push_back(token.get<std::string>());
    }
    out.emplace(key, std::move(s));
  }
  return out;
}

Result<std::vector<TemplateProcessing::Item>> parse_template(
    const Json& j, std::string_view key, const std::string& path,
    const std::unordered_map<std::string, TemplateProcessing::Special>& specials) {
  const std::string list_path = field_path(path, key);
  const Json* list = find_field(j, key);
  if (!list || !list->is_array()) return field_error(list_path, "expected an array of template pieces");
  std::vector<TemplateProcessing::Item> items;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string p = index_path(list_path, i);
    const Json& piece = (*list)[i];
    TemplateProcessing::Item item;
    const Json* body = nullptr;
    if ((body = find_field(piece, "Sequence"))) {
      item.is_sequence = true;
      TL_TOK_TRY(id, get_string(*body, "id", field_path(p, "Sequence")));
      if (id != "A" && id != "B") return field_error(field_path(p, "Sequence.id"), "expected \"A\" or \"B\"");
      item.sequence = id == "A" ? 0 : 1;
    } else if ((body = find_field(piece, "SpecialToken"))) {
      TL_TOK_TRY(id, get_string(*body, "id", field_path(p, "SpecialToken")));
      if (!specials.count(id))
        return field_error(field_path(p, "SpecialToken.id"), "'" + id + "' is not in special_tokens");
      item.special = id;
    } else {
      return field_error(p, "expected {\"Sequence\": ...} or {\"SpecialToken\": ...}");
    }
    TL_TOK_TRY(type_id, get_int(*body, "type_id", 0, p));
    if (type_id < 0 || type_id > 255) return field_error(field_path(p, "type_id"), "out of range");
    item.type_id = static_cast<int>(type_id);
    items.push_back(std::move(item));
  }
  return items;
}

}  // namespace

static Result<std::unique_ptr<PostProcessor>> parse_post_processor_at(const Json& j, const std::string& path,
                                                                      int depth) {
  if (depth > kMaxNesting) return too_deep(path);
  using Ptr = std::unique_ptr<PostProcessor>;
  TL_TOK_TRY(type, get_type(j, path));
  if (type == "TemplateProcessing") {
    TL_TOK_TRY(specials, parse_template_specials(j, path));
    TL_TOK_TRY(single, parse_template(j, "single", path, specials));
    TL_TOK_TRY(pair, parse_template(j, "pair", path, specials));
    // As the reference requires: single uses $A only, pair uses both (else a text would vanish).
    const auto uses = [](const std::vector<TemplateProcessing::Item>& items, std::size_t sequence) {
      for (const auto& item : items)
        if (item.is_sequence && item.sequence == sequence) return true;
      return false;
    };
    if (!uses(single, 0) || uses(single, 1))
      return field_error(field_path(path, "single"), "must use $A and not $B");
    if (!uses(pair, 0) || !uses(pair, 1))
      return field_error(field_path(path, "pair"), "must use both $A and $B");
    return Ptr(std::make_unique<TemplateProcessing>(std::move(single), std::move(pair), std::move(specials)));
  }
  if (type == "BertProcessing") {
    TL_TOK_TRY(sep, get_token_ref(j, "sep", path));
    TL_TOK_TRY(cls, get_token_ref(j, "cls", path));
    return Ptr(std::make_unique<BertProcessing>(std::move(cls), std::move(sep)));
  }
  if (type == "RobertaProcessing") {
    TL_TOK_TRY(sep, get_token_ref(j, "sep", path));
    TL_TOK_TRY(cls, get_token_ref(j, "cls", path));
    TL_TOK_TRY(trim, get_bool(j, "trim_offsets", true, path));
    TL_TOK_TRY(prefix, get_bool(j, "add_prefix_space", true, path));
    return Ptr(std::make_unique<RobertaProcessing>(std::move(cls), std::move(sep), trim, prefix));
  }
  if (type == "ByteLevel") {
    TL_TOK_TRY(trim, get_bool(j, "trim_offsets", true, path));
    TL_TOK_TRY(prefix, get_bool(j, "add_prefix_space", true, path));
    return Ptr(std::make_unique<ByteLevelProcessing>(prefix, trim));
  }
  if (type == "Sequence") {
    const std::string list_path = field_path(path, "processors");
    const Json* list = find_field(j, "processors");
    if (!list || !list->is_array()) return field_error(list_path, "expected an array");
    std::vector<Ptr> parts;
    for (std::size_t i = 0; i < list->size(); ++i) {
      TL_TOK_TRY(part, parse_post_processor_at((*list)[i], index_path(list_path, i), depth + 1));
      parts.push_back(std::move(part));
    }
    return Ptr(std::make_unique<SequenceProcessing>(std::move(parts)));
  }
  return unknown_type(path, type, "post_processor");
}

Result<std::unique_ptr<PostProcessor>> parse_post_processor(const Json& j, const std::string& path) {
  return parse_post_processor_at(j, path, 0);
}

std::unique_ptr<PostProcessor> make_bert_post_processor(SpecialTokenRef cls, SpecialTokenRef sep) {
  return std::make_unique<BertProcessing>(std::move(cls), std::move(sep));
}

std::unique_ptr<PostProcessor> make_byte_level_post_processor(bool add_prefix_space, bool trim_offsets) {
  return std::make_unique<ByteLevelProcessing>(add_prefix_space, trim_offsets);
}

}  // namespace tl::tok
