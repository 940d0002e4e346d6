// Token spans, decoding, pairs, display labels and speed, over the vendored vectors.
#include <chrono>
#include <random>

#include "tokenizer_test_data.h"

namespace tl {
namespace {

Tokenizer load(const std::string& name) {
  auto t = Tokenizer::from_file(test::tokenizer_dir(name) / "tokenizer.json");
  EXPECT_TRUE(t.ok()) << t.error().message;
  return std::move(t.value());
}

bool is_printable_ascii(const std::string& s) {
  for (unsigned char c : s)
    if (c < 0x20 || c >= 0x7F) return false;
  return true;
}

std::string ascii_lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// Structural checks every tokenizer must pass; returns the text of each span for further checks.
void expect_consistent(const Encoding& e, const std::string& text) {
  ASSERT_EQ(e.tokens.size(), e.size());
  ASSERT_EQ(e.spans.size(), e.size());
  ASSERT_EQ(e.sequence.size(), e.size());
  ASSERT_EQ(e.type_ids.size(), e.size());
  ASSERT_EQ(e.special.size(), e.size());
  std::size_t last_begin = 0, last_end = 0;
  for (std::size_t i = 0; i < e.size(); ++i) {
    const auto [begin, end] = e.spans[i];
    if (e.sequence[i] < 0) {  // added by the post-processor
      EXPECT_TRUE(e.special[i]);
      EXPECT_EQ(begin, end);
      continue;
    }
    EXPECT_LE(begin, end);
    EXPECT_LE(end, text.size());
    EXPECT_GE(begin, last_begin) << "token " << i << " starts before the previous one";
    EXPECT_GE(end, last_end) << "token " << i << " ends before the previous one";
    last_begin = begin;
    last_end = end;
  }
}

std::string span_text(const Encoding& e, std::size_t i, const std::string& text) {
  return text.substr(e.spans[i].first, e.spans[i].second - e.spans[i].first);
}

TEST(TokenizerSpans, Gpt2ByteLevelTokensMatchTheirText) {
  const Tokenizer t = load("gpt2");
  for (const test::Vector& v : test::load_vectors("gpt2")) {
    const Encoding e = t.encode(v.text);
    expect_consistent(e, v.text);
    for (std::size_t i = 0; i < e.size(); ++i) {
      const std::string label = t.display_token(e.ids[i]);
      if (label.find("<0x") != std::string::npos)
        continue;  // part of a character: span is the whole character
      EXPECT_EQ(span_text(e, i, v.text), label)
          << "token " << e.tokens[i] << " in " << nlohmann::json(v.text).dump();
    }
  }
}

TEST(TokenizerSpans, BertWordPiecesMatchTheirText) {
  const Tokenizer t = load("bert-base-uncased");
  for (const test::Vector& v : test::load_vectors("bert-base-uncased")) {
    const Encoding e = t.encode(v.text);
    expect_consistent(e, v.text);
    for (std::size_t i = 0; i < e.size(); ++i) {
      if (e.special[i] || e.tokens[i] == "[UNK]") continue;
      const std::string original = span_text(e, i, v.text);
      // Accents and case folding change the text; clean_text drops control characters.
      if (!is_printable_ascii(original)) continue;
      EXPECT_EQ(ascii_lower(original), t.display_token(e.ids[i])) << nlohmann::json(v.text).dump();
    }
  }
}

TEST(TokenizerSpans, LlamaPiecesMatchTheirText) {
  for (const std::string name : {"llama2", "tok512"}) {
    const Tokenizer t = load(name);
    for (const test::Vector& v : test::load_vectors(name)) {
      const Encoding e = t.encode(v.text);
      expect_consistent(e, v.text);
      for (std::size_t i = 0; i < e.size(); ++i) {
        if (e.special[i] || e.tokens[i].rfind("<0x", 0) == 0) continue;
        const std::string label = t.display_token(e.ids[i]), original = span_text(e, i, v.text);
        // The "▁" the normalizer puts in front of the text is aligned to the first character.
        const bool prefix_space = label == " " || (label[0] == ' ' && label.substr(1) == original);
        EXPECT_TRUE(label == original || prefix_space)
            << name << ": token " << e.tokens[i] << " spans \"" << original << "\" in "
            << nlohmann::json(v.text).dump();
      }
    }
  }
}

TEST(TokenizerSpans, SpecialTokensGetEmptySpansAtTheirPosition) {
  const Tokenizer t = load("bert-base-uncased");
  const std::string text = "hello world";
  const Encoding e = t.encode(text);
  ASSERT_EQ(e.size(), 4u);
  EXPECT_EQ(e.spans[0], (std::pair<std::size_t, std::size_t>{0, 0}));
  EXPECT_EQ(e.spans[1], (std::pair<std::size_t, std::size_t>{0, 5}));
  EXPECT_EQ(e.spans[2], (std::pair<std::size_t, std::size_t>{6, 11}));
  EXPECT_EQ(e.spans[3], (std::pair<std::size_t, std::size_t>{11, 11}));
  EXPECT_EQ(e.sequence, (std::vector<int>{-1, 0, 0, -1}));
  EXPECT_EQ(e.special, (std::vector<bool>{true, false, false, true}));
}

TEST(TokenizerDecode, Gpt2RoundTripsEveryVector) {
  const Tokenizer t = load("gpt2");
  for (const test::Vector& v : test::load_vectors("gpt2"))
    EXPECT_EQ(t.decode(t.encode(v.text).ids), v.text) << nlohmann::json(v.text).dump();
}

TEST(TokenizerDecode, LlamaRoundTripsEveryVectorWithoutSpecialTokenText) {
  for (const std::string name : {"llama2", "tok512"}) {
    const Tokenizer t = load(name);
    for (const test::Vector& v : test::load_vectors(name)) {
      // A normalized added token absorbs the "▁" in front of it, so "a <s>" cannot come back exactly.
      if (v.text.find("<s>") != std::string::npos || v.text.find("</s>") != std::string::npos ||
          v.text.find("<unk>") != std::string::npos)
        continue;
      const Encoding e = t.encode(v.text);
      EXPECT_EQ(t.decode(e.ids, /*skip_special_tokens=*/true), v.text)
          << name << ": " << nlohmann::json(v.text).dump();
    }
  }
}

// The Rust library cleans up each token on its own (" ," -> ","), so "it ' s" keeps its spaces;
// transformers' Python-side clean-up would join it, the tokenizers library does not.
TEST(TokenizerDecode, BertCleansUpPunctuationSpacing) {
  const Tokenizer t = load("bert-base-uncased");
  const Encoding e = t.encode("Hello, World! It's a test.");
  EXPECT_EQ(t.decode(e.ids, /*skip_special_tokens=*/true), "hello, world! it ' s a test.");
  EXPECT_EQ(t.decode(e.ids), "[CLS] hello, world! it ' s a test. [SEP]");
  EXPECT_EQ(t.decode(t.encode("tokenization").ids, true), "tokenization");
}

TEST(TokenizerPair, BertTypeIds) {
  const Tokenizer t = load("bert-base-uncased");
  const Encoding e = t.encode_pair("hello world", "how are you");
  EXPECT_EQ(e.ids, (std::vector<int>{101, 7592, 2088, 102, 2129, 2024, 2017, 102}));
  EXPECT_EQ(e.type_ids, (std::vector<int>{0, 0, 0, 0, 1, 1, 1, 1}));
  EXPECT_EQ(e.sequence, (std::vector<int>{-1, 0, 0, -1, 1, 1, 1, -1}));
  EXPECT_EQ(e.spans[4], (std::pair<std::size_t, std::size_t>{0, 3}));  // spans index their own text
  const Encoding plain = t.encode_pair("hello world", "how are you", /*add_special_tokens=*/false);
  EXPECT_EQ(plain.ids, (std::vector<int>{7592, 2088, 2129, 2024, 2017}));
  EXPECT_EQ(plain.type_ids, (std::vector<int>{0, 0, 1, 1, 1}));
}

TEST(TokenizerDisplay, ReadableLabels) {
  const Tokenizer gpt2 = load("gpt2");
  EXPECT_EQ(gpt2.display_token(*gpt2.token_to_id("Ġthe")), " the");
  EXPECT_EQ(gpt2.display_token(*gpt2.token_to_id("Ċ")), "\n");
  EXPECT_EQ(gpt2.display_token(50256), "<|endoftext|>");
  const Tokenizer llama = load("llama2");
  EXPECT_EQ(llama.display_token(*llama.token_to_id("▁the")), " the");
  EXPECT_EQ(llama.display_token(*llama.token_to_id("<0x0A>")), "\n");
  EXPECT_EQ(llama.display_token(*llama.token_to_id("<0xE4>")), "<0xE4>");  // half a character
  EXPECT_EQ(llama.display_token(1), "<s>");
  const Tokenizer bert = load("bert-base-uncased");
  EXPECT_EQ(bert.display_token(*bert.token_to_id("##ing")), "ing");
  EXPECT_EQ(bert.display_token(101), "[CLS]");
  EXPECT_EQ(bert.id_to_token(-1), "");
  EXPECT_EQ(bert.id_to_token(1 << 30), "");
  EXPECT_EQ(bert.display_token(1 << 30), "");
}

TEST(TokenizerSpecialIds, FromTokenizerJson) {
  const Tokenizer bert = load("bert-base-uncased");
  EXPECT_EQ(bert.cls_id(), 101);
  EXPECT_EQ(bert.sep_id(), 102);
  EXPECT_EQ(bert.mask_id(), 103);
  EXPECT_EQ(bert.pad_id(), 0);
  EXPECT_EQ(bert.unk_id(), 100);
  EXPECT_EQ(bert.bos_id(), -1);
  EXPECT_TRUE(bert.is_special(101));
  EXPECT_FALSE(bert.is_special(7592));
  const Tokenizer llama = load("llama2");
  EXPECT_EQ(llama.bos_id(), 1);
  EXPECT_EQ(llama.eos_id(), 2);
  EXPECT_EQ(llama.unk_id(), 0);
  EXPECT_EQ(llama.vocab_size(), 32000);
  EXPECT_EQ(load("gpt2").vocab_size(), 50257);
}

// Invalid UTF-8 must not crash and every byte stays covered by a span.
TEST(TokenizerSpans, InvalidUtf8Input) {
  const std::string text = "ok \xff\xfe bad \xe4\xb8";
  for (const std::string name : {"gpt2", "bert-base-uncased", "llama2"}) {
    const Tokenizer t = load(name);
    const Encoding e = t.encode(text);
    expect_consistent(e, text);
    EXPECT_GT(e.size(), 0u) << name;
  }
}

// Hostile text: random bytes (mostly invalid UTF-8), control characters, long runs.
TEST(TokenizerSpans, RandomBytesStayConsistent) {
  std::mt19937 rng(1234);
  std::vector<std::string> inputs;
  for (int k = 0; k < 150; ++k) {
    std::string s(rng() % 120, '\0');
    for (char& c : s) c = static_cast<char>(rng() % (k % 3 == 0 ? 128 : 256));
    inputs.push_back(s);
  }
  inputs.push_back(std::string(20000, ' '));
  inputs.push_back(std::string(20000, 'a'));
  inputs.push_back(std::string(5000, '\n') + "x");
  for (const std::string name : {"gpt2", "bert-base-uncased", "llama2", "tok512"}) {
    const Tokenizer t = load(name);
    for (const std::string& s : inputs) {
      const Encoding e = t.encode(s);
      expect_consistent(e, s);
      t.decode(e.ids);
    }
  }
}

// A 10,000-token paste must tokenize well under a second (release build, cold cache).
TEST(TokenizerSpeed, TenThousandTokens) {
  std::string text;
  for (const test::Vector& v : test::load_vectors("gpt2")) text += v.text + "\n";
  std::string paste;
  while (paste.size() < 45000) paste += text;
  for (const std::string name : {"gpt2", "bert-base-uncased", "llama2"}) {
    const Tokenizer t = load(name);
    const auto start = std::chrono::steady_clock::now();
    const Encoding e = t.encode(paste);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%s: %zu tokens from %zu bytes in %.3f s\n", name.c_str(), e.size(), paste.size(), seconds);
    EXPECT_GE(e.size(), 10000u) << name;
#if !defined(__SANITIZE_ADDRESS__) && defined(NDEBUG)
    EXPECT_LT(seconds, 1.0) << name;
#endif
  }
}

}  // namespace
}  // namespace tl
