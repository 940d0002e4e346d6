// llama.cpp's tokenizer test vectors (tests/data/tokenizers/llamacpp-vectors, MIT): each .inp case
// (separated by "\n__ggml_vocab_test__\n") must give the ids of its .out line, without special
// tokens. ggml-vocab-gpt-2 is GPT-2's vocabulary, bert-bge uses BERT's uncased vocabulary and
// llama-spm is Llama 2's.
#include <sstream>

#include "tokenizer_test_data.h"

namespace tl {
namespace {

struct Case {
  std::string text;
  std::vector<int> ids;
};

std::vector<Case> load_cases(const std::string& vocab) {
  const auto dir = test::tokenizer_dir("llamacpp-vectors");
  const std::string inp = test::read_file(dir / ("ggml-vocab-" + vocab + ".gguf.inp"));
  const std::string out = test::read_file(dir / ("ggml-vocab-" + vocab + ".gguf.out"));
  const std::string separator = "\n__ggml_vocab_test__\n";
  std::vector<std::string> texts;
  std::size_t pos = 0;
  for (std::size_t hit; (hit = inp.find(separator, pos)) != std::string::npos; pos = hit + separator.size())
    texts.push_back(inp.substr(pos, hit - pos));
  if (pos < inp.size()) texts.push_back(inp.substr(pos));
  std::vector<Case> cases;
  std::istringstream lines(out);
  std::string line;
  for (const std::string& text : texts) {
    if (!std::getline(lines, line)) break;
    Case c{text, {}};
    std::istringstream ids(line);
    for (int id; ids >> id;) c.ids.push_back(id);
    cases.push_back(std::move(c));
  }
  EXPECT_EQ(cases.size(), texts.size()) << vocab << ": .out has fewer lines than .inp has cases";
  return cases;
}

void expect_cases(const std::string& vocab, const std::string& tokenizer) {
  auto t = Tokenizer::from_file(test::tokenizer_dir(tokenizer) / "tokenizer.json");
  ASSERT_TRUE(t.ok()) << t.error().message;
  const std::vector<Case> cases = load_cases(vocab);
  ASSERT_EQ(cases.size(), 46u);
  for (const Case& c : cases)
    EXPECT_EQ(t->encode(c.text, /*add_special_tokens=*/false).ids, c.ids)
        << vocab << ": text " << nlohmann::json(c.text).dump();
}

TEST(TokenizerLlamaCpp, Gpt2) { expect_cases("gpt-2", "gpt2"); }
TEST(TokenizerLlamaCpp, BertBge) { expect_cases("bert-bge", "bert-base-uncased"); }
TEST(TokenizerLlamaCpp, LlamaSpm) { expect_cases("llama-spm", "llama2"); }

}  // namespace
}  // namespace tl
