// libFuzzer target: tokenizer.json loading (core/tokenizer) on arbitrary text; a tokenizer that
// loads must then encode, pair-encode and decode a fixed set of sentences without crashing.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/tokenizer/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto tok = tl::Tokenizer::from_json(text, "fuzz/tokenizer.json");
  if (!tok) return 0;
  static constexpr std::string_view kSentences[] = {
      "Once upon a time, there was a little girl.",
      "Paris is the [MASK] of France.",
      "",
      "  leading spaces\tand\ttabs\n\nnewlines  ",
      "caf\xc3\xa9 na\xc3\xafve \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xf0\x9f\x98\x80",
      "<s></s><unk><mask><|endoftext|>",
      "\xff\xfe invalid utf-8 \xc3"};
  for (std::string_view s : kSentences) {
    const tl::Encoding e = tok->encode(s);
    (void)tok->decode(e.ids);
    (void)tok->decode(e.ids, true);
    for (int id : e.ids) (void)tok->display_token(id);
  }
  (void)tok->encode_pair(kSentences[0], kSentences[1]);
  (void)tok->display_token(-1);
  (void)tok->display_token(tok->vocab_size());
  return 0;
}
