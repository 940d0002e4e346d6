// parse_config on family variants the reference checkpoints do not cover (Mistral, Qwen2, SmolLM,
// Llama 3 style ids, NeoX sequential residual, untied/tied defaults), and loading checkpoints whose
// tensor names use the alternative prefixes (GPT2Model without "transformer.").
#include <gtest/gtest.h>

#include <functional>

#include "core/model/model.h"
#include "safetensors_test_util.h"

namespace fs = std::filesystem;
using namespace tl;
using namespace tl::test;
using nlohmann::json;

namespace {

const fs::path kModels = fs::path(TL_TEST_DATA_DIR) / "reference-models";

json llama_config(const char* model_type) {
  return {{"model_type", model_type}, {"hidden_size", 64},  {"intermediate_size", 176},
          {"num_hidden_layers", 2},   {"num_attention_heads", 4}, {"num_key_value_heads", 2},
          {"vocab_size", 1000},       {"rms_norm_eps", 1e-6}, {"rope_theta", 1000000.0}};
}

ModelSpec parse(const json& j) {
  auto s = parse_config(j.dump());
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
  return s.ok() ? s.value() : ModelSpec{};
}

TEST(ModelConfig, MistralIsLlamaWithoutBiases) {
  const ModelSpec s = parse(llama_config("mistral"));
  EXPECT_EQ(s.family, Family::Llama);
  EXPECT_EQ(s.model_type, "mistral");
  EXPECT_FALSE(s.attention_bias);
  EXPECT_FALSE(s.output_bias);
  EXPECT_FALSE(s.mlp_bias);
  EXPECT_DOUBLE_EQ(s.rope_theta, 1e6);
  EXPECT_DOUBLE_EQ(s.norm_eps, 1e-6);
  EXPECT_EQ(s.rotary_dim, 16);
  EXPECT_EQ(s.activation, Activation::Silu);  // hidden_act absent: the family default
  EXPECT_FALSE(s.tied_embeddings);
}

TEST(ModelConfig, Qwen2HasQkvBiasesButNoOutputBias) {
  json j = llama_config("qwen2");
  j["tie_word_embeddings"] = true;
  const ModelSpec s = parse(j);
  EXPECT_TRUE(s.attention_bias);
  EXPECT_FALSE(s.output_bias);
  EXPECT_TRUE(s.tied_embeddings);
}

TEST(ModelConfig, LlamaBiasFlagsAndTokenIds) {
  json j = llama_config("llama");
  j["attention_bias"] = true;
  j["mlp_bias"] = true;
  j["bos_token_id"] = 1;
  j["eos_token_id"] = {2, 7};  // Llama 3 style list: the first is used
  j["pad_token_id"] = -1;      // early converted Llama configs: no pad token
  const ModelSpec s = parse(j);
  EXPECT_TRUE(s.attention_bias);
  EXPECT_TRUE(s.output_bias);
  EXPECT_TRUE(s.mlp_bias);
  EXPECT_EQ(s.bos_token_id, 1);
  EXPECT_EQ(s.eos_token_id, 2);
  EXPECT_EQ(s.pad_token_id, -1);
  EXPECT_EQ(s.num_kv_heads, 2);
}

TEST(ModelConfig, KvHeadsDefaultToHeads) {
  json j = llama_config("llama");
  j.erase("num_key_value_heads");
  EXPECT_EQ(parse(j).num_kv_heads, 4);
}

TEST(ModelConfig, ExplicitHeadDimMustMatch) {
  json j = llama_config("llama");
  j["head_dim"] = 16;
  EXPECT_EQ(parse(j).head_dim, 16);
  j["head_dim"] = 32;
  auto s = parse_config(j.dump());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("head_dim = 32"), std::string::npos) << s.error().message;
}

TEST(ModelConfig, NeoxSequentialResidualAndRopeTheta) {
  json j = json::parse(read_string(kModels / "tiny-gpt-neox" / "config.json"));
  j["use_parallel_residual"] = false;
  j["rotary_pct"] = 1.0;
  j.erase("rotary_emb_base");
  j["rope_theta"] = 500.0;
  const ModelSpec s = parse(j);
  EXPECT_EQ(s.topology, Topology::PreNorm);
  EXPECT_EQ(s.rotary_dim, 16);
  EXPECT_DOUBLE_EQ(s.rope_theta, 500.0);
}

TEST(ModelConfig, Gpt2ExplicitInnerAndActivations) {
  json j = json::parse(read_string(kModels / "tiny-gpt2" / "config.json"));
  j["n_inner"] = 100;
  j["activation_function"] = "relu";
  const ModelSpec s = parse(j);
  EXPECT_EQ(s.intermediate_size, 100);
  EXPECT_EQ(s.activation, Activation::Relu);
  EXPECT_EQ(s.architecture, "GPT2LMHeadModel");
}

// The config is read from the same file for every variant below; only the tensor names change.
Result<std::shared_ptr<const Model>> load_renamed(const char* dir, const std::function<std::string(const std::string&)>& rename,
                                                  std::vector<unsigned char>& keep_bytes) {
  auto split = split_safetensors(read_bytes(kModels / dir / "model.safetensors"));
  json renamed = json::object();
  for (auto& [k, v] : split.header.items()) renamed[k == "__metadata__" ? k : rename(k)] = v;
  keep_bytes = make_safetensors(renamed, split.data);
  return load_model_from_memory(read_string(kModels / dir / "config.json"), keep_bytes, dir);
}

TEST(ModelConfig, Gpt2ModelWithoutTransformerPrefix) {
  std::vector<unsigned char> bytes;
  auto m = load_renamed("tiny-gpt2", [](const std::string& k) { return k.substr(k.find('.') + 1); }, bytes);
  ASSERT_TRUE(m.ok()) << m.error().message;
  auto ref = load_model(kModels / "tiny-gpt2");
  ASSERT_TRUE(ref.ok());
  EXPECT_TRUE(m.value()->weights.blocks[1].attn.v.W == ref.value()->weights.blocks[1].attn.v.W);
  EXPECT_TRUE(m.value()->weights.final_norm.beta == ref.value()->weights.final_norm.beta);
}

TEST(ModelConfig, TensorFlowGammaBetaNames) {
  std::vector<unsigned char> bytes;
  auto m = load_renamed("tiny-bert", [](std::string k) {
    const auto ln = k.find("LayerNorm.");
    if (ln != std::string::npos) k = k.substr(0, ln + 10) + (k.ends_with(".weight") ? "gamma" : "beta");
    return k;
  }, bytes);
  ASSERT_TRUE(m.ok()) << m.error().message;
  auto ref = load_model(kModels / "tiny-bert");
  ASSERT_TRUE(ref.ok());
  EXPECT_TRUE(m.value()->weights.blocks[0].ln1.beta == ref.value()->weights.blocks[0].ln1.beta);
  EXPECT_TRUE(m.value()->weights.embedding_norm.gamma == ref.value()->weights.embedding_norm.gamma);
}

}  // namespace
