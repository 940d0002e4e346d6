// Building a Tokenizer: tokenizer.json, the vocab.json + merges.txt and vocab.txt fallbacks, the
// embedded default, and the special token ids (special_tokens_map.json when present, else the
// usual spellings).
#include <chrono>
#include <fstream>
#include <sstream>

#include "core/io/file_util.h"
#include "core/io/json_util.h"
#include "core/model/embedded_model.h"
#include "core/tokenizer/regex.h"
#include "core/tokenizer/tokenizer_impl.h"

namespace tl {

namespace fs = std::filesystem;
using tok::Json;

namespace {

Result<std::vector<tok::AddedToken>> parse_added_tokens(const Json& j, const tok::Model& model) {
  std::vector<tok::AddedToken> out;
  const Json* list = tok::find_field(j, "added_tokens");
  if (!list) return out;
  if (!list->is_array()) return tok::field_error("added_tokens", "expected an array");
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string path = tok::index_path("added_tokens", i);
    const Json& t = (*list)[i];
    tok::AddedToken a;
    TL_TOK_TRY(content, tok::get_string(t, "content", path));
    if (content.empty()) return tok::field_error(tok::field_path(path, "content"), "empty");
    TL_TOK_TRY(id, tok::get_int(t, "id", -1, path));
    TL_TOK_TRY(special, tok::get_bool(t, "special", false, path));
    TL_TOK_TRY(normalized, tok::get_bool(t, "normalized", !special, path));
    TL_TOK_TRY(single_word, tok::get_bool(t, "single_word", false, path));
    TL_TOK_TRY(lstrip, tok::get_bool(t, "lstrip", false, path));
    TL_TOK_TRY(rstrip, tok::get_bool(t, "rstrip", false, path));
    // As in the reference, a token the model already knows keeps the model's id.
    const std::optional<int> model_id = model.vocab().find(content);
    if (!model_id && (id < 0 || id > tok::kMaxTokenId))
      return tok::field_error(tok::field_path(path, "id"), "missing or out of range");
    a.content = std::move(content);
    a.id = model_id.value_or(static_cast<int>(id));
    a.special = special;
    a.normalized = normalized;
    a.single_word = single_word;
    a.lstrip = lstrip;
    a.rstrip = rstrip;
    out.push_back(std::move(a));
  }
  return out;
}

template <class T>
Status parse_optional_component(const Json& j, const char* key, std::unique_ptr<T>& out,
                                Result<std::unique_ptr<T>> (*parse)(const Json&, const std::string&)) {
  const Json* v = tok::find_field(j, key);
  if (!v) return {};
  auto parsed = parse(*v, key);
  if (!parsed) return parsed.error();
  out = std::move(parsed.value());
  return {};
}

int first_known(const Tokenizer::Impl& impl, std::initializer_list<std::string_view> names) {
  for (std::string_view n : names)
    if (const auto id = impl.find_id(n)) return *id;
  return -1;
}

// The usual spellings, for tokenizer.json files that come without special_tokens_map.json.
void guess_special_ids(Tokenizer::Impl& impl) {
  SpecialIds& s = impl.special;
  s.unk = impl.model->unk_id().value_or(first_known(impl, {"<unk>", "[UNK]"}));
  s.bos = first_known(impl, {"<s>", "<|begin_of_text|>", "<|startoftext|>", "<bos>", "<|endoftext|>"});
  s.eos = first_known(impl, {"</s>", "<|end_of_text|>", "<|endoftext|>", "<eos>"});
  s.pad = first_known(impl, {"[PAD]", "<pad>", "<|padding|>"});
  s.mask = first_known(impl, {"[MASK]", "<mask>"});
  s.cls = first_known(impl, {"[CLS]"});
  s.sep = first_known(impl, {"[SEP]"});
  if (s.cls < 0 && s.sep < 0 && first_known(impl, {"<mask>"}) >= 0) {  // RoBERTa: <s> A </s>
    s.cls = s.bos;
    s.sep = s.eos;
  }
}

// special_tokens_map.json: {"bos_token": "<s>" or {"content": "<s>", ...}, ...}.
Status apply_special_tokens_map(Tokenizer::Impl& impl, std::string_view text, const std::string& source) {
  auto j_parsed = parse_json(text, source);
  if (!j_parsed) return j_parsed.error();
  const Json& j = j_parsed.value();
  if (!j.is_object()) return make_error(source + ": expected an object");
  const std::pair<const char*, int*> fields[] = {
      {"bos_token", &impl.special.bos}, {"eos_token", &impl.special.eos},   {"unk_token", &impl.special.unk},
      {"pad_token", &impl.special.pad}, {"mask_token", &impl.special.mask}, {"cls_token", &impl.special.cls},
      {"sep_token", &impl.special.sep}};
  for (const auto& [key, target] : fields) {
    const Json* v = tok::find_field(j, key);
    if (!v) continue;
    const Json* content = v->is_object() ? tok::find_field(*v, "content") : v;
    if (!content || !content->is_string())
      return make_error(source + ": " + key + ": expected a token string");
    if (const auto id = impl.find_id(content->get<std::string>())) *target = *id;
  }
  return {};
}

Result<Tokenizer> finish(std::shared_ptr<Tokenizer::Impl> impl) {
  return Tokenizer(std::shared_ptr<const Tokenizer::Impl>(std::move(impl)));
}

Result<std::shared_ptr<Tokenizer::Impl>> parse_tokenizer_json(const Json& j) {
  if (!j.is_object()) return make_error("expected a JSON object");
  auto impl = std::make_shared<Tokenizer::Impl>();
  const Json* model = tok::find_field(j, "model");
  if (!model) return tok::field_error("model", "missing");
  TL_TOK_TRY(parsed_model, tok::parse_model(*model, "model"));
  impl->model = std::move(parsed_model);
  if (Status s = parse_optional_component(j, "normalizer", impl->normalizer, &tok::parse_normalizer); !s)
    return s.error();
  if (Status s = parse_optional_component(j, "pre_tokenizer", impl->pre_tokenizer, &tok::parse_pre_tokenizer);
      !s)
    return s.error();
  if (Status s =
          parse_optional_component(j, "post_processor", impl->post_processor, &tok::parse_post_processor);
      !s)
    return s.error();
  if (Status s = parse_optional_component(j, "decoder", impl->decoder, &tok::parse_decoder); !s)
    return s.error();
  TL_TOK_TRY(added, parse_added_tokens(j, *impl->model));
  impl->added = tok::AddedVocabulary(std::move(added), impl->normalizer.get());
  guess_special_ids(*impl);
  return impl;
}

// "" when the file is absent; an error when it exists but is not a readable regular file.
Result<std::string> read_optional(const fs::path& path) {
  auto exists = path_exists(path);
  if (!exists) return exists.error();
  if (!exists.value()) return std::string();
  return read_text_file(path);
}

// Settings a folder's tokenizer_config.json may carry for the fallbacks (defaults otherwise).
struct FolderConfig {
  bool lowercase = true;
  std::optional<bool> strip_accents;
  bool chinese_chars = true;
  bool add_prefix_space = false;
};

Result<FolderConfig> read_folder_config(const fs::path& dir) {
  FolderConfig c;
  TL_TOK_TRY(text, read_optional(dir / "tokenizer_config.json"));
  if (text.empty()) return c;
  const std::string source = (dir / "tokenizer_config.json").string();
  auto j_parsed = parse_json(text, source);
  if (!j_parsed) return j_parsed.error();
  const Json& j = j_parsed.value();
  const auto fail = [&](const Error& e) { return make_error(source + ": " + e.message); };
  auto lower = tok::get_bool(j, "do_lower_case", true, "");
  auto strip = tok::get_optional_bool(j, "strip_accents", "");
  auto chinese = tok::get_bool(j, "tokenize_chinese_chars", true, "");
  auto prefix = tok::get_bool(j, "add_prefix_space", false, "");
  if (!lower) return fail(lower.error());
  if (!strip) return fail(strip.error());
  if (!chinese) return fail(chinese.error());
  if (!prefix) return fail(prefix.error());
  c.lowercase = *lower;
  c.strip_accents = *strip;
  c.chinese_chars = *chinese;
  c.add_prefix_space = *prefix;
  return c;
}

// GPT-2 style byte-level BPE from vocab.json + merges.txt (what GPT2Converter builds).
Result<std::shared_ptr<Tokenizer::Impl>> load_vocab_json_merges(const fs::path& dir,
                                                                const FolderConfig& config) {
  const std::string vocab_source = (dir / "vocab.json").string(),
                    merges_source = (dir / "merges.txt").string();
  TL_TOK_TRY(vocab_text, read_text_file(dir / "vocab.json"));
  TL_TOK_TRY(merges_text, read_text_file(dir / "merges.txt"));
  auto vocab_json_parsed = parse_json(vocab_text, vocab_source);
  if (!vocab_json_parsed) return vocab_json_parsed.error();
  const Json& vocab_json = vocab_json_parsed.value();
  auto vocab = tok::Vocab::from_json(vocab_json, "vocab");
  if (!vocab) return make_error(vocab_source + ": " + vocab.error().message);
  tok::MergeList merges;
  std::istringstream lines(merges_text);
  std::size_t line_number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line.rfind("#version", 0) == 0) continue;
    const std::size_t space = line.find(' ');
    if (space == std::string::npos || line.find(' ', space + 1) != std::string::npos)
      return make_error(merges_source + ": line " + std::to_string(line_number) +
                        ": expected \"left right\"");
    merges.emplace_back(line.substr(0, space), line.substr(space + 1));
  }
  auto impl = std::make_shared<Tokenizer::Impl>();
  auto model = tok::make_bpe(std::move(vocab.value()), merges, tok::BpeOptions{}, "merges");
  if (!model) return make_error(merges_source + ": " + model.error().message);
  impl->model = std::move(model.value());
  impl->pre_tokenizer = tok::make_byte_level_pre_tokenizer(config.add_prefix_space);
  impl->post_processor = tok::make_byte_level_post_processor(config.add_prefix_space, /*trim_offsets=*/false);
  impl->decoder = tok::make_byte_level_decoder();
  std::vector<tok::AddedToken> added;
  if (const auto eot = impl->model->vocab().find("<|endoftext|>"))
    added.push_back({"<|endoftext|>", *eot, false, false, false, true, true});
  impl->added = tok::AddedVocabulary(std::move(added), nullptr);
  guess_special_ids(*impl);
  return impl;
}

// BERT WordPiece from vocab.txt (what BertConverter builds), one piece per line, id = line number.
Result<std::shared_ptr<Tokenizer::Impl>> load_vocab_txt(const fs::path& dir, const FolderConfig& config) {
  TL_TOK_TRY(text, read_text_file(dir / "vocab.txt"));
  tok::Vocab vocab;
  std::istringstream lines(text);
  int id = 0;
  for (std::string line; std::getline(lines, line); ++id) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
      line.pop_back();
    vocab.add(line, id);
  }
  if (vocab.count() == 0) return make_error((dir / "vocab.txt").string() + ": empty vocabulary");
  auto impl = std::make_shared<Tokenizer::Impl>();
  std::vector<tok::AddedToken> added;
  for (const char* name : {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"})
    if (const auto found = vocab.find(name))
      added.push_back({name, *found, false, false, false, false, true});
  const std::optional<int> cls = vocab.find("[CLS]"), sep = vocab.find("[SEP]");
  auto model = tok::make_wordpiece(std::move(vocab), "[UNK]", "##", 100, "vocab.txt");
  if (!model) return make_error((dir / "vocab.txt").string() + ": " + model.error().message);
  impl->model = std::move(model.value());
  impl->normalizer = tok::make_bert_normalizer(
      config.lowercase, config.strip_accents.value_or(config.lowercase), config.chinese_chars);
  impl->pre_tokenizer = tok::make_bert_pre_tokenizer();
  if (cls && sep) impl->post_processor = tok::make_bert_post_processor({"[CLS]", *cls}, {"[SEP]", *sep});
  impl->decoder = tok::make_wordpiece_decoder("##");
  impl->added = tok::AddedVocabulary(std::move(added), impl->normalizer.get());
  guess_special_ids(*impl);
  return impl;
}

Result<std::shared_ptr<Tokenizer::Impl>> impl_from_json(std::string_view text, const std::string& source) {
  auto j_parsed = parse_json(text, source);
  if (!j_parsed) return j_parsed.error();
  const Json& j = j_parsed.value();
  try {
    // Regexes run at load too (the normalizer on added tokens): 2 s plus 1 us per byte of the file.
    tok::RegexBudget budget(std::chrono::steady_clock::now() + std::chrono::seconds(2) +
                            std::chrono::microseconds(text.size()));
    auto impl = parse_tokenizer_json(j);
    if (!impl) return make_error(source + ": " + impl.error().message);
    impl.value()->source = source;
    return impl;
  } catch (const Json::exception& e) {  // a shape the checked accessors did not anticipate
    return make_error(source + ": " + printable(e.what()));
  } catch (const std::bad_alloc&) {
    return make_error(source + ": out of memory while building the tokenizer");
  } catch (const tok::RegexError& e) {  // the normalizer's regex on an added token
    return make_error(source + ": " + e.what());
  }
}

}  // namespace

Result<Tokenizer> Tokenizer::from_json(std::string_view tokenizer_json, std::string_view source_name) {
  TL_TOK_TRY(impl, impl_from_json(tokenizer_json, std::string(source_name)));
  return finish(std::move(impl));
}

Result<Tokenizer> Tokenizer::from_file(const fs::path& tokenizer_json) {
  TL_TOK_TRY(text, read_text_file(tokenizer_json));
  return from_json(text, tokenizer_json.string());
}

Result<Tokenizer> Tokenizer::from_dir(const fs::path& dir) {
  std::error_code ec;
  if (fs::is_regular_file(dir, ec)) return from_file(dir);
  if (Status st = check_folder(dir); !st) return st.error();
  std::shared_ptr<Impl> impl;
  // A name that exists counts, whatever it is: reading it then says why it is not usable (a FIFO, a
  // folder, a symlink loop), instead of falling through to "no tokenizer.json".
  std::optional<Error> stat_error;
  const auto exists = [&](const char* name) {
    auto e = path_exists(dir / name);
    if (!e) {
      if (!stat_error) stat_error = e.error();
      return false;
    }
    return e.value();
  };
  if (!exists("tokenizer.json") && stat_error) return *stat_error;
  if (exists("tokenizer.json")) {
    TL_TOK_TRY(text, read_text_file(dir / "tokenizer.json"));
    TL_TOK_TRY(parsed, impl_from_json(text, (dir / "tokenizer.json").string()));
    impl = std::move(parsed);
  } else if (exists("vocab.json") && exists("merges.txt")) {
    TL_TOK_TRY(config, read_folder_config(dir));
    TL_TOK_TRY(parsed, load_vocab_json_merges(dir, config));
    impl = std::move(parsed);
  } else if (exists("vocab.txt")) {
    TL_TOK_TRY(config, read_folder_config(dir));
    TL_TOK_TRY(parsed, load_vocab_txt(dir, config));
    impl = std::move(parsed);
  } else {
    if (stat_error) return *stat_error;  // e.g. vocab.txt is a symlink loop: say so, not "missing"
    return make_error(dir.string() + ": no tokenizer.json, vocab.json + merges.txt or vocab.txt");
  }
  if (impl->source.empty()) impl->source = dir.string();
  TL_TOK_TRY(map, read_optional(dir / "special_tokens_map.json"));
  if (!map.empty())
    if (Status s = apply_special_tokens_map(*impl, map, (dir / "special_tokens_map.json").string()); !s)
      return s.error();
  return finish(std::move(impl));
}

Result<Tokenizer> Tokenizer::embedded() {
  const auto bytes = resources::default_model_file("tokenizer.json");
  if (bytes.empty()) return make_error("embedded tokenizer.json: missing from the binary");
  const auto as_text = [](std::span<const unsigned char> b) {
    return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
  };
  TL_TOK_TRY(impl, impl_from_json(as_text(bytes), "embedded tokenizer.json"));
  const auto map = resources::default_model_file("special_tokens_map.json");
  if (!map.empty())
    if (Status s = apply_special_tokens_map(*impl, as_text(map), "embedded special_tokens_map.json"); !s)
      return s.error();
  return finish(std::move(impl));
}

}  // namespace tl
