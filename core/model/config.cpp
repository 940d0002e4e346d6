// parse_config: config.json -> validated ModelSpec. The family table gives the field names and the
// block structure; this file reads and range-checks the numbers, including the family-specific
// fields (GPT-2 n_inner, RoBERTa position offset, NeoX rotary_pct, Llama GQA and biases). Sizes are
// bounded and the total parameter memory is computed before anything is allocated.
#include <cmath>
#include <cstdio>
#include <optional>
#include <nlohmann/json.hpp>

#include "core/io/json_util.h"
#include "core/model/architectures.h"
#include "core/model/model.h"

namespace tl {

namespace {

using json = nlohmann::json;

// Far above any real checkpoint, low enough that products of them cannot overflow int64.
constexpr std::int64_t kMaxHidden = 1 << 16;
constexpr std::int64_t kMaxLayers = 1024;
constexpr std::int64_t kMaxHeads = 1024;
constexpr std::int64_t kMaxIntermediate = 1 << 20;
constexpr std::int64_t kMaxVocab = 1 << 22;
constexpr std::int64_t kMaxPositions = 1 << 24;
constexpr std::int64_t kMaxTypeVocab = 1024;
constexpr double kMaxParameterBytes = 64.0 * (1ull << 30);  // float32 weights held in memory

// "key" with its double quotes. (Built by appending: GCC 12 warns falsely on "lit" + std::string&&.)
std::string quoted_key(std::string_view key) {
  std::string s(1, '"');
  s.append(key);
  s.push_back('"');
  return s;
}

class ConfigReader {
 public:
  ConfigReader(const json& j, std::string source) : j_(j), source_(std::move(source)) {}

  Error error(const std::string& what) const { return make_error(source_ + ": " + what); }
  bool has(std::string_view key) const { return j_.contains(key) && !j_.at(std::string(key)).is_null(); }

  // Integer in [lo, hi]; `fallback` when absent or null (nullopt: required).
  Result<std::int64_t> integer(std::string_view key, std::int64_t lo, std::int64_t hi,
                               std::optional<std::int64_t> fallback = std::nullopt) const {
    if (!has(key)) {
      if (fallback) return *fallback;
      return error("missing " + quoted_key(key));
    }
    const json& v = j_.at(std::string(key));
    std::int64_t x = 0;
    if (v.is_number_integer() && !(v.is_number_unsigned() && v.get<std::uint64_t>() > std::uint64_t(INT64_MAX)))
      x = v.get<std::int64_t>();
    else if (v.is_number_unsigned())
      return error(std::string(key) + " = " + v.dump() + " is out of range (" + range(lo, hi) + ")");
    else
      return error(quoted_key(key) + " must be an integer in " + range(lo, hi) + ": the value " + json_integer_problem(v));
    if (x < lo || x > hi) return error(std::string(key) + " = " + std::to_string(x) + " is out of range (" + range(lo, hi) + ")");
    return x;
  }

  // Finite number in (lo, hi]; `fallback` when absent or null.
  Result<double> number(std::string_view key, double lo, double hi, std::optional<double> fallback = std::nullopt) const {
    if (!has(key)) {
      if (fallback) return *fallback;
      return error("missing " + quoted_key(key));
    }
    const json& v = j_.at(std::string(key));
    if (!v.is_number()) return error(quoted_key(key) + " must be a number, got " + v.dump());
    const double x = v.get<double>();
    if (!std::isfinite(x) || x <= lo || x > hi)
      return error(std::string(key) + " = " + v.dump() + " is out of range (" + json(lo).dump() + ", " + json(hi).dump() + "]");
    return x;
  }

  Result<bool> boolean(std::string_view key, bool fallback) const {
    if (!has(key)) return fallback;
    const json& v = j_.at(std::string(key));
    if (!v.is_boolean()) return error(quoted_key(key) + " must be true or false, got " + v.dump());
    return v.get<bool>();
  }

  Result<std::string> string(std::string_view key, std::string fallback) const {
    if (!has(key)) return fallback;
    const json& v = j_.at(std::string(key));
    if (!v.is_string()) return error(quoted_key(key) + " must be a string, got " + v.dump());
    return v.get<std::string>();
  }

  // Special-token id: an integer, a list (first entry used, e.g. Llama 3 eos), or null/absent (-1).
  // Negative ids (old Llama configs write pad_token_id -1) mean "none".
  Result<int> token_id(std::string_view key, std::int64_t vocab) const {
    if (!has(key)) return -1;
    const json* v = &j_.at(std::string(key));
    if (v->is_array()) {
      if (v->empty()) return -1;
      v = &v->front();
    }
    if (!v->is_number_integer())
      return error(quoted_key(key) + " must be an integer token id: the value " + json_integer_problem(*v));
    if (v->is_number_unsigned() ? v->get<std::uint64_t>() >= std::uint64_t(vocab) : v->get<std::int64_t>() >= vocab)
      return error(std::string(key) + " = " + v->dump() + " is not below vocab_size " + std::to_string(vocab));
    const std::int64_t id = v->get<std::int64_t>();
    return id < 0 ? -1 : int(id);
  }

 private:
  static std::string range(std::int64_t lo, std::int64_t hi) { return std::to_string(lo) + ".." + std::to_string(hi); }
  const json& j_;
  std::string source_;
};

#define TL_ASSIGN(lhs, expr)             \
  do {                                   \
    auto r_ = (expr);                    \
    if (!r_) return r_.error();          \
    lhs = static_cast<decltype(lhs)>(*r_); \
  } while (0)

Result<Activation> parse_activation(const ConfigReader& r, std::string_view key, const std::string& name) {
  if (name == "gelu") return Activation::GeluErf;
  // gelu_new, gelu_pytorch_tanh and gelu_fast are the same tanh approximation.
  if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast") return Activation::GeluTanh;
  if (name == "silu" || name == "swish") return Activation::Silu;
  if (name == "relu") return Activation::Relu;
  return r.error(std::string(key) + " '" + name +
                 "' is not supported (supported: gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, silu, swish, relu)");
}

Status check_rope_scaling(const ConfigReader& r, const json& j) {
  if (r.has("rope_scaling"))
    return r.error("rope_scaling " + j.at("rope_scaling").dump() + " is not supported (only unscaled RoPE)");
  return {};
}

// GPT-2: n_inner null means 4 * n_embd; always biased.
Status read_gpt2(const ConfigReader& r, ModelSpec& s) {
  TL_ASSIGN(s.intermediate_size, r.integer("n_inner", 1, kMaxIntermediate, 4 * std::int64_t(s.hidden_size)));
  // These change the attention scores; ModelSpec has no way to express them.
  bool scale = true, by_layer = false;
  TL_ASSIGN(scale, r.boolean("scale_attn_weights", true));
  TL_ASSIGN(by_layer, r.boolean("scale_attn_by_inverse_layer_idx", false));
  if (!scale) return r.error("scale_attn_weights = false is not supported");
  if (by_layer) return r.error("scale_attn_by_inverse_layer_idx = true is not supported");
  s.attention_bias = s.output_bias = s.mlp_bias = true;
  return {};
}

Status read_bert_like(const ConfigReader& r, ModelSpec& s) {
  std::string pos;
  TL_ASSIGN(pos, r.string("position_embedding_type", "absolute"));
  if (pos != "absolute") return r.error("position_embedding_type '" + pos + "' is not supported (only absolute)");
  TL_ASSIGN(s.type_vocab_size, r.integer("type_vocab_size", 0, kMaxTypeVocab, 2));
  s.attention_bias = s.output_bias = s.mlp_bias = true;
  if (s.family == Family::Roberta) {
    // RoBERTa numbers positions from padding_idx + 1 (create_position_ids_from_input_ids).
    if (s.pad_token_id < 0) return r.error("roberta needs pad_token_id (positions start at pad_token_id + 1)");
    s.position_offset = s.pad_token_id + 1;
    if (s.position_offset >= s.max_positions)
      return r.error("pad_token_id = " + std::to_string(s.pad_token_id) + " leaves no positions below max_position_embeddings = " +
                     std::to_string(s.max_positions));
  }
  return {};
}

Status read_gpt_neox(const ConfigReader& r, const json& j, ModelSpec& s) {
  if (auto st = check_rope_scaling(r, j); !st) return st;
  bool parallel = true;
  TL_ASSIGN(parallel, r.boolean("use_parallel_residual", true));
  s.topology = parallel ? Topology::Parallel : Topology::PreNorm;
  double pct = 0.25;
  TL_ASSIGN(pct, r.number("rotary_pct", 0.0, 1.0, 0.25));
  s.rotary_dim = int(s.head_dim * pct);  // as HF: int(head_size * rotary_pct)
  if (s.rotary_dim < 2 || s.rotary_dim % 2 != 0)
    return r.error("rotary_pct = " + json(pct).dump() + " gives " + std::to_string(s.rotary_dim) +
                   " rotary dims per head; an even number >= 2 is needed");
  // Newer configs write rope_theta; 4.31 writes rotary_emb_base.
  TL_ASSIGN(s.rope_theta, r.number(r.has("rope_theta") ? "rope_theta" : "rotary_emb_base", 0.0, 1e12, 10000.0));
  TL_ASSIGN(s.attention_bias, r.boolean("attention_bias", true));
  s.output_bias = s.mlp_bias = true;
  return {};
}

Status read_llama(const ConfigReader& r, const json& j, ModelSpec& s) {
  if (auto st = check_rope_scaling(r, j); !st) return st;
  TL_ASSIGN(s.rope_theta, r.number("rope_theta", 0.0, 1e12, 10000.0));
  if (s.head_dim % 2 != 0) return r.error("head_dim " + std::to_string(s.head_dim) + " is odd; RoPE needs an even head size");
  s.rotary_dim = s.head_dim;
  if (s.model_type == "qwen2") {
    s.attention_bias = true;  // Qwen2: q/k/v have biases, o_proj does not
    s.output_bias = false;
  } else {
    bool bias = false;
    TL_ASSIGN(bias, r.boolean("attention_bias", false));
    s.attention_bias = s.output_bias = bias;
  }
  TL_ASSIGN(s.mlp_bias, r.boolean("mlp_bias", false));
  return {};
}

}  // namespace

Result<ModelSpec> parse_config(std::string_view text, std::string_view source_name) {
  const std::string source(source_name);
  auto parsed = parse_json(text, source);
  if (!parsed) return parsed.error();
  const json& j = parsed.value();
  if (!j.is_object()) return make_error(source + ": not a JSON object");
  ConfigReader r(j, source);

  std::string model_type;
  TL_ASSIGN(model_type, r.string("model_type", ""));
  if (model_type.empty()) return r.error("missing \"model_type\" (supported: " + supported_model_types() + ")");
  const ArchitectureTable* table = find_architecture(model_type);
  if (!table) return r.error("unknown model_type '" + model_type + "' (supported: " + supported_model_types() + ")");
  const ConfigKeys& k = table->config;

  ModelSpec s;
  s.family = table->family;
  s.model_type = model_type;
  if (j.contains("architectures") && j["architectures"].is_array() && !j["architectures"].empty() &&
      j["architectures"][0].is_string())
    s.architecture = j["architectures"][0].get<std::string>();
  s.topology = table->topology;
  s.norm = table->norm;
  s.positions = table->positions;
  s.causal = table->causal;
  s.gated_ffn = table->gated_ffn;
  s.embedding_norm = table->embedding_norm;
  s.final_norm = table->final_norm;
  s.mlm_head = table->mlm_head;

  TL_ASSIGN(s.vocab_size, r.integer("vocab_size", 1, kMaxVocab));
  TL_ASSIGN(s.hidden_size, r.integer(k.hidden_size, 1, kMaxHidden));
  TL_ASSIGN(s.num_layers, r.integer(k.num_layers, 1, kMaxLayers));
  TL_ASSIGN(s.num_heads, r.integer(k.num_heads, 1, kMaxHeads));
  TL_ASSIGN(s.max_positions, r.integer(k.max_positions, 1, kMaxPositions, table->positions == Positions::Rotary ? 2048 : 512));
  if (table->family != Family::Gpt2) TL_ASSIGN(s.intermediate_size, r.integer(k.intermediate_size, 1, kMaxIntermediate));
  if (s.hidden_size % s.num_heads != 0)
    return r.error(std::string(k.hidden_size) + " = " + std::to_string(s.hidden_size) + " is not divisible by " +
                   std::string(k.num_heads) + " = " + std::to_string(s.num_heads));
  s.head_dim = s.hidden_size / s.num_heads;
  if (r.has("head_dim")) {
    std::int64_t hd = 0;
    TL_ASSIGN(hd, r.integer("head_dim", 1, kMaxHidden));
    if (hd != s.head_dim)
      return r.error("head_dim = " + std::to_string(hd) + " differs from hidden_size / num_attention_heads = " +
                     std::to_string(s.head_dim) + " (not supported)");
  }
  s.num_kv_heads = s.num_heads;
  if (table->family == Family::Llama) TL_ASSIGN(s.num_kv_heads, r.integer("num_key_value_heads", 1, kMaxHeads, s.num_heads));
  if (s.num_heads % s.num_kv_heads != 0)
    return r.error(std::string(k.num_heads) + " = " + std::to_string(s.num_heads) +
                   " is not divisible by num_key_value_heads = " + std::to_string(s.num_kv_heads));
  TL_ASSIGN(s.norm_eps, r.number(k.norm_eps, 0.0, 1.0, table->norm == NormKind::RMSNorm ? 1e-6 : 1e-5));
  std::string act;
  TL_ASSIGN(act, r.string(k.activation, std::string(k.default_activation)));
  TL_ASSIGN(s.activation, parse_activation(r, k.activation, act));
  TL_ASSIGN(s.tied_embeddings, r.boolean("tie_word_embeddings", table->default_tied_embeddings));
  TL_ASSIGN(s.pad_token_id, r.token_id("pad_token_id", s.vocab_size));
  TL_ASSIGN(s.bos_token_id, r.token_id("bos_token_id", s.vocab_size));
  TL_ASSIGN(s.eos_token_id, r.token_id("eos_token_id", s.vocab_size));

  Status st;
  switch (s.family) {
    case Family::Gpt2: st = read_gpt2(r, s); break;
    case Family::Bert:
    case Family::Roberta: st = read_bert_like(r, s); break;
    case Family::GptNeox: st = read_gpt_neox(r, j, s); break;
    case Family::Llama: st = read_llama(r, j, s); break;
  }
  if (!st) return st.error();
  // The masked-LM head's activation: BERT's uses hidden_act; RoBERTa's RobertaLMHead calls gelu
  // (erf) whatever hidden_act says.
  s.mlm_activation = s.family == Family::Roberta ? Activation::GeluErf : s.activation;

  // Every size is bounded above, so this product cannot overflow; refuse before any allocation.
  const std::int64_t params = s.parameter_count();
  const double bytes = double(params) * sizeof(float);
  if (bytes > kMaxParameterBytes) {
    char gib[32];
    std::snprintf(gib, sizeof gib, "%.1f", bytes / double(1ull << 30));
    return r.error("model needs " + std::to_string(params) + " parameters = " + gib +
                   " GiB as float32, beyond the 64 GiB limit (hidden_size " + std::to_string(s.hidden_size) +
                   ", layers " + std::to_string(s.num_layers) + ", vocab " + std::to_string(s.vocab_size) + ")");
  }
  return s;
}

}  // namespace tl
