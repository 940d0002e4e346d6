// Tokenizer files are hostile input, and so is what they do to a text: JSON parsing is bounded in
// depth and memory, and tokenization is bounded in time (a pathological Split regex turns into an
// error naming the regex; a million added tokens match in time linear in the text).
#include <chrono>
#include <fstream>

#include "core/io/json_util.h"
#include "tokenizer_test_data.h"

namespace tl {
namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

Json tok512() { return Json::parse(test::read_file(test::tokenizer_dir("tok512") / "tokenizer.json")); }

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Peak resident memory of this process (VmHWM), in bytes.
std::uint64_t peak_rss() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  return 0;
}

TEST(JsonLimits, DeepNestingIsRefusedQuickly) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const auto t0 = Clock::now();
  auto t = Tokenizer::from_json(deep, "deep.json");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find("deep.json: JSON nested more than 512 levels"), std::string::npos)
      << t.error().message;
  EXPECT_LT(seconds_since(t0), 1.0);
  // Inside an otherwise valid tokenizer too.
  std::string text = tok512().dump();
  text.insert(text.rfind('}'), ", \"x\": " + std::string(600, '[') + std::string(600, ']'));
  t = Tokenizer::from_json(text, "deep.json");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find("nested more than 512"), std::string::npos) << t.error().message;
}

// 24 MB of empty arrays would take ~1 GB as nlohmann-json values; the pre-scan refuses it first.
TEST(JsonLimits, ManySmallContainersAreRefusedBeforeParsing) {
  std::string text = "[";
  text.reserve(24 << 20);
  while (text.size() < (24u << 20)) text += "[],";
  text += "[]]";
  const auto before = peak_rss();
  const auto t0 = Clock::now();
  auto t = Tokenizer::from_json(text, "wide.json");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find("wide.json: JSON structure too large to load"), std::string::npos)
      << t.error().message;
  EXPECT_LT(peak_rss() - before, std::uint64_t(64) << 20);
  EXPECT_LT(seconds_since(t0), 2.0);
}

TEST(JsonLimits, RealTokenizersFitTheBudget) {
  for (const char* name : {"gpt2", "llama2", "bert-base-uncased", "tok512"}) {
    const auto path = test::tokenizer_dir(name) / "tokenizer.json";
    const std::string text = test::read_file(path);
    if (text.empty()) continue;
    auto est = estimate_json_memory(text, path.string());
    ASSERT_TRUE(est.ok()) << est.error().message;
    EXPECT_LT(*est, JsonLimits{}.memory_per_text_byte * text.size() / 2) << name;  // at least 2x headroom
  }
}

TEST(JsonLimits, Utf16IsNamed) {
  std::string u16 = "\xff\xfe";
  for (char c : tok512().dump()) u16 += std::string(1, c) + '\0';
  auto t = Tokenizer::from_json(u16, "u16.json");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find("u16.json: is UTF-16 (little-endian, with a byte-order mark), expected UTF-8"),
            std::string::npos)
      << t.error().message;
  EXPECT_EQ(t.error().message.find('\xff'), std::string::npos);
}

// ('a' x 22 + 'x') x 2000 against (?:(a+)+b)|x: millions of backtracking steps at every 'a', each
// attempt under PCRE2's per-match limit. Took 38.9 s before the per-text budget.
TEST(TokenizeLimits, CatastrophicSplitRegexIsBoundedAndNamed) {
  Json j = tok512();
  j["pre_tokenizer"] = {{"type", "Split"},
                        {"pattern", {{"Regex", "(?:(a+)+b)|x"}}},
                        {"behavior", "Isolated"},
                        {"invert", false}};
  auto tok = Tokenizer::from_json(j.dump(), "evil.json");
  ASSERT_TRUE(tok.ok()) << tok.error().message;
  std::string text;
  for (int i = 0; i < 2000; ++i) text += std::string(22, 'a') + "x";
  const auto t0 = Clock::now();
  auto e = tok->encode_checked(text);
  const double s = seconds_since(t0);
  EXPECT_LT(s, 5.0);
  ASSERT_FALSE(e.ok()) << "tokenized in " << s << " s";
  EXPECT_NE(e.error().message.find("evil.json: regex '(?:(a+)+b)|x' takes too long"), std::string::npos)
      << e.error().message;
  // encode() gives an empty Encoding that says why.
  const Encoding plain = tok->encode(text);
  EXPECT_TRUE(plain.ids.empty());
  EXPECT_NE(plain.error.find("takes too long"), std::string::npos) << plain.error;
  // The same tokenizer on a harmless text works, and the budget is per call.
  auto ok = tok->encode_checked("hello x world");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_FALSE(ok->ids.empty());
  std::printf("catastrophic regex, %zu bytes: refused after %.2f s\n", text.size(), s);
}

TEST(TokenizeLimits, CancelStopsARegexSearch) {
  Json j = tok512();
  j["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "(?:(a+)+b)|x"}}}, {"behavior", "Isolated"}};
  auto tok = Tokenizer::from_json(j.dump(), "evil.json");
  ASSERT_TRUE(tok.ok()) << tok.error().message;
  CancelFlag cancel;
  cancel.cancel();
  const auto t0 = Clock::now();
  EXPECT_THROW((void)tok->encode_checked(std::string(2000, 'a') + "x", true, &cancel), Cancelled);
  EXPECT_LT(seconds_since(t0), 1.0);
}

// 1,000,000 added tokens and 20,000 characters: took 37 s when every position compared every added
// token with the same first byte.
TEST(TokenizeLimits, MillionAddedTokensMatchInLinearTime) {
  Json j = tok512();
  Json& added = j["added_tokens"];
  const int base = 1000;
  for (int k = 0; k < 1'000'000; ++k)
    added.push_back({{"id", base + k}, {"content", "a" + std::to_string(k) + "z"}, {"normalized", false}});
  const std::string file = j.dump();
  j = Json();
  const auto t_load = Clock::now();
  auto tok = Tokenizer::from_json(file, "many.json");
  ASSERT_TRUE(tok.ok()) << tok.error().message;
  const double load_s = seconds_since(t_load);
  std::string text;
  while (text.size() < 19'990) text += "a ";  // every other character starts 1,000,000 candidates
  text += "a4242z ";                          // one match, at the end
  const auto t0 = Clock::now();
  auto e = tok->encode_checked(text);
  const double s = seconds_since(t0);
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_LT(s, 2.0);
  int found = 0;
  for (int id : e->ids) found += id == base + 4242;
  EXPECT_EQ(found, 1);
  std::printf("1,000,000 added tokens (%zu MB file, loaded in %.2f s): %zu characters in %.3f s\n",
              file.size() >> 20, load_s, text.size(), s);
}

// Longest match wins, equal contents keep the first (special) one, at every position.
TEST(TokenizeLimits, AddedTokenMatchingIsLeftmostLongest) {
  Json j = tok512();
  Json& added = j["added_tokens"];
  added.push_back({{"id", 600}, {"content", "<ab"}, {"normalized", false}});
  added.push_back({{"id", 601}, {"content", "<abc>"}, {"normalized", false}});
  added.push_back({{"id", 602}, {"content", "<a"}, {"normalized", false}});
  auto tok = Tokenizer::from_json(j.dump(), "added.json");
  ASSERT_TRUE(tok.ok()) << tok.error().message;
  const Encoding e = tok->encode("x<abc>y<abd<a", false);
  std::vector<int> added_ids;
  for (int id : e.ids)
    if (id >= 600) added_ids.push_back(id);
  EXPECT_EQ(added_ids, (std::vector<int>{601, 600, 602}));
}

}  // namespace
}  // namespace tl
