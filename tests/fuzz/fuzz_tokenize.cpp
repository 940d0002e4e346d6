// libFuzzer target: tokenization itself with a hostile tokenizer.json. The input is
// "<tokenizer.json>\0<text>[\0<text pair>]" (no NUL: a fixed sentence is tokenized). A tokenizer
// that loads must tokenize the text within its time budget (Tokenizer::encode_checked: an error or
// an encoding, never a hang: scripts/fuzz's 10 s per-input timeout and 2 GB RSS limit apply) and the
// encoding must be consistent: one entry per token in every field, spans inside the text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/tokenizer/tokenizer.h"

namespace {

void check(const tl::Encoding& e, std::size_t text_size) {
  const std::size_t n = e.ids.size();
  if (e.tokens.size() != n || e.spans.size() != n || e.sequence.size() != n || e.type_ids.size() != n ||
      e.special.size() != n)
    std::abort();
  for (const auto& [b, end] : e.spans)
    if (b > end || end > text_size) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::size_t cut = in.find('\0');
  const std::string_view json = in.substr(0, cut);
  std::string_view text = "Once upon a time, there was a little <s> girl.", pair;
  if (cut != std::string_view::npos) {
    text = in.substr(cut + 1);
    if (const std::size_t cut2 = text.find('\0'); cut2 != std::string_view::npos) {
      pair = text.substr(cut2 + 1);
      text = text.substr(0, cut2);
    }
  }
  auto tok = tl::Tokenizer::from_json(json, "fuzz/tokenizer.json");
  if (!tok) return 0;
  if (auto e = tok->encode_checked(text)) {
    if (!e->error.empty()) std::abort();
    check(*e, text.size());
    (void)tok->decode(e->ids);
    (void)tok->decode(e->ids, true);
    for (int id : e->ids) (void)tok->display_token(id);
  }
  if (!pair.empty())
    if (auto e = tok->encode_pair_checked(text, pair)) check(*e, text.size() > pair.size() ? text.size() : pair.size());
  return 0;
}
