#pragma once
// The supported families as data. One ArchitectureTable per family says which config.json
// model_type values it covers, the config field names, the block structure (copied into
// ModelSpec), and the Hugging Face weight names. The loading code (load_weights) is shared: it
// reads a family only through its table and the validated ModelSpec.
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/io/safetensors.h"
#include "core/model/spec.h"
#include "core/model/weights.h"
#include "core/util/result.h"

namespace tl {

// How the attention input projections are stored.
enum class QkvLayout {
  Separate,      // q, k, v tensors (BERT, RoBERTa, Llama)
  FusedConcat,   // one tensor whose output axis is Q|K|V (GPT-2 c_attn, Conv1D [D, 3D])
  FusedPerHead,  // one nn.Linear [3D, D] whose output axis is [q, k, v] per head (GPT-NeoX)
};

// config.json field names for the common sizes (the rest is family-specific in config.cpp).
struct ConfigKeys {
  std::string_view hidden_size, num_layers, num_heads, intermediate_size, max_positions, norm_eps, activation;
  std::string_view default_activation;
};

// Weight names. Backbone names are relative to one of `prefixes` (tried in order, the first that
// holds the token embedding wins); layer names are relative to `layer` with "{L}" the 0-based index.
// Norm and linear names are without the ".weight"/".bias" suffix. Head names are absolute.
// An empty name means the family has no such tensor.
struct WeightNames {
  std::vector<std::string_view> prefixes;
  std::string_view token_embedding, position_embedding, token_type_embedding, embedding_norm;
  std::string_view layer;
  std::string_view ln1, ln2;
  std::string_view q, k, v, qkv, o;
  std::string_view up, gate, down;
  std::string_view final_norm;
  std::string_view lm_head;   // untied unembedding (LM head, or the MLM decoder when not tied)
  std::string_view mlm_dense, mlm_norm, mlm_bias;
};

struct ArchitectureTable {
  Family family;
  std::vector<std::string_view> model_types;
  ConfigKeys config;
  Topology topology;
  NormKind norm;
  Positions positions;
  bool causal;
  bool gated_ffn;
  bool embedding_norm;
  bool final_norm;
  bool mlm_head;
  bool default_tied_embeddings;
  bool conv1d;  // linear weights stored [in, out] (GPT-2 Conv1D) instead of nn.Linear [out, in]
  QkvLayout qkv;
  WeightNames names;
};

std::span<const ArchitectureTable> architecture_tables();
const ArchitectureTable& architecture_table(Family family);
// nullptr for an unknown model_type.
const ArchitectureTable* find_architecture(std::string_view model_type);
// "gpt2, bert, roberta, gpt_neox, llama, mistral, qwen2"
std::string supported_model_types();

// Reads every weight the spec calls for into the canonical layout. All names, shapes and dtypes
// are checked before anything is allocated; errors name the tensor and the expected shape.
Result<Weights> load_weights(const ModelSpec& spec, const TensorStore& store);

}  // namespace tl
