// Corrupt and unsupported tokenizer files give an Error that names the file, the field and the
// problem; nothing crashes.
#include "tokenizer_test_data.h"

namespace tl {
namespace {

using Json = nlohmann::json;

Json tok512() { return Json::parse(test::read_file(test::tokenizer_dir("tok512") / "tokenizer.json")); }

// Loads the JSON and returns the error message ("" when it loaded).
std::string load_error(const std::string& text) {
  auto t = Tokenizer::from_json(text, "bad.json");
  return t.ok() ? std::string() : t.error().message;
}
std::string load_error(const Json& j) { return load_error(j.dump()); }

void expect_error(const std::string& message, std::initializer_list<const char*> parts) {
  ASSERT_FALSE(message.empty()) << "expected an error";
  EXPECT_EQ(message.rfind("bad.json: ", 0), 0u) << message;
  for (const char* p : parts)
    EXPECT_NE(message.find(p), std::string::npos) << "'" << p << "' not in: " << message;
}

TEST(TokenizerErrors, NotJson) {
  expect_error(load_error(std::string("this is not json")), {"not valid JSON"});
  expect_error(load_error(std::string("")), {"not valid JSON"});
  const std::string whole = test::read_file(test::tokenizer_dir("gpt2") / "tokenizer.json");
  expect_error(load_error(whole.substr(0, whole.size() / 2)), {"not valid JSON"});
}

TEST(TokenizerErrors, NotAnObjectOrNoModel) {
  expect_error(load_error(std::string("[1, 2]")), {"expected a JSON object"});
  expect_error(load_error(std::string("{}")), {"model", "missing"});
}

TEST(TokenizerErrors, UnknownModelType) {
  Json j = tok512();
  j["model"]["type"] = "Frobnicator";
  expect_error(load_error(j), {"model.type", "Frobnicator"});
  j["model"]["type"] = "Unigram";
  expect_error(load_error(j), {"model.type", "Unigram", "not supported"});
}

TEST(TokenizerErrors, MissingVocab) {
  Json j = tok512();
  j["model"].erase("vocab");
  expect_error(load_error(j), {"model.vocab", "missing"});
  j = tok512();
  j["model"]["vocab"] = "oops";
  expect_error(load_error(j), {"model.vocab"});
  j = tok512();
  j["model"]["vocab"]["<unk>"] = -5;
  expect_error(load_error(j), {"model.vocab", "<unk>"});
  j = tok512();
  j["model"]["vocab"]["<unk>"] = 10000000;  // would allocate a table of ten million pieces
  expect_error(load_error(j), {"model.vocab", "sparse"});
}

TEST(TokenizerErrors, BadMerges) {
  Json j = tok512();
  j["model"]["merges"][3] = "nosuchpiece another";
  expect_error(load_error(j), {"model.merges[3]", "nosuchpiece"});
  j["model"]["merges"][3] = "three parts here";
  expect_error(load_error(j), {"model.merges[3]"});
  j["model"]["merges"][3] = 42;
  expect_error(load_error(j), {"model.merges[3]"});
}

TEST(TokenizerErrors, UnknownComponentTypes) {
  Json j = tok512();
  j["normalizer"]["normalizers"][1]["type"] = "Shout";
  expect_error(load_error(j), {"normalizer.normalizers[1].type", "Shout"});
  j = tok512();
  j["pre_tokenizer"] = {{"type", "Zigzag"}};
  expect_error(load_error(j), {"pre_tokenizer.type", "Zigzag"});
  j = tok512();
  j["decoder"]["decoders"][2] = {{"type", "Unfuse"}};
  expect_error(load_error(j), {"decoder.decoders[2].type", "Unfuse"});
  j = tok512();
  j["post_processor"] = {{"type", "Mystery"}};
  expect_error(load_error(j), {"post_processor.type", "Mystery"});
  j = tok512();
  j["normalizer"] = {{"kind", "NFC"}};
  expect_error(load_error(j), {"normalizer.type", "missing"});
}

TEST(TokenizerErrors, BadFields) {
  Json j = tok512();
  j["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "(unclosed"}}}, {"behavior", "Isolated"}};
  expect_error(load_error(j), {"pre_tokenizer.pattern", "regex"});
  j = tok512();
  j["post_processor"]["single"][0]["SpecialToken"]["id"] = "<nope>";
  expect_error(load_error(j), {"post_processor.single[0]", "<nope>"});
  j = tok512();
  j["post_processor"]["pair"].erase(3);  // drops $B
  expect_error(load_error(j), {"post_processor.pair", "$B"});
  j = tok512();
  j["added_tokens"][0]["content"] = 7;
  expect_error(load_error(j), {"added_tokens[0].content"});
  j = tok512();
  j["added_tokens"].push_back({{"content", "<new>"}, {"id", -3}});
  expect_error(load_error(j), {"added_tokens[3].id"});
  j = tok512();
  j["normalizer"]["normalizers"][0]["prepend"] = true;
  expect_error(load_error(j), {"normalizer.normalizers[0].prepend"});
}

TEST(TokenizerErrors, WordPieceWithoutUnknownToken) {
  Json j = Json::parse(test::read_file(test::tokenizer_dir("bert-base-uncased") / "tokenizer.json"));
  j["model"]["unk_token"] = "[NOPE]";
  expect_error(load_error(j), {"model.unk_token", "[NOPE]"});
}

TEST(TokenizerErrors, MissingFiles) {
  auto a = Tokenizer::from_file(std::filesystem::path(TL_TEST_TMP_DIR) / "no_such_tokenizer.json");
  EXPECT_FALSE(a.ok());
  auto b = Tokenizer::from_dir(std::filesystem::path(TL_TEST_TMP_DIR) / "no_such_folder");
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message.find("no_such_folder"), std::string::npos);
}

}  // namespace
}  // namespace tl
