// Every line of the vendored vectors.jsonl must give exactly the ids of the Hugging Face tokenizers
// Rust library (ids_hf_tokenizers), for all four tokenizer.json files and the newer merges format.
#include "tokenizer_test_data.h"

namespace tl {
namespace {

TEST(TokenizerVectors, Gpt2) {
  test::expect_vectors_at(test::tokenizer_dir("gpt2") / "tokenizer.json", "gpt2");
}

TEST(TokenizerVectors, BertBaseUncased) {
  test::expect_vectors_at(test::tokenizer_dir("bert-base-uncased") / "tokenizer.json", "bert-base-uncased");
}

TEST(TokenizerVectors, Llama2) {
  test::expect_vectors_at(test::tokenizer_dir("llama2") / "tokenizer.json", "llama2");
}

TEST(TokenizerVectors, Tok512) {
  test::expect_vectors_at(test::tokenizer_dir("tok512") / "tokenizer.json", "tok512");
}

// tokenizers 0.23 writes merges as ["a", "b"] pairs and adds "ignore_merges": false.
TEST(TokenizerVectors, Tok512NewerMergesFormat) {
  test::expect_vectors_at(test::tokenizer_dir("tok512") / "tokenizer.tokenizers-0.23.2-format.json",
                          "tok512");
}

// The embedded default model's tokenizer is tok512.
TEST(TokenizerVectors, Embedded) {
  auto t = Tokenizer::embedded();
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->vocab_size(), 512);
  EXPECT_EQ(t->bos_id(), 1);
  EXPECT_EQ(t->eos_id(), 2);
  EXPECT_EQ(t->unk_id(), 0);
  test::expect_vectors(*t, "tok512");
}

}  // namespace
}  // namespace tl
