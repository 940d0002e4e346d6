// Folders without tokenizer.json: vocab.json + merges.txt (GPT-2 byte-level BPE) and vocab.txt
// (BERT WordPiece) must tokenize the vectors exactly as the tokenizer.json built from them does.
#include "tokenizer_test_data.h"

namespace tl {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::path(TL_TEST_TMP_DIR) / ("tokenizer_fallback_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

TEST(TokenizerFallback, VocabJsonAndMergesTxt) {
  const fs::path dir = fresh_dir("gpt2");
  fs::copy_file(test::tokenizer_dir("gpt2") / "encoder.json", dir / "vocab.json");
  fs::copy_file(test::tokenizer_dir("gpt2") / "vocab.bpe", dir / "merges.txt");
  auto t = Tokenizer::from_dir(dir);
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->vocab_size(), 50257);
  EXPECT_EQ(t->token_to_id("<|endoftext|>"), 50256);
  EXPECT_TRUE(t->is_special(50256));
  test::expect_vectors(*t, "gpt2");
}

TEST(TokenizerFallback, VocabTxtAlone) {
  const fs::path dir = fresh_dir("bert");
  fs::copy_file(test::tokenizer_dir("bert-base-uncased") / "vocab.txt", dir / "vocab.txt");
  auto t = Tokenizer::from_dir(dir);
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->vocab_size(), 30522);
  EXPECT_EQ(t->cls_id(), 101);
  EXPECT_EQ(t->sep_id(), 102);
  EXPECT_EQ(t->mask_id(), 103);
  EXPECT_EQ(t->pad_id(), 0);
  EXPECT_EQ(t->unk_id(), 100);
  test::expect_vectors(*t, "bert-base-uncased");
}

// tokenizer_config.json may say the vocabulary is cased.
TEST(TokenizerFallback, VocabTxtCasedWhenTold) {
  const fs::path dir = fresh_dir("bert_cased");
  fs::copy_file(test::tokenizer_dir("bert-base-uncased") / "vocab.txt", dir / "vocab.txt");
  std::ofstream(dir / "tokenizer_config.json") << R"({"do_lower_case": false})";
  auto t = Tokenizer::from_dir(dir);
  ASSERT_TRUE(t.ok()) << t.error().message;
  const Encoding e = t->encode("Hello", false);
  EXPECT_EQ(e.tokens, (std::vector<std::string>{"[UNK]"}));  // uncased vocabulary has no "Hello"
  EXPECT_EQ(t->encode("hello", false).tokens, (std::vector<std::string>{"hello"}));
}

// A folder with tokenizer.json uses it (and special_tokens_map.json for the special ids).
TEST(TokenizerFallback, FolderWithTokenizerJson) {
  auto t = Tokenizer::from_dir(test::tokenizer_dir("gpt2"));
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->bos_id(), 50256);
  EXPECT_EQ(t->eos_id(), 50256);
  EXPECT_EQ(t->unk_id(), 50256);  // special_tokens_map.json names <|endoftext|> as unk too
  test::expect_vectors(*t, "gpt2");
}

TEST(TokenizerFallback, EmptyFolderIsAnError) {
  const fs::path dir = fresh_dir("empty");
  auto t = Tokenizer::from_dir(dir);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find("no tokenizer.json"), std::string::npos) << t.error().message;
}

}  // namespace
}  // namespace tl
