#include "core/model/architectures.h"

#include <functional>

namespace tl {

namespace {

// One row per family; every field named (designated initializers), empty names left out.
// clang-format off
const std::vector<ArchitectureTable> kTables = {
  {.family = Family::Gpt2,
   .model_types = {"gpt2"},
   .config = {.hidden_size = "n_embd",
              .num_layers = "n_layer",
              .num_heads = "n_head",
              .intermediate_size = "n_inner",
              .max_positions = "n_positions",
              .norm_eps = "layer_norm_epsilon",
              .activation = "activation_function",
              .default_activation = "gelu_new"},
   .topology = Topology::PreNorm,
   .norm = NormKind::LayerNorm,
   .positions = Positions::Learned,
   .causal = true,
   .gated_ffn = false,
   .embedding_norm = false,
   .final_norm = true,
   .mlm_head = false,
   .default_tied_embeddings = true,
   .conv1d = true,
   .qkv = QkvLayout::FusedConcat,
   .names = {.prefixes = {"transformer.", ""},
             .token_embedding = "wte",
             .position_embedding = "wpe",
             .layer = "h.{L}.",
             .ln1 = "ln_1",
             .ln2 = "ln_2",
             .qkv = "attn.c_attn",
             .o = "attn.c_proj",
             .up = "mlp.c_fc",
             .down = "mlp.c_proj",
             .final_norm = "ln_f",
             .lm_head = "lm_head"}},
  {.family = Family::Bert,
   .model_types = {"bert"},
   .config = {.hidden_size = "hidden_size",
              .num_layers = "num_hidden_layers",
              .num_heads = "num_attention_heads",
              .intermediate_size = "intermediate_size",
              .max_positions = "max_position_embeddings",
              .norm_eps = "layer_norm_eps",
              .activation = "hidden_act",
              .default_activation = "gelu"},
   .topology = Topology::PostNorm,
   .norm = NormKind::LayerNorm,
   .positions = Positions::Learned,
   .causal = false,
   .gated_ffn = false,
   .embedding_norm = true,
   .final_norm = false,
   .mlm_head = true,
   .default_tied_embeddings = true,
   .conv1d = false,
   .qkv = QkvLayout::Separate,
   .names = {.prefixes = {"bert.", ""},
             .token_embedding = "embeddings.word_embeddings",
             .position_embedding = "embeddings.position_embeddings",
             .token_type_embedding = "embeddings.token_type_embeddings",
             .embedding_norm = "embeddings.LayerNorm",
             .layer = "encoder.layer.{L}.",
             .ln1 = "attention.output.LayerNorm",
             .ln2 = "output.LayerNorm",
             .q = "attention.self.query",
             .k = "attention.self.key",
             .v = "attention.self.value",
             .o = "attention.output.dense",
             .up = "intermediate.dense",
             .down = "output.dense",
             .lm_head = "cls.predictions.decoder",
             .mlm_dense = "cls.predictions.transform.dense",
             .mlm_norm = "cls.predictions.transform.LayerNorm",
             .mlm_bias = "cls.predictions.bias"}},
  {.family = Family::Roberta,
   .model_types = {"roberta"},
   .config = {.hidden_size = "hidden_size",
              .num_layers = "num_hidden_layers",
              .num_heads = "num_attention_heads",
              .intermediate_size = "intermediate_size",
              .max_positions = "max_position_embeddings",
              .norm_eps = "layer_norm_eps",
              .activation = "hidden_act",
              .default_activation = "gelu"},
   .topology = Topology::PostNorm,
   .norm = NormKind::LayerNorm,
   .positions = Positions::Learned,
   .causal = false,
   .gated_ffn = false,
   .embedding_norm = true,
   .final_norm = false,
   .mlm_head = true,
   .default_tied_embeddings = true,
   .conv1d = false,
   .qkv = QkvLayout::Separate,
   .names = {.prefixes = {"roberta.", ""},
             .token_embedding = "embeddings.word_embeddings",
             .position_embedding = "embeddings.position_embeddings",
             .token_type_embedding = "embeddings.token_type_embeddings",
             .embedding_norm = "embeddings.LayerNorm",
             .layer = "encoder.layer.{L}.",
             .ln1 = "attention.output.LayerNorm",
             .ln2 = "output.LayerNorm",
             .q = "attention.self.query",
             .k = "attention.self.key",
             .v = "attention.self.value",
             .o = "attention.output.dense",
             .up = "intermediate.dense",
             .down = "output.dense",
             .lm_head = "lm_head.decoder",
             .mlm_dense = "lm_head.dense",
             .mlm_norm = "lm_head.layer_norm",
             .mlm_bias = "lm_head.bias"}},
  {.family = Family::GptNeox,
   .model_types = {"gpt_neox"},
   .config = {.hidden_size = "hidden_size",
              .num_layers = "num_hidden_layers",
              .num_heads = "num_attention_heads",
              .intermediate_size = "intermediate_size",
              .max_positions = "max_position_embeddings",
              .norm_eps = "layer_norm_eps",
              .activation = "hidden_act",
              .default_activation = "gelu"},
   .topology = Topology::Parallel,  // config use_parallel_residual may pick PreNorm
   .norm = NormKind::LayerNorm,
   .positions = Positions::Rotary,
   .causal = true,
   .gated_ffn = false,
   .embedding_norm = false,
   .final_norm = true,
   .mlm_head = false,
   .default_tied_embeddings = false,
   .conv1d = false,
   .qkv = QkvLayout::FusedPerHead,
   .names = {.prefixes = {"gpt_neox.", ""},
             .token_embedding = "embed_in",
             .layer = "layers.{L}.",
             .ln1 = "input_layernorm",
             .ln2 = "post_attention_layernorm",
             .qkv = "attention.query_key_value",
             .o = "attention.dense",
             .up = "mlp.dense_h_to_4h",
             .down = "mlp.dense_4h_to_h",
             .final_norm = "final_layer_norm",
             .lm_head = "embed_out"}},
  {.family = Family::Llama,
   .model_types = {"llama", "mistral", "qwen2"},
   .config = {.hidden_size = "hidden_size",
              .num_layers = "num_hidden_layers",
              .num_heads = "num_attention_heads",
              .intermediate_size = "intermediate_size",
              .max_positions = "max_position_embeddings",
              .norm_eps = "rms_norm_eps",
              .activation = "hidden_act",
              .default_activation = "silu"},
   .topology = Topology::PreNorm,
   .norm = NormKind::RMSNorm,
   .positions = Positions::Rotary,
   .causal = true,
   .gated_ffn = true,
   .embedding_norm = false,
   .final_norm = true,
   .mlm_head = false,
   .default_tied_embeddings = false,
   .conv1d = false,
   .qkv = QkvLayout::Separate,
   .names = {.prefixes = {"model.", ""},
             .token_embedding = "embed_tokens",
             .layer = "layers.{L}.",
             .ln1 = "input_layernorm",
             .ln2 = "post_attention_layernorm",
             .q = "self_attn.q_proj",
             .k = "self_attn.k_proj",
             .v = "self_attn.v_proj",
             .o = "self_attn.o_proj",
             .up = "mlp.up_proj",
             .gate = "mlp.gate_proj",
             .down = "mlp.down_proj",
             .final_norm = "norm",
             .lm_head = "lm_head"}},
};
// clang-format on

using Shape = std::vector<std::int64_t>;

// Plans the copies while checking names, shapes and dtypes, then runs them: nothing is allocated
// until every tensor the spec needs has been found and checked.
class WeightLoader {
 public:
  WeightLoader(const ModelSpec& spec, const ArchitectureTable& table, const TensorStore& store, std::string prefix)
      : spec_(spec), table_(table), store_(store), prefix_(std::move(prefix)) {}

  std::string backbone(std::string_view rel) const { return prefix_ + std::string(rel); }
  std::string layer(int l, std::string_view rel) const {
    std::string s = prefix_ + std::string(table_.names.layer);
    s.replace(s.find("{L}"), 3, std::to_string(l));
    return s + std::string(rel);
  }

  // A [rows, cols] tensor stored row-major (embeddings, [V, D] heads) into a MatF of the same shape.
  Status matrix(const std::string& name, std::int64_t rows, std::int64_t cols, MatF& dst) {
    auto t = require(name, {rows, cols});
    if (!t) return t.error();
    steps_.push_back([t = t.value(), rows, cols, &dst] {
      dst.resize(rows, cols);
      return copy_block_as_float(*t, 0, rows, 0, cols, dst.data(), 1, rows);
    });
    return {};
  }

  Status vector(const std::string& name, std::int64_t n, VecF& dst) {
    auto t = require(name, {n});
    if (!t) return t.error();
    steps_.push_back([t = t.value(), n, &dst] {
      dst.resize(n);
      return copy_block_as_float(*t, 0, 1, 0, n, dst.data(), 0, 1);
    });
    return {};
  }

  // `base` is the full name without ".weight"/".bias".
  Status norm(const std::string& base, std::int64_t n, NormWeights& dst) {
    // Checkpoints converted from TensorFlow name LayerNorm parameters gamma/beta.
    const bool tf_names = !store_.find(base + ".weight") && store_.find(base + ".gamma");
    if (auto st = vector(base + (tf_names ? ".gamma" : ".weight"), n, dst.gamma); !st) return st;
    if (spec_.norm == NormKind::LayerNorm) return vector(base + (tf_names ? ".beta" : ".bias"), n, dst.beta);
    return {};
  }

  // A linear map in -> out into W [in, out] (+ bias [out]).
  Status linear(const std::string& base, std::int64_t in, std::int64_t out, bool bias, Linear& dst) {
    auto t = require(base + ".weight", weight_shape(in, out));
    if (!t) return t.error();
    steps_.push_back([this, t = t.value(), in, out, &dst] {
      dst.W.resize(in, out);
      return copy_outputs(*t, in, 0, out, dst.W, 0);
    });
    return bias ? vector(base + ".bias", out, dst.b) : Status{};
  }

  // A fused Q|K|V projection split into attn.q/k/v. FusedConcat: output axis is [Q | K | V];
  // FusedPerHead: [q_h, k_h, v_h] for each head h in turn (all heads have their own k and v).
  Status fused_qkv(const std::string& base, AttentionWeights& dst) {
    const std::int64_t D = spec_.hidden_size, hd = spec_.head_dim, H = spec_.num_heads;
    const std::int64_t qd = H * hd, kvd = std::int64_t(spec_.num_kv_heads) * hd, total = qd + 2 * kvd;
    if (table_.qkv == QkvLayout::FusedPerHead && kvd != qd)
      return make_error(store_.source() + ": fused per-head query_key_value needs num_kv_heads == num_heads");
    auto w = require(base + ".weight", weight_shape(D, total));
    if (!w) return w.error();
    const SafetensorsTensor* b = nullptr;
    if (spec_.attention_bias) {
      auto bt = require(base + ".bias", {total});
      if (!bt) return bt.error();
      b = bt.value();
    }
    Linear* parts[3] = {&dst.q, &dst.k, &dst.v};
    const std::int64_t widths[3] = {qd, kvd, kvd};
    steps_.push_back([this, w = w.value(), b, parts, widths, D, hd, H]() -> Status {
      for (int p = 0; p < 3; ++p) {
        parts[p]->W.resize(D, widths[p]);
        if (b) parts[p]->b.resize(widths[p]);
      }
      // Each piece: (part, source output offset, count, destination output offset).
      auto piece = [&](int p, std::int64_t src0, std::int64_t n, std::int64_t dst0) -> Status {
        if (auto st = copy_outputs(*w, D, src0, n, parts[p]->W, dst0); !st) return st;
        return b ? copy_block_as_float(*b, 0, 1, src0, n, parts[p]->b.data() + dst0, 0, 1) : Status{};
      };
      if (table_.qkv == QkvLayout::FusedConcat) {
        std::int64_t src0 = 0;
        for (int p = 0; p < 3; src0 += widths[p], ++p)
          if (auto st = piece(p, src0, widths[p], 0); !st) return st;
      } else {
        for (std::int64_t h = 0; h < H; ++h)
          for (int p = 0; p < 3; ++p)
            if (auto st = piece(p, h * 3 * hd + p * hd, hd, h * hd); !st) return st;
      }
      return {};
    });
    return {};
  }

  Status run() {
    for (auto& step : steps_)
      if (auto st = step(); !st) return st;
    return {};
  }

 private:
  Shape weight_shape(std::int64_t in, std::int64_t out) const { return table_.conv1d ? Shape{in, out} : Shape{out, in}; }

  // Output features [src0, src0 + n) of a stored linear weight into columns [dst0, dst0 + n) of W [in, out].
  Status copy_outputs(const SafetensorsTensor& t, std::int64_t in, std::int64_t src0, std::int64_t n, MatF& W,
                      std::int64_t dst0) const {
    float* d = W.data() + dst0 * in;
    return table_.conv1d ? copy_block_as_float(t, 0, in, src0, n, d, 1, in)   // [in, out]: transpose
                         : copy_block_as_float(t, src0, n, 0, in, d, in, 1);  // [out, in]: same bytes order
  }

  Result<const SafetensorsTensor*> require(const std::string& name, const Shape& shape) const {
    const SafetensorsTensor* t = store_.find(name);
    if (!t)
      return make_error(store_.source() + ": missing tensor '" + name + "' (expected shape " + shape_string(shape) + ")");
    if (t->shape != shape)
      return make_error(t->source + ": tensor '" + name + "' has shape " + shape_string(t->shape) + ", expected " +
                        shape_string(shape));
    if (!t->is_float())
      return make_error(t->source + ": tensor '" + name + "' has dtype " + t->dtype +
                        ", which is not supported (supported: F32, F16, BF16)");
    return t;
  }

  const ModelSpec& spec_;
  const ArchitectureTable& table_;
  const TensorStore& store_;
  std::string prefix_;
  std::vector<std::function<Status()>> steps_;
};

#define TL_TRY(expr)               \
  do {                             \
    if (auto st_ = (expr); !st_) { \
      return st_.error();          \
    }                              \
  } while (0)

// A tensor of a layer the config does not have means the config and the weights disagree.
Status check_no_extra_layers(const ModelSpec& spec, const ArchitectureTable& table, const TensorStore& store,
                             const std::string& prefix) {
  const std::string_view pattern = table.names.layer;
  const std::string head = prefix + std::string(pattern.substr(0, pattern.find("{L}")));
  for (const auto& name : store.names()) {
    if (name.compare(0, head.size(), head) != 0) continue;
    std::size_t i = head.size();
    long long index = 0;
    bool digits = false;
    while (i < name.size() && name[i] >= '0' && name[i] <= '9' && index < 1'000'000'000)
      index = index * 10 + (name[i++] - '0'), digits = true;
    if (digits && i < name.size() && name[i] == '.' && index >= spec.num_layers)
      return make_error(store.source() + ": tensor '" + name + "' belongs to layer " + std::to_string(index) +
                        " but the config has " + std::to_string(spec.num_layers) + " layers");
  }
  return {};
}

}  // namespace

std::span<const ArchitectureTable> architecture_tables() { return kTables; }

const ArchitectureTable& architecture_table(Family family) {
  for (const auto& t : kTables)
    if (t.family == family) return t;
  return kTables.front();  // unreachable: every Family has a table
}

const ArchitectureTable* find_architecture(std::string_view model_type) {
  for (const auto& t : kTables)
    for (auto name : t.model_types)
      if (name == model_type) return &t;
  return nullptr;
}

std::string supported_model_types() {
  std::string s;
  for (const auto& t : kTables)
    for (auto name : t.model_types) s += (s.empty() ? "" : ", ") + std::string(name);
  return s;
}

Result<Weights> load_weights(const ModelSpec& spec, const TensorStore& store) {
  const ArchitectureTable& table = architecture_table(spec.family);
  const WeightNames& n = table.names;
  const std::int64_t V = spec.vocab_size, D = spec.hidden_size, F = spec.intermediate_size;
  const std::int64_t qd = std::int64_t(spec.num_heads) * spec.head_dim, kvd = std::int64_t(spec.num_kv_heads) * spec.head_dim;

  std::string prefix;
  bool found = false;
  for (auto p : n.prefixes) {
    if (store.find(std::string(p) + std::string(n.token_embedding) + ".weight")) {
      prefix = std::string(p), found = true;
      break;
    }
  }
  if (!found)
    return make_error(store.source() + ": missing tensor '" + std::string(n.prefixes.front()) +
                      std::string(n.token_embedding) + ".weight' (expected shape [" + std::to_string(V) + ", " +
                      std::to_string(D) + "]); is this a " + to_string(spec.family) + " checkpoint?");
  TL_TRY(check_no_extra_layers(spec, table, store, prefix));

  Weights w;
  WeightLoader ld(spec, table, store, prefix);
  TL_TRY(ld.matrix(ld.backbone(n.token_embedding) + ".weight", V, D, w.token_embedding));
  if (spec.positions == Positions::Learned)
    TL_TRY(ld.matrix(ld.backbone(n.position_embedding) + ".weight", spec.max_positions, D, w.position_embedding));
  if (spec.type_vocab_size > 0)
    TL_TRY(ld.matrix(ld.backbone(n.token_type_embedding) + ".weight", spec.type_vocab_size, D, w.token_type_embedding));
  if (spec.embedding_norm) TL_TRY(ld.norm(ld.backbone(n.embedding_norm), D, w.embedding_norm));

  w.blocks.resize(spec.num_layers);
  for (int l = 0; l < spec.num_layers; ++l) {
    BlockWeights& b = w.blocks[l];
    TL_TRY(ld.norm(ld.layer(l, n.ln1), D, b.ln1));
    TL_TRY(ld.norm(ld.layer(l, n.ln2), D, b.ln2));
    if (table.qkv == QkvLayout::Separate) {
      TL_TRY(ld.linear(ld.layer(l, n.q), D, qd, spec.attention_bias, b.attn.q));
      TL_TRY(ld.linear(ld.layer(l, n.k), D, kvd, spec.attention_bias, b.attn.k));
      TL_TRY(ld.linear(ld.layer(l, n.v), D, kvd, spec.attention_bias, b.attn.v));
    } else {
      TL_TRY(ld.fused_qkv(ld.layer(l, n.qkv), b.attn));
    }
    TL_TRY(ld.linear(ld.layer(l, n.o), qd, D, spec.output_bias, b.attn.o));
    TL_TRY(ld.linear(ld.layer(l, n.up), D, F, spec.mlp_bias, b.ffn.up));
    if (spec.gated_ffn) TL_TRY(ld.linear(ld.layer(l, n.gate), D, F, spec.mlp_bias, b.ffn.gate));
    TL_TRY(ld.linear(ld.layer(l, n.down), F, D, spec.mlp_bias, b.ffn.down));
  }
  if (spec.final_norm) TL_TRY(ld.norm(ld.backbone(n.final_norm), D, w.final_norm));
  if (spec.mlm_head) {
    w.mlm.emplace();
    TL_TRY(ld.linear(std::string(n.mlm_dense), D, D, true, w.mlm->dense));
    TL_TRY(ld.norm(std::string(n.mlm_norm), D, w.mlm->norm));
    TL_TRY(ld.vector(std::string(n.mlm_bias), V, w.mlm->decoder_bias));
  }
  // Tied: the head in the file (if any) is the same matrix as the token embedding; not loaded.
  if (!spec.tied_embeddings) TL_TRY(ld.matrix(std::string(n.lm_head) + ".weight", V, D, w.lm_head));

  TL_TRY(ld.run());
  return w;
}

}  // namespace tl
