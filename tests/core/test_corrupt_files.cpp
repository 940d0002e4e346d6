// A matrix of handcrafted corrupt checkpoints, each derived from tiny-gpt2 (or tiny-llama-gqa) by
// breaking one thing: every case must fail with an error whose message names the problem, and
// nothing may crash. Absurd configs must be refused before allocating (a 10^9 hidden size would
// otherwise abort on allocation). Ends with a seeded mutation sweep over header bytes.
#include <gtest/gtest.h>

#include <functional>
#include <random>

#include "core/io/safetensors.h"
#include "core/model/model.h"
#include "core/model/tokenizer_match.h"
#include "core/tokenizer/tokenizer.h"
#include "safetensors_test_util.h"

namespace fs = std::filesystem;
using namespace tl;
using namespace tl::test;
using nlohmann::json;

namespace {

const fs::path kGpt2 = fs::path(TL_TEST_DATA_DIR) / "reference-models" / "tiny-gpt2";
const fs::path kLlama = fs::path(TL_TEST_DATA_DIR) / "reference-models" / "tiny-llama-gqa";

struct Checkpoint {
  std::string config;
  Bytes weights;
};

Checkpoint gpt2() { return {read_string(kGpt2 / "config.json"), read_bytes(kGpt2 / "model.safetensors")}; }
Checkpoint llama() { return {read_string(kLlama / "config.json"), read_bytes(kLlama / "model.safetensors")}; }

// Edits the header of a checkpoint's safetensors (the data section is kept as is).
Checkpoint edit_header(Checkpoint c, const std::function<void(json&)>& edit) {
  auto split = split_safetensors(c.weights);
  edit(split.header);
  c.weights = make_safetensors(split.header, split.data);
  return c;
}

Checkpoint edit_config(Checkpoint c, const std::function<void(json&)>& edit) {
  json j = json::parse(c.config);
  edit(j);
  c.config = j.dump();
  return c;
}

void set_u64(Bytes& b, std::uint64_t v) { std::memcpy(b.data(), &v, 8); }

struct CorruptCase {
  const char* name;
  std::function<Checkpoint()> make;
  std::vector<std::string> keywords;  // each must appear in the error message
};

const std::string kCAttn = "transformer.h.0.attn.c_attn.weight";

const std::vector<CorruptCase>& cases() {
  static const std::vector<CorruptCase> all = {
      // --- safetensors container ---
      {"header_length_beyond_file",
       [] {
         auto c = gpt2();
         set_u64(c.weights, c.weights.size());
         return c;
       },
       {"header length", "beyond the file"}},
      {"header_length_huge",
       [] {
         auto c = gpt2();
         set_u64(c.weights, ~std::uint64_t(0));
         return c;
       },
       {"header length", "beyond the file"}},
      {"file_shorter_than_length_field", [] { return Checkpoint{gpt2().config, Bytes{1, 2, 3}}; }, {"too small"}},
      {"empty_file", [] { return Checkpoint{gpt2().config, Bytes{}}; }, {"too small"}},
      {"non_json_header",
       [] {
         auto c = gpt2();
         for (std::size_t i = 8; i < 40; ++i) c.weights[i] = 'x';
         return c;
       },
       {"header", "not valid JSON"}},
      {"header_not_an_object",
       [] { return Checkpoint{gpt2().config, make_safetensors_raw("[1, 2, 3]", {})}; },
       {"not a JSON object"}},
      {"offsets_out_of_range",
       [] {
         return edit_header(gpt2(), [](json& h) {
           auto& off = h["transformer.ln_f.bias"]["data_offsets"];
           off = {std::uint64_t(1) << 40, (std::uint64_t(1) << 40) + 256};
         });
       },
       {"transformer.ln_f.bias", "out of range"}},
      {"offsets_reversed",
       [] {
         return edit_header(gpt2(), [](json& h) {
           auto& off = h["transformer.ln_f.bias"]["data_offsets"];
           off = {off[1], off[0]};
         });
       },
       {"transformer.ln_f.bias", "reversed"}},
      {"offsets_overlapping",
       [] {
         return edit_header(gpt2(), [](json& h) {
           h["transformer.ln_f.bias"]["data_offsets"] = h["transformer.ln_f.weight"]["data_offsets"];
         });
       },
       {"overlapping", "transformer.ln_f.bias", "transformer.ln_f.weight"}},
      {"dtype_shape_byte_size_mismatch",
       [] { return edit_header(gpt2(), [](json& h) { h["transformer.ln_f.bias"]["shape"] = {65}; }); },
       {"transformer.ln_f.bias", "byte size 256", "F32", "[65]", "260"}},
      {"dtype_changes_byte_size",
       [] { return edit_header(gpt2(), [](json& h) { h["transformer.ln_f.bias"]["dtype"] = "F16"; }); },
       {"transformer.ln_f.bias", "byte size", "F16"}},
      {"shape_product_overflows",
       [] {
         return edit_header(gpt2(), [](json& h) {
           h["transformer.ln_f.bias"]["shape"] = {std::uint64_t(1) << 62, std::uint64_t(1) << 62};
         });
       },
       {"transformer.ln_f.bias", "overflows"}},
      {"negative_shape",
       [] { return edit_header(gpt2(), [](json& h) { h["transformer.ln_f.bias"]["shape"] = {-64}; }); },
       {"transformer.ln_f.bias", "negative"}},
      {"unknown_dtype",
       [] { return edit_header(gpt2(), [](json& h) { h["transformer.ln_f.bias"]["dtype"] = "Q4_K"; }); },
       {"transformer.ln_f.bias", "unknown dtype", "Q4_K"}},
      {"missing_data_offsets",
       [] { return edit_header(gpt2(), [](json& h) { h["transformer.ln_f.bias"].erase("data_offsets"); }); },
       {"transformer.ln_f.bias", "data_offsets"}},
      {"truncated_data",
       [] {
         auto c = gpt2();
         c.weights.resize(c.weights.size() - 1000);
         return c;
       },
       {"out of range"}},
      // --- config.json ---
      {"non_json_config", [] { return Checkpoint{"{\"model_type\": \"gpt2\", n_embd", gpt2().weights}; },
       {"config.json", "not valid JSON"}},
      {"config_not_an_object", [] { return Checkpoint{"[]", gpt2().weights}; }, {"config.json", "not a JSON object"}},
      // UTF-16 (as some Windows editors save) is named, not reported as bad JSON at byte 0xFF.
      {"config_utf16_with_bom",
       [] {
         std::string u16 = "\xff\xfe";
         for (char ch : gpt2().config) u16 += std::string(1, ch) + '\0';
         return Checkpoint{u16, gpt2().weights};
       },
       {"config.json", "is UTF-16", "expected UTF-8"}},
      {"config_utf16_without_bom",
       [] {
         std::string u16;
         for (char ch : gpt2().config) u16 += std::string(1, '\0') + ch;
         return Checkpoint{u16, gpt2().weights};
       },
       {"config.json", "UTF-16 (big-endian)", "expected UTF-8"}},
      {"config_invalid_byte_not_echoed", [] { return Checkpoint{"{\"a\": \xff}", gpt2().weights}; },
       {"config.json", "not valid JSON", "line 1"}},
      // A 26-digit integer: nlohmann-json reads it as a double; the message says why it is refused.
      {"config_integer_too_large",
       [] {
         auto c = gpt2();
         const auto p = c.config.find("\"n_embd\": ");
         const auto end = c.config.find_first_of(",}", p);
         c.config.replace(p, end - p, "\"n_embd\": 12345678901234567890123456");
         return c;
       },
       {"n_embd", "too large for an integer"}},
      {"config_integer_as_decimal", [] { return edit_config(gpt2(), [](json& j) { j["n_embd"] = 64.0; }); },
       {"n_embd", "decimal point or exponent"}},
      {"config_deeply_nested",
       [] {
         auto c = gpt2();
         c.config.insert(c.config.rfind('}'), ", \"deep\": " + std::string(100000, '[') + std::string(100000, ']'));
         return c;
       },
       {"config.json", "nested more than 512 levels"}},
      {"absurd_hidden_size",
       [] { return edit_config(llama(), [](json& j) { j["hidden_size"] = 1'000'000'000; }); },
       {"hidden_size", "1000000000", "out of range"}},
      {"absurd_total_size",  // each size within its bound, the product far beyond 64 GiB
       [] {
         return edit_config(llama(), [](json& j) {
           j["hidden_size"] = 65536, j["num_attention_heads"] = 512, j["num_key_value_heads"] = 512;
           j["num_hidden_layers"] = 1000, j["intermediate_size"] = 1 << 20;
         });
       },
       {"parameters", "GiB", "64 GiB limit"}},
      {"negative_layers", [] { return edit_config(gpt2(), [](json& j) { j["n_layer"] = -2; }); },
       {"n_layer", "-2", "out of range"}},
      {"size_not_an_integer", [] { return edit_config(gpt2(), [](json& j) { j["n_head"] = "four"; }); },
       {"n_head", "must be an integer"}},
      {"hidden_not_divisible_by_heads", [] { return edit_config(gpt2(), [](json& j) { j["n_head"] = 5; }); },
       {"n_embd = 64", "not divisible", "n_head = 5"}},
      {"heads_not_divisible_by_kv_heads",
       [] { return edit_config(llama(), [](json& j) { j["num_key_value_heads"] = 3; }); },
       {"num_attention_heads = 4", "num_key_value_heads = 3"}},
      {"unknown_model_type", [] { return edit_config(gpt2(), [](json& j) { j["model_type"] = "mamba"; }); },
       {"unknown model_type 'mamba'", "supported", "gpt2", "llama", "qwen2"}},
      {"missing_model_type", [] { return edit_config(gpt2(), [](json& j) { j.erase("model_type"); }); },
       {"model_type"}},
      {"missing_vocab_size", [] { return edit_config(gpt2(), [](json& j) { j.erase("vocab_size"); }); },
       {"missing", "vocab_size"}},
      {"rope_scaling",
       [] {
         return edit_config(llama(), [](json& j) { j["rope_scaling"] = {{"type", "linear"}, {"factor", 2.0}}; });
       },
       {"rope_scaling", "linear", "not supported"}},
      {"unsupported_gpt2_attention_scaling",
       [] { return edit_config(gpt2(), [](json& j) { j["scale_attn_by_inverse_layer_idx"] = true; }); },
       {"scale_attn_by_inverse_layer_idx", "not supported"}},
      {"unknown_activation", [] { return edit_config(llama(), [](json& j) { j["hidden_act"] = "mish"; }); },
       {"hidden_act", "mish", "not supported"}},
      {"token_id_beyond_vocab", [] { return edit_config(gpt2(), [](json& j) { j["eos_token_id"] = 5000; }); },
       {"eos_token_id", "5000", "vocab_size"}},
      // --- weights against the config ---
      {"missing_tensor", [] { return edit_header(gpt2(), [](json& h) { h.erase("transformer.h.1.mlp.c_fc.weight"); }); },
       {"missing tensor", "transformer.h.1.mlp.c_fc.weight", "[64, 256]"}},
      {"missing_untied_head", [] { return edit_header(llama(), [](json& h) { h.erase("lm_head.weight"); }); },
       {"missing tensor", "lm_head.weight", "[1000, 64]"}},
      {"wrong_shape", [] { return edit_header(gpt2(), [](json& h) { h[kCAttn]["shape"] = {192, 64}; }); },
       {kCAttn, "has shape [192, 64]", "expected [64, 192]"}},
      {"config_disagrees_with_weights", [] { return edit_config(gpt2(), [](json& j) { j["vocab_size"] = 1001; }); },
       {"transformer.wte.weight", "[1000, 64]", "expected [1001, 64]"}},
      {"unsupported_dtype",
       [] { return edit_header(gpt2(), [](json& h) { h["transformer.ln_f.bias"]["dtype"] = "I32"; }); },
       {"transformer.ln_f.bias", "I32", "not supported", "F32, F16, BF16"}},
      {"more_layers_than_config", [] { return edit_config(gpt2(), [](json& j) { j["n_layer"] = 1; }); },
       {"transformer.h.1.", "layer 1", "1 layers"}},
      {"wrong_family_weights", [] { return Checkpoint{read_string(kLlama / "config.json"), gpt2().weights}; },
       {"missing tensor", "model.embed_tokens.weight"}},
  };
  return all;
}

class CorruptCheckpoint : public ::testing::TestWithParam<std::size_t> {};

TEST_P(CorruptCheckpoint, FailsWithAClearMessage) {
  const CorruptCase& c = cases()[GetParam()];
  const Checkpoint ck = c.make();
  auto model = load_model_from_memory(ck.config, ck.weights, "corrupt");
  ASSERT_FALSE(model.ok()) << c.name << " loaded";
  const std::string& msg = model.error().message;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line: " << msg;
  for (unsigned char ch : msg) EXPECT_TRUE(ch >= 0x20 && ch < 0x7f) << "raw byte in: " << msg;
  for (const auto& k : c.keywords) EXPECT_NE(msg.find(k), std::string::npos) << "'" << k << "' not in: " << msg;
}

INSTANTIATE_TEST_SUITE_P(Matrix, CorruptCheckpoint, ::testing::Range<std::size_t>(0, cases().size()),
                         [](const auto& info) { return std::string(cases()[info.param].name); });

// The same through load_model on disk, which maps the file and reads config.json from the folder.
class CorruptFolder : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(TL_TEST_TMP_DIR) / ("corrupt-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  std::string load_error() {
    auto m = load_model(dir_);
    return m.ok() ? std::string("(loaded)") : m.error().message;
  }
  fs::path dir_;
};

TEST_F(CorruptFolder, TruncatedWeightFile) {
  auto c = gpt2();
  c.weights.resize(c.weights.size() / 2);
  write_bytes(dir_ / "config.json", Bytes(c.config.begin(), c.config.end()));
  write_bytes(dir_ / "model.safetensors", c.weights);
  const auto e = load_error();
  EXPECT_NE(e.find((dir_ / "model.safetensors").string()), std::string::npos) << e;
  EXPECT_NE(e.find("out of range"), std::string::npos) << e;
}

TEST_F(CorruptFolder, NonJsonConfig) {
  write_bytes(dir_ / "config.json", Bytes{'n', 'o', 'p', 'e'});
  write_bytes(dir_ / "model.safetensors", gpt2().weights);
  const auto e = load_error();
  EXPECT_NE(e.find("config.json"), std::string::npos) << e;
  EXPECT_NE(e.find("not valid JSON"), std::string::npos) << e;
}

TEST_F(CorruptFolder, MissingConfig) {
  write_bytes(dir_ / "model.safetensors", gpt2().weights);
  EXPECT_NE(load_error().find("no config.json"), std::string::npos) << load_error();
}

TEST_F(CorruptFolder, MissingWeights) {
  const auto cfg = gpt2().config;
  write_bytes(dir_ / "config.json", Bytes(cfg.begin(), cfg.end()));
  EXPECT_NE(load_error().find("no model.safetensors"), std::string::npos) << load_error();
}

TEST_F(CorruptFolder, NotAFolder) {
  auto m = load_model(dir_ / "does-not-exist");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("not a folder"), std::string::npos) << m.error().message;
}

// Seeded random damage to the header and the length field: every outcome must be a clean error
// (or, rarely, a harmless edit that still loads); none may crash or hang.
TEST(CorruptMutations, RandomHeaderDamageNeverCrashes) {
  const Checkpoint base = gpt2();
  std::uint64_t header_len = 0;
  std::memcpy(&header_len, base.weights.data(), 8);
  std::mt19937_64 rng(1234);
  int errors = 0;
  const int kTrials = 400;
  for (int trial = 0; trial < kTrials; ++trial) {
    Bytes w = base.weights;
    const int flips = 1 + int(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      const std::size_t pos = rng() % (8 + header_len);
      w[pos] = static_cast<unsigned char>(rng());
    }
    if (rng() % 8 == 0) w.resize(rng() % w.size());
    auto m = load_model_from_memory(base.config, w, "mutated");
    if (!m.ok()) {
      ++errors;
      EXPECT_FALSE(m.error().message.empty());
    }
  }
  EXPECT_GT(errors, kTrials / 2);  // most random damage must be detected
}

}  // namespace

namespace {

// A tokenizer whose ids go past config.json's vocab_size: both files are named at load time.
TEST(TokenizerModelMismatch, NamesBothFiles) {
  auto model = load_model(kGpt2);
  ASSERT_TRUE(model.ok()) << model.error().message;
  const auto tok_path = fs::path(TL_TEST_DATA_DIR) / "tokenizers" / "gpt2" / "tokenizer.json";
  auto tok = Tokenizer::from_file(tok_path);
  ASSERT_TRUE(tok.ok()) << tok.error().message;
  ASSERT_GT(tok->vocab_size(), (*model)->spec.vocab_size);
  const Status st = check_tokenizer_matches(**model, *tok);
  ASSERT_FALSE(st.ok());
  const std::string& e = st.error().message;
  EXPECT_NE(e.find(tok_path.string() + " and " + (kGpt2 / "config.json").string() + " disagree"), std::string::npos) << e;
  EXPECT_NE(e.find("50257 ids"), std::string::npos) << e;
  EXPECT_NE(e.find("vocab_size in config.json is " + std::to_string((*model)->spec.vocab_size)), std::string::npos) << e;

  auto embedded = load_embedded_model();
  auto embedded_tok = Tokenizer::embedded();
  ASSERT_TRUE(embedded.ok() && embedded_tok.ok());
  EXPECT_TRUE(check_tokenizer_matches(**embedded, *embedded_tok).ok());
}

}  // namespace
