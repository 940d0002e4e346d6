// The tokenizer.json components that the four vendored tokenizers do not use (or use in only one
// configuration), checked on small inputs against the behaviour of Hugging Face tokenizers.
#include "core/tokenizer/decoders.h"
#include "core/tokenizer/normalizers.h"
#include "core/tokenizer/pre_tokenizers.h"
#include "tokenizer_test_data.h"

namespace tl {
namespace {

using tok::Json;

struct Piece {
  std::string text;
  std::size_t begin, end;  // original span
  bool operator==(const Piece&) const = default;
};
std::ostream& operator<<(std::ostream& os, const Piece& p) {
  return os << "(\"" << p.text << "\", " << p.begin << ", " << p.end << ")";
}

std::string normalize(const char* normalizer_json, const std::string& text, tok::Span* whole = nullptr) {
  auto n = tok::parse_normalizer(Json::parse(normalizer_json), "normalizer");
  EXPECT_TRUE(n.ok()) << n.error().message;
  tok::NormalizedString s = tok::NormalizedString::from_original(text);
  (*n)->normalize(s);
  if (whole) *whole = s.original_span(0, s.size());
  return s.str();
}

std::vector<Piece> pre_tokenize(const char* pre_tokenizer_json, const std::string& text) {
  auto p = tok::parse_pre_tokenizer(Json::parse(pre_tokenizer_json), "pre_tokenizer");
  EXPECT_TRUE(p.ok()) << p.error().message;
  std::vector<tok::Piece> pieces{{tok::NormalizedString::from_original(text), -1}};
  (*p)->pre_tokenize(pieces);
  std::vector<Piece> out;
  for (const tok::Piece& piece : pieces) {
    const tok::Span s = piece.text.original_span();
    out.push_back({piece.text.str(), s.begin, s.end});
  }
  return out;
}

std::string decode(const char* decoder_json, std::vector<std::string> tokens) {
  auto d = tok::parse_decoder(Json::parse(decoder_json), "decoder");
  EXPECT_TRUE(d.ok()) << d.error().message;
  return (*d)->decode(std::move(tokens));
}

std::vector<std::string> texts(const std::vector<Piece>& pieces) {
  std::vector<std::string> out;
  for (const Piece& p : pieces) out.push_back(p.text);
  return out;
}
using Strings = std::vector<std::string>;

TEST(TokenizerNormalizers, UnicodeFormsAndCase) {
  tok::Span whole;
  EXPECT_EQ(
      normalize(
          R"({"type":"Sequence","normalizers":[{"type":"NFD"},{"type":"StripAccents"},{"type":"Lowercase"}]})",
          "Héllo Wörld", &whole),
      "hello world");
  EXPECT_EQ(whole.end, std::string("Héllo Wörld").size());
  EXPECT_EQ(normalize(R"({"type":"NFC"})", "e\u0301"), "\u00e9");
  EXPECT_EQ(normalize(R"({"type":"NFD"})", "\u00e9"), "e\u0301");
  EXPECT_EQ(normalize(R"({"type":"NFKC"})", "\ufb01\u2460"), "fi1");
  EXPECT_EQ(normalize(R"({"type":"NFKD"})", "\ufb01"), "fi");
  EXPECT_EQ(normalize(R"({"type":"Lowercase"})", "\u0130X"), "i\u0307x");  // full mapping of İ
  EXPECT_EQ(normalize(R"({"type":"StripAccents"})", "e\u0301"), "e");      // marks only, no NFD
}

TEST(TokenizerNormalizers, BertOptions) {
  // strip_accents null follows lowercase.
  EXPECT_EQ(normalize(R"({"type":"BertNormalizer","lowercase":false,"strip_accents":null})", "Héllo"),
            "Héllo");
  EXPECT_EQ(normalize(R"({"type":"BertNormalizer","lowercase":true,"strip_accents":null})", "Héllo"),
            "hello");
  EXPECT_EQ(normalize(R"({"type":"BertNormalizer","lowercase":true,"strip_accents":false})", "Héllo"),
            "héllo");
  EXPECT_EQ(normalize(R"({"type":"BertNormalizer","lowercase":false,"strip_accents":true})", "Héllo"),
            "Hello");
  EXPECT_EQ(normalize(R"({"type":"BertNormalizer"})", "中文"), " 中  文 ");
  EXPECT_EQ(normalize(R"({"type":"BertNormalizer","handle_chinese_chars":false})", "中文"), "中文");
  EXPECT_EQ(normalize(R"({"type":"BertNormalizer"})", "a\tb\u200bc\x01"), "a bc");
  EXPECT_EQ(normalize(R"({"type":"BertNormalizer","clean_text":false})", "a\tb"), "a\tb");
}

TEST(TokenizerNormalizers, ReplacePrependStrip) {
  tok::Span whole;
  EXPECT_EQ(normalize(R"({"type":"Replace","pattern":{"Regex":"\\s+"},"content":" "})", "a  \t b"), "a b");
  EXPECT_EQ(normalize(R"({"type":"Replace","pattern":{"String":"."},"content":""})", "a.b.c"), "abc");
  EXPECT_EQ(normalize(R"({"type":"Prepend","prepend":"▁"})", ""), "");
  EXPECT_EQ(normalize(R"({"type":"Prepend","prepend":"▁"})", "x"), "▁x");
  EXPECT_EQ(normalize(R"({"type":"Strip","strip_left":true,"strip_right":true})", "  hi  ", &whole), "hi");
  EXPECT_EQ(whole.begin, 2u);
  EXPECT_EQ(whole.end, 4u);
  EXPECT_EQ(normalize(R"({"type":"Strip","strip_left":false,"strip_right":true})", "  hi  "), "  hi");
}

TEST(TokenizerPreTokenizers, WhitespaceFamily) {
  EXPECT_EQ(pre_tokenize(R"({"type":"Whitespace"})", "Hey man!"),
            (std::vector<Piece>{{"Hey", 0, 3}, {"man", 4, 7}, {"!", 7, 8}}));
  EXPECT_EQ(texts(pre_tokenize(R"({"type":"Whitespace"})", "How are you doing?")),
            (Strings{"How", "are", "you", "doing", "?"}));
  EXPECT_TRUE(pre_tokenize(R"({"type":"Whitespace"})", "\n").empty());
  EXPECT_EQ(texts(pre_tokenize(R"({"type":"WhitespaceSplit"})", "Hey  man!")), (Strings{"Hey", "man!"}));
  EXPECT_EQ(texts(pre_tokenize(R"({"type":"BertPreTokenizer"})", "Hello, world!")),
            (Strings{"Hello", ",", "world", "!"}));
  EXPECT_EQ(texts(pre_tokenize(R"({"type":"Punctuation"})", "Hey, you!")),
            (Strings{"Hey", ",", " you", "!"}));
}

TEST(TokenizerPreTokenizers, Metaspace) {
  const char* always = R"({"type":"Metaspace","replacement":"▁","add_prefix_space":true})";
  EXPECT_EQ(pre_tokenize(always, "Hey friend!"), (std::vector<Piece>{{"▁Hey", 0, 3}, {"▁friend!", 3, 11}}));
  EXPECT_EQ(texts(pre_tokenize(always, "Hey   friend!")), (Strings{"▁Hey", "▁", "▁", "▁friend!"}));
  const char* never = R"({"type":"Metaspace","replacement":"▁","prepend_scheme":"never","split":true})";
  EXPECT_EQ(texts(pre_tokenize(never, "Hey friend!")), (Strings{"Hey", "▁friend!"}));
  const char* no_split = R"({"type":"Metaspace","replacement":"▁","prepend_scheme":"first","split":false})";
  EXPECT_EQ(texts(pre_tokenize(no_split, "Hey friend!")), (Strings{"▁Hey▁friend!"}));
}

TEST(TokenizerPreTokenizers, SplitBehaviours) {
  const auto split = [](const char* behavior) {
    const std::string j =
        std::string(R"({"type":"Split","pattern":{"String":"-"},"invert":false,"behavior":")") + behavior +
        "\"}";
    return texts(pre_tokenize(j.c_str(), "a-b--c"));
  };
  EXPECT_EQ(split("Removed"), (Strings{"a", "b", "c"}));
  EXPECT_EQ(split("Isolated"), (Strings{"a", "-", "b", "-", "-", "c"}));
  EXPECT_EQ(split("MergedWithPrevious"), (Strings{"a-", "b-", "-", "c"}));
  EXPECT_EQ(split("MergedWithNext"), (Strings{"a", "-b", "-", "-c"}));
  EXPECT_EQ(split("Contiguous"), (Strings{"a", "-", "b", "--", "c"}));
  EXPECT_EQ(
      texts(pre_tokenize(R"({"type":"Split","pattern":{"Regex":"\\d+"},"invert":true,"behavior":"Removed"})",
                         "ab12cd3")),
      (Strings{"12", "3"}));
  EXPECT_EQ(texts(pre_tokenize(R"({"type":"Digits","individual_digits":true})", "a123b")),
            (Strings{"a", "1", "2", "3", "b"}));
  EXPECT_EQ(texts(pre_tokenize(R"({"type":"Digits","individual_digits":false})", "a123b")),
            (Strings{"a", "123", "b"}));
}

TEST(TokenizerPreTokenizers, ByteLevelAndSequence) {
  EXPECT_EQ(pre_tokenize(R"({"type":"ByteLevel","add_prefix_space":true,"use_regex":true})", "Hello world"),
            (std::vector<Piece>{{"ĠHello", 0, 5}, {"Ġworld", 5, 11}}));
  EXPECT_EQ(texts(pre_tokenize(R"({"type":"ByteLevel","add_prefix_space":false,"use_regex":false})", "a b")),
            (Strings{"aĠb"}));
  EXPECT_EQ(texts(pre_tokenize(R"({"type":"Sequence","pretokenizers":[{"type":"WhitespaceSplit"},
                                  {"type":"Digits","individual_digits":true}]})",
                               "ab 12")),
            (Strings{"ab", "1", "2"}));
}

TEST(TokenizerDecoders, Pieces) {
  EXPECT_EQ(decode(R"({"type":"Metaspace","replacement":"▁","add_prefix_space":true})", {"▁Hey", "▁friend!"}),
            "Hey friend!");
  EXPECT_EQ(decode(R"({"type":"Strip","content":" ","start":1,"stop":0})", {" a", " b"}), "ab");
  EXPECT_EQ(decode(R"({"type":"BPEDecoder","suffix":"</w>"})", {"hel", "lo</w>", "world</w>"}),
            "hello world");
  EXPECT_EQ(decode(R"({"type":"ByteFallback"})", {"<0xE4>", "<0xB8>", "<0xAD>", "x"}), "中x");
  EXPECT_EQ(decode(R"({"type":"ByteFallback"})", {"<0xE4>", "x"}), "\uFFFDx");
  EXPECT_EQ(decode(R"({"type":"ByteLevel"})", {"Ġhello", "<|endoftext|>"}), " hello<|endoftext|>");
  EXPECT_EQ(decode(R"({"type":"ByteLevel"})", {"Ã"}), "\uFFFD");  // half a character
  EXPECT_EQ(decode(R"({"type":"WordPiece","prefix":"##","cleanup":true})", {"un", "##aff", "##able", "."}),
            "unaffable.");
}

// A small WordPiece tokenizer (whole words) to watch added tokens and post-processors.
Json word_tokenizer() {
  return Json::parse(R"({
    "model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {
      "[UNK]": 0, "<s>": 1, "</s>": 2, "<mask>": 3, "hello": 4, "world": 5, "this": 6, "is": 7,
      "some": 8, "##thing": 9, "ing": 10, "[CLS]": 11, "[SEP]": 12}},
    "pre_tokenizer": {"type": "Whitespace"}
  })");
}

Tokenizer build(const Json& j) {
  auto t = Tokenizer::from_json(j.dump());
  EXPECT_TRUE(t.ok()) << t.error().message;
  return std::move(t.value());
}

TEST(TokenizerAddedTokens, LstripRstripSingleWord) {
  Json j = word_tokenizer();
  j["added_tokens"] = Json::parse(R"([
    {"id": 3, "content": "<mask>", "single_word": false, "lstrip": true, "rstrip": true, "normalized": false,
     "special": true},
    {"id": 10, "content": "ing", "single_word": true, "lstrip": false, "rstrip": false, "normalized": false,
     "special": false}])");
  const Tokenizer t = build(j);
  const Encoding e = t.encode("hello  <mask>  world");
  EXPECT_EQ(e.ids, (std::vector<int>{4, 3, 5}));
  EXPECT_EQ(e.spans[1], (std::pair<std::size_t, std::size_t>{5, 15}));  // both whitespace runs
  EXPECT_TRUE(e.special[1]);
  EXPECT_EQ(t.encode("this is something").ids, (std::vector<int>{6, 7, 8, 9}));  // "ing" inside a word
  EXPECT_EQ(t.encode("this is ing").ids, (std::vector<int>{6, 7, 10}));
  EXPECT_EQ(t.decode({4, 3, 5}, /*skip_special_tokens=*/true), "hello world");
}

TEST(TokenizerPostProcessors, RobertaAndBertProcessing) {
  Json j = word_tokenizer();
  j["post_processor"] = Json::parse(
      R"({"type":"RobertaProcessing","sep":["</s>",2],"cls":["<s>",1],"trim_offsets":true,"add_prefix_space":true})");
  const Encoding r = build(j).encode_pair("hello", "world");
  EXPECT_EQ(r.ids, (std::vector<int>{1, 4, 2, 2, 5, 2}));
  EXPECT_EQ(r.type_ids, (std::vector<int>{0, 0, 0, 0, 0, 0}));
  j["post_processor"] = Json::parse(R"({"type":"BertProcessing","sep":["[SEP]",12],"cls":["[CLS]",11]})");
  const Encoding b = build(j).encode_pair("hello", "world");
  EXPECT_EQ(b.ids, (std::vector<int>{11, 4, 12, 5, 12}));
  EXPECT_EQ(b.type_ids, (std::vector<int>{0, 0, 0, 1, 1}));
  EXPECT_EQ(build(j).encode("hello", /*add_special_tokens=*/false).ids, (std::vector<int>{4}));
}

TEST(TokenizerPostProcessors, ByteLevelTrimOffsets) {
  Json j = Json::parse(test::read_file(test::tokenizer_dir("gpt2") / "tokenizer.json"));
  const Encoding untrimmed = build(j).encode("Hello world");
  EXPECT_EQ(untrimmed.spans[1], (std::pair<std::size_t, std::size_t>{5, 11}));
  j["post_processor"]["trim_offsets"] = true;
  const Encoding trimmed = build(j).encode("Hello world");
  EXPECT_EQ(trimmed.ids, untrimmed.ids);
  EXPECT_EQ(trimmed.spans[1], (std::pair<std::size_t, std::size_t>{6, 11}));
}

TEST(TokenizerPostProcessors, LlamaTemplatePair) {
  auto t = Tokenizer::from_file(test::tokenizer_dir("llama2") / "tokenizer.json");
  ASSERT_TRUE(t.ok()) << t.error().message;
  const Encoding e = t->encode_pair("Hello", "world");
  EXPECT_EQ(e.ids, (std::vector<int>{1, 15043, 1, 3186}));
  EXPECT_EQ(e.type_ids, (std::vector<int>{0, 0, 1, 1}));
  EXPECT_EQ(t->decode({1, 15043}), "<s> Hello");
  EXPECT_EQ(t->decode({1, 15043}, /*skip_special_tokens=*/true), "Hello");
}

TEST(TokenizerErrors, NestingIsBounded) {
  Json n = {{"type", "Lowercase"}};
  for (int k = 0; k < 200; ++k) n = {{"type", "Sequence"}, {"normalizers", Json::array({n})}};
  Json j = word_tokenizer();
  j["normalizer"] = n;
  auto t = Tokenizer::from_json(j.dump(), "deep.json");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find("nested too deeply"), std::string::npos) << t.error().message;
}

}  // namespace
}  // namespace tl
