// Encoding and decoding with a loaded tokenizer (the pipeline in tokenizer_impl.h).
#include <algorithm>
#include <chrono>

#include "core/tokenizer/regex.h"
#include "core/tokenizer/tokenizer_impl.h"

namespace tl {

namespace {

void push_token(Encoding& e, int id, std::string token, tok::Span span, int sequence, int type_id,
                bool special) {
  e.ids.push_back(id);
  e.tokens.push_back(std::move(token));
  e.spans.emplace_back(span.begin, span.end);
  e.sequence.push_back(sequence);
  e.type_ids.push_back(type_id);
  e.special.push_back(special);
}

}  // namespace

Encoding Tokenizer::Impl::encode_sequence(std::string_view text, int sequence, int type_id) const {
  const tok::NormalizedString input = tok::NormalizedString::from_original(text);
  std::vector<tok::Piece> pieces = added.extract_and_normalize(normalizer.get(), input);
  if (pre_tokenizer) pre_tokenizer->pre_tokenize(pieces);
  Encoding e;
  std::vector<tok::ModelToken> word;
  for (const tok::Piece& p : pieces) {
    if (p.added_id >= 0) {
      const tok::AddedToken* t = added.by_id(p.added_id);
      push_token(e, p.added_id, t->content, p.text.original_span(), sequence, type_id, t->special);
      continue;
    }
    word.clear();
    model->tokenize(p.text.str(), word);
    for (const tok::ModelToken& m : word) {
      const std::string* piece = model->vocab().piece(m.id);
      push_token(e, m.id, piece ? *piece : std::string(), p.text.original_span(m.begin, m.end), sequence,
                 type_id, false);
    }
  }
  return e;
}

Encoding Tokenizer::Impl::post_process(std::vector<tok::SeqEncoding> encodings,
                                       bool add_special_tokens) const {
  if (post_processor) post_processor->process(encodings, add_special_tokens);
  Encoding out = std::move(encodings.front().enc);
  for (std::size_t k = 1; k < encodings.size(); ++k) {
    const Encoding& e = encodings[k].enc;
    out.ids.insert(out.ids.end(), e.ids.begin(), e.ids.end());
    out.tokens.insert(out.tokens.end(), e.tokens.begin(), e.tokens.end());
    out.spans.insert(out.spans.end(), e.spans.begin(), e.spans.end());
    out.sequence.insert(out.sequence.end(), e.sequence.begin(), e.sequence.end());
    out.type_ids.insert(out.type_ids.end(), e.type_ids.begin(), e.type_ids.end());
    out.special.insert(out.special.end(), e.special.begin(), e.special.end());
  }
  return out;
}

std::optional<int> Tokenizer::Impl::find_id(std::string_view token) const {
  if (const tok::AddedToken* t = added.by_content(token)) return t->id;
  return model->vocab().find(token);
}

namespace {

std::chrono::steady_clock::time_point encode_deadline(std::size_t bytes) {
  using clock = std::chrono::steady_clock;
  const double seconds = Tokenizer::kEncodeSecondsBase + Tokenizer::kEncodeSecondsPerByte * double(bytes);
  return clock::now() + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(seconds));
}

}  // namespace

Result<Encoding> Tokenizer::encode_pair_checked(std::string_view text, std::string_view text_pair,
                                                bool add_special_tokens, const Progress* progress) const {
  try {
    tok::RegexBudget budget(encode_deadline(text.size() + text_pair.size()), progress);
    std::vector<tok::SeqEncoding> encodings;
    encodings.push_back({impl_->encode_sequence(text, 0, 0), text.size()});
    encodings.push_back({impl_->encode_sequence(text_pair, 1, 1), text_pair.size()});
    return impl_->post_process(std::move(encodings), add_special_tokens);
  } catch (const tok::RegexError& e) {
    return make_error(impl_->source + ": " + e.what());
  }
}

Result<Encoding> Tokenizer::encode_checked(std::string_view text, bool add_special_tokens,
                                           const Progress* progress) const {
  try {
    tok::RegexBudget budget(encode_deadline(text.size()), progress);
    std::vector<tok::SeqEncoding> encodings;
    encodings.push_back({impl_->encode_sequence(text, 0, 0), text.size()});
    return impl_->post_process(std::move(encodings), add_special_tokens);
  } catch (const tok::RegexError& e) {
    return make_error(impl_->source + ": " + e.what());
  }
}

Encoding Tokenizer::encode(std::string_view text, bool add_special_tokens) const {
  auto e = encode_checked(text, add_special_tokens);
  if (e) return std::move(e.value());
  Encoding failed;
  failed.error = e.error().message;
  return failed;
}

Encoding Tokenizer::encode_pair(std::string_view text, std::string_view text_pair,
                                bool add_special_tokens) const {
  auto e = encode_pair_checked(text, text_pair, add_special_tokens);
  if (e) return std::move(e.value());
  Encoding failed;
  failed.error = e.error().message;
  return failed;
}

std::string Tokenizer::decode(const std::vector<int>& ids, bool skip_special_tokens) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int id : ids) {
    if (const tok::AddedToken* t = impl_->added.by_id(id)) {
      if (!(skip_special_tokens && t->special)) tokens.push_back(t->content);
      continue;
    }
    if (const std::string* piece = impl_->model->vocab().piece(id)) tokens.push_back(*piece);
  }
  if (impl_->decoder) {
    try {
      tok::RegexBudget budget(encode_deadline(0));
      return impl_->decoder->decode(std::move(tokens));
    } catch (const tok::RegexError&) {
      return {};  // a pathological Replace pattern in the decoder: no text rather than a hang
    }
  }
  std::string out;
  for (std::size_t i = 0; i < tokens.size(); ++i) out += (i ? " " : "") + tokens[i];
  return out;
}

int Tokenizer::vocab_size() const {
  int size = impl_->model->vocab().size();
  for (const tok::AddedToken& t : impl_->added.tokens()) size = std::max(size, t.id + 1);
  return size;
}

const std::string& Tokenizer::source() const { return impl_->source; }

std::string Tokenizer::id_to_token(int id) const {
  if (const tok::AddedToken* t = impl_->added.by_id(id)) return t->content;
  const std::string* piece = impl_->model->vocab().piece(id);
  return piece ? *piece : std::string();
}

std::optional<int> Tokenizer::token_to_id(std::string_view token) const { return impl_->find_id(token); }

std::string Tokenizer::display_token(int id) const {
  if (const tok::AddedToken* t = impl_->added.by_id(id)) return t->content;
  const std::string* piece = impl_->model->vocab().piece(id);
  if (!piece) return {};
  std::string text = *piece;
  if (impl_->decoder) {
    try {
      tok::RegexBudget budget(encode_deadline(0));
      impl_->decoder->display(text);
    } catch (const tok::RegexError&) {
      text = *piece;
    }
  }
  return text;
}

int Tokenizer::bos_id() const { return impl_->special.bos; }
int Tokenizer::eos_id() const { return impl_->special.eos; }
int Tokenizer::unk_id() const { return impl_->special.unk; }
int Tokenizer::pad_id() const { return impl_->special.pad; }
int Tokenizer::mask_id() const { return impl_->special.mask; }
int Tokenizer::cls_id() const { return impl_->special.cls; }
int Tokenizer::sep_id() const { return impl_->special.sep; }

bool Tokenizer::is_special(int id) const {
  if (id < 0) return false;
  if (const tok::AddedToken* t = impl_->added.by_id(id); t && t->special) return true;
  const SpecialIds& s = impl_->special;
  return id == s.bos || id == s.eos || id == s.unk || id == s.pad || id == s.mask || id == s.cls ||
         id == s.sep;
}

}  // namespace tl
