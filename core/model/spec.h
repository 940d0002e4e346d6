#pragma once
// ModelSpec: what config.json says, validated once at load. Families are data: the per-family
// table (architectures.cpp) maps a model_type to topology, norm, activation, positions and the
// Hugging Face weight names; the block code is shared.
#include <cstdint>
#include <string>

namespace tl {

enum class Family { Bert, Roberta, Gpt2, GptNeox, Llama };
enum class NormKind { LayerNorm, RMSNorm };
enum class Activation { GeluErf, GeluTanh, Silu, Relu };
// PreNorm: x + attn(ln1(x)), then h + ffn(ln2(h))                   (GPT-2, Llama, NeoX sequential)
// PostNorm: h = ln1(x + attn(x)), out = ln2(h + ffn(h))              (BERT, RoBERTa)
// Parallel: x + attn(ln1(x)) + ffn(ln2(x))                           (GPT-NeoX use_parallel_residual)
enum class Topology { PreNorm, PostNorm, Parallel };
enum class Positions { Learned, Rotary };

const char* to_string(Family f);
const char* to_string(NormKind n);
const char* to_string(Activation a);
const char* to_string(Topology t);

struct ModelSpec {
  Family family = Family::Llama;
  std::string model_type;    // config.json "model_type"
  std::string architecture;  // config.json "architectures"[0], if any
  std::string stored_dtype;  // "F32", "F16", "BF16" (most common in the file), converted to f32 on load

  int vocab_size = 0;
  int hidden_size = 0;         // D
  int num_layers = 0;          // L (blocks numbered 1..L in the UI and CLI)
  int num_heads = 0;           // H (query heads)
  int num_kv_heads = 0;        // GQA: query head h uses kv head h / (H / KV)
  int head_dim = 0;            // D / H
  int intermediate_size = 0;   // F
  int max_positions = 0;
  int type_vocab_size = 0;     // BERT segments; 0 when absent

  NormKind norm = NormKind::LayerNorm;
  double norm_eps = 1e-5;
  Activation activation = Activation::GeluErf;
  Topology topology = Topology::PreNorm;
  Positions positions = Positions::Learned;
  bool gated_ffn = false;        // Llama SwiGLU: down(act(x Wg) * (x Wu))
  bool causal = true;            // decoders; encoders attend both ways
  bool tied_embeddings = false;  // unembedding = token embedding
  bool embedding_norm = false;   // BERT/RoBERTa LayerNorm after the embedding sum
  bool final_norm = false;       // GPT-2 ln_f, NeoX final_layer_norm, Llama norm
  bool mlm_head = false;         // BERT/RoBERTa masked-LM head (dense, GELU, LayerNorm, decoder)
  Activation mlm_activation = Activation::GeluErf;  // the MLM head's (set by parse_config per family)
  bool attention_bias = false;   // q/k/v biases (GPT-2, BERT, NeoX; Qwen2-style Llama)
  bool output_bias = false;      // attention output projection bias
  bool mlp_bias = false;

  double rope_theta = 10000.0;
  int rotary_dim = 0;            // rotated dims per head (NeoX rotary_pct * head_dim); rotate-half layout
  int position_offset = 0;       // RoBERTa: positions start at pad_token_id + 1

  int pad_token_id = -1;
  int bos_token_id = -1;
  int eos_token_id = -1;

  bool is_encoder() const { return !causal; }
  std::int64_t parameter_count() const;  // as stored (tied matrices counted once)
};

}  // namespace tl
