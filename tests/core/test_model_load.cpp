// Loading the reference checkpoints (tests/data/reference-models, FIXTURES.md table), stories260K
// and the embedded model: spec values, canonical layouts of fused/transposed weights against the
// raw safetensors bytes, embedding rows against reference/seq1_inputs_embeds.npy, and the F16/BF16
// variants against the F32 model within each format's rounding.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <tuple>

#include "core/io/npy.h"
#include "core/io/safetensors.h"
#include "core/model/model.h"

namespace fs = std::filesystem;
using namespace tl;

namespace {

const fs::path kModels = fs::path(TL_TEST_DATA_DIR) / "reference-models";

std::shared_ptr<const Model> load(const fs::path& dir) {
  auto m = load_model(dir);
  EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
  return m.ok() ? m.value() : nullptr;
}

// Raw tensor element [r][c] (row-major as stored) as float.
float raw(const TensorStore& store, const std::string& name, std::int64_t r, std::int64_t c) {
  const auto* t = store.find(name);
  EXPECT_NE(t, nullptr) << name;
  float f = 0;
  EXPECT_TRUE(copy_block_as_float(*t, r, 1, c, 1, &f, 0, 0).ok());
  return f;
}

struct Expected {
  const char* dir;
  Family family;
  int vocab, hidden, layers, heads, kv_heads, head_dim, ffn, max_pos;
  NormKind norm;
  double eps;
  Activation act;
  Topology topology;
  Positions positions;
  bool causal, tied, embedding_norm, final_norm, mlm_head, gated;
  int rotary_dim, position_offset, type_vocab;
  const char* dtype;
};

// FIXTURES.md section 1.
const Expected kExpected[] = {
    {"tiny-gpt2", Family::Gpt2, 1000, 64, 2, 4, 4, 16, 256, 64, NormKind::LayerNorm, 1e-5, Activation::GeluTanh,
     Topology::PreNorm, Positions::Learned, true, true, false, true, false, false, 0, 0, 0, "F32"},
    {"tiny-bert", Family::Bert, 1000, 48, 2, 3, 3, 16, 192, 64, NormKind::LayerNorm, 1e-12, Activation::GeluErf,
     Topology::PostNorm, Positions::Learned, false, true, true, false, true, false, 0, 0, 2, "F32"},
    {"tiny-roberta", Family::Roberta, 1000, 32, 2, 2, 2, 16, 128, 66, NormKind::LayerNorm, 1e-5, Activation::GeluErf,
     Topology::PostNorm, Positions::Learned, false, true, true, false, true, false, 0, 2, 1, "F32"},
    {"tiny-gpt-neox", Family::GptNeox, 1000, 64, 3, 4, 4, 16, 256, 128, NormKind::LayerNorm, 1e-5, Activation::GeluErf,
     Topology::Parallel, Positions::Rotary, true, false, false, true, false, false, 4, 0, 0, "F32"},
    {"tiny-llama-gqa", Family::Llama, 1000, 64, 3, 4, 2, 16, 176, 128, NormKind::RMSNorm, 1e-5, Activation::Silu,
     Topology::PreNorm, Positions::Rotary, true, false, false, true, false, true, 16, 0, 0, "F32"},
    {"tiny-llama-gqa-f16", Family::Llama, 1000, 64, 3, 4, 2, 16, 176, 128, NormKind::RMSNorm, 1e-5, Activation::Silu,
     Topology::PreNorm, Positions::Rotary, true, false, false, true, false, true, 16, 0, 0, "F16"},
    {"tiny-llama-gqa-bf16", Family::Llama, 1000, 64, 3, 4, 2, 16, 176, 128, NormKind::RMSNorm, 1e-5, Activation::Silu,
     Topology::PreNorm, Positions::Rotary, true, false, false, true, false, true, 16, 0, 0, "BF16"},
};

class ReferenceModel : public ::testing::TestWithParam<Expected> {};

TEST_P(ReferenceModel, SpecMatchesFixtureTable) {
  const Expected& e = GetParam();
  auto m = load(kModels / e.dir);
  ASSERT_TRUE(m);
  const ModelSpec& s = m->spec;
  EXPECT_EQ(m->name, e.dir);
  EXPECT_EQ(s.family, e.family);
  EXPECT_EQ(s.vocab_size, e.vocab);
  EXPECT_EQ(s.hidden_size, e.hidden);
  EXPECT_EQ(s.num_layers, e.layers);
  EXPECT_EQ(s.num_heads, e.heads);
  EXPECT_EQ(s.num_kv_heads, e.kv_heads);
  EXPECT_EQ(s.head_dim, e.head_dim);
  EXPECT_EQ(s.intermediate_size, e.ffn);
  EXPECT_EQ(s.max_positions, e.max_pos);
  EXPECT_EQ(s.norm, e.norm);
  EXPECT_DOUBLE_EQ(s.norm_eps, e.eps);
  EXPECT_EQ(s.activation, e.act);
  EXPECT_EQ(s.topology, e.topology);
  EXPECT_EQ(s.positions, e.positions);
  EXPECT_EQ(s.causal, e.causal);
  EXPECT_EQ(s.tied_embeddings, e.tied);
  EXPECT_EQ(s.embedding_norm, e.embedding_norm);
  EXPECT_EQ(s.final_norm, e.final_norm);
  EXPECT_EQ(s.mlm_head, e.mlm_head);
  EXPECT_EQ(s.gated_ffn, e.gated);
  EXPECT_EQ(s.rotary_dim, e.rotary_dim);
  EXPECT_EQ(s.position_offset, e.position_offset);
  EXPECT_EQ(s.type_vocab_size, e.type_vocab);
  EXPECT_EQ(s.stored_dtype, e.dtype);
  if (s.positions == Positions::Rotary) {
    EXPECT_DOUBLE_EQ(s.rope_theta, 10000.0);
  }

  // Shapes of the canonical weights.
  const Weights& w = m->weights;
  const int qd = e.heads * e.head_dim, kvd = e.kv_heads * e.head_dim;
  EXPECT_EQ(w.token_embedding.rows(), e.vocab);
  EXPECT_EQ(w.token_embedding.cols(), e.hidden);
  EXPECT_EQ(w.position_embedding.rows(), e.positions == Positions::Learned ? e.max_pos : 0);
  EXPECT_EQ(w.token_type_embedding.rows(), e.type_vocab);
  ASSERT_EQ(int(w.blocks.size()), e.layers);
  for (const auto& b : w.blocks) {
    EXPECT_EQ(b.attn.q.W.rows(), e.hidden);
    EXPECT_EQ(b.attn.q.W.cols(), qd);
    EXPECT_EQ(b.attn.k.W.cols(), kvd);
    EXPECT_EQ(b.attn.v.W.cols(), kvd);
    EXPECT_EQ(b.attn.o.W.rows(), qd);
    EXPECT_EQ(b.attn.o.W.cols(), e.hidden);
    EXPECT_EQ(b.ffn.up.W.cols(), e.ffn);
    EXPECT_EQ(b.ffn.gate.W.cols(), e.gated ? e.ffn : 0);
    EXPECT_EQ(b.ffn.down.W.rows(), e.ffn);
    EXPECT_EQ(b.ln1.beta.size(), e.norm == NormKind::LayerNorm ? e.hidden : 0);
    EXPECT_EQ(b.attn.q.b.size(), e.family == Family::Llama ? 0 : qd);
  }
  EXPECT_EQ(w.final_norm.gamma.size(), e.final_norm ? e.hidden : 0);
  EXPECT_EQ(w.embedding_norm.gamma.size(), e.embedding_norm ? e.hidden : 0);
  EXPECT_EQ(w.mlm.has_value(), e.mlm_head);
  EXPECT_EQ(w.lm_head.size(), e.tied ? 0 : std::int64_t(e.vocab) * e.hidden);
  EXPECT_EQ(&w.unembedding(), e.tied ? &w.token_embedding : &w.lm_head);
}

// inputs_embeds is the token-embedding row of each id (for GPT-2/BERT/RoBERTa the word embedding
// alone, before positions are added). Tolerance 1e-6: the stored floats are copied, not computed.
TEST_P(ReferenceModel, TokenEmbeddingRowsMatchReference) {
  const Expected& e = GetParam();
  auto m = load(kModels / e.dir);
  ASSERT_TRUE(m);
  auto ids = read_npy(kModels / e.dir / "reference" / "seq1_input_ids.npy");
  auto emb = read_npy(kModels / e.dir / "reference" / "seq1_inputs_embeds.npy");
  ASSERT_TRUE(ids.ok() && emb.ok());
  ASSERT_EQ(emb->shape.size(), 2u);
  ASSERT_EQ(emb->shape[0], ids->size());
  ASSERT_EQ(emb->shape[1], e.hidden);
  for (std::int64_t t = 0; t < ids->size(); ++t) {
    const int id = int(ids->data[t]);
    for (int j = 0; j < e.hidden; ++j)
      EXPECT_NEAR(m->weights.token_embedding(id, j), emb->at({t, j}), 1e-6) << "token " << t << " dim " << j;
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ReferenceModel, ::testing::ValuesIn(kExpected),
                         [](const auto& info) {
                           std::string n = info.param.dir;
                           for (auto& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

TEST(ModelLoad, Gpt2CAttnSplitsAlongOutputAxis) {
  auto m = load(kModels / "tiny-gpt2");
  ASSERT_TRUE(m);
  auto store = TensorStore::open_dir(kModels / "tiny-gpt2");
  ASSERT_TRUE(store.ok());
  const int D = 64;
  const auto& a = m->weights.blocks[1].attn;
  const std::string c_attn = "transformer.h.1.attn.c_attn.weight";
  for (int i : {0, 17, 63})
    for (int o : {0, 5, 63}) {
      EXPECT_EQ(a.q.W(i, o), raw(*store, c_attn, i, o));
      EXPECT_EQ(a.k.W(i, o), raw(*store, c_attn, i, D + o));
      EXPECT_EQ(a.v.W(i, o), raw(*store, c_attn, i, 2 * D + o));
      EXPECT_EQ(a.o.W(i, o), raw(*store, "transformer.h.1.attn.c_proj.weight", i, o));  // Conv1D: no transpose
    }
  EXPECT_EQ(a.k.b(3), raw(*store, "transformer.h.1.attn.c_attn.bias", 0, D + 3));
  EXPECT_EQ(m->weights.position_embedding(7, 9), raw(*store, "transformer.wpe.weight", 7, 9));
}

TEST(ModelLoad, NeoxQueryKeyValueIsPerHead) {
  auto m = load(kModels / "tiny-gpt-neox");
  ASSERT_TRUE(m);
  auto store = TensorStore::open_dir(kModels / "tiny-gpt-neox");
  ASSERT_TRUE(store.ok());
  const int hd = 16;
  const auto& a = m->weights.blocks[2].attn;
  const std::string qkv = "gpt_neox.layers.2.attention.query_key_value";
  for (int h : {0, 3})
    for (int j : {0, 9, 15})
      for (int i : {0, 31, 63}) {
        EXPECT_EQ(a.q.W(i, h * hd + j), raw(*store, qkv + ".weight", h * 3 * hd + j, i));
        EXPECT_EQ(a.k.W(i, h * hd + j), raw(*store, qkv + ".weight", h * 3 * hd + hd + j, i));
        EXPECT_EQ(a.v.W(i, h * hd + j), raw(*store, qkv + ".weight", h * 3 * hd + 2 * hd + j, i));
        EXPECT_EQ(a.v.b(h * hd + j), raw(*store, qkv + ".bias", 0, h * 3 * hd + 2 * hd + j));
      }
  EXPECT_EQ(m->weights.lm_head(5, 7), raw(*store, "embed_out.weight", 5, 7));
}

TEST(ModelLoad, LinearWeightsAreTransposedToInOut) {
  auto m = load(kModels / "tiny-llama-gqa");
  ASSERT_TRUE(m);
  auto store = TensorStore::open_dir(kModels / "tiny-llama-gqa");
  ASSERT_TRUE(store.ok());
  const auto& b = m->weights.blocks[0];
  EXPECT_EQ(b.attn.k.W(40, 20), raw(*store, "model.layers.0.self_attn.k_proj.weight", 20, 40));
  EXPECT_EQ(b.ffn.down.W(100, 3), raw(*store, "model.layers.0.mlp.down_proj.weight", 3, 100));
  EXPECT_EQ(b.ffn.gate.W(3, 100), raw(*store, "model.layers.0.mlp.gate_proj.weight", 100, 3));
  EXPECT_EQ(m->weights.lm_head(999, 63), raw(*store, "lm_head.weight", 999, 63));
}

TEST(ModelLoad, MlmHeadsOfBertAndRoberta) {
  for (const char* dir : {"tiny-bert", "tiny-roberta"}) {
    auto m = load(kModels / dir);
    ASSERT_TRUE(m);
    auto store = TensorStore::open_dir(kModels / dir);
    ASSERT_TRUE(store.ok());
    const bool bert = std::string(dir) == "tiny-bert";
    const std::string head = bert ? "cls.predictions." : "lm_head.";
    const std::string dense = head + (bert ? "transform.dense" : "dense");
    ASSERT_TRUE(m->weights.mlm.has_value());
    EXPECT_EQ(m->weights.mlm->dense.W(2, 5), raw(*store, dense + ".weight", 5, 2));
    EXPECT_EQ(m->weights.mlm->decoder_bias(999), raw(*store, head + "bias", 0, 999));
    EXPECT_EQ(m->weights.mlm->norm.beta.size(), m->spec.hidden_size);
  }
}

// F16 and BF16 round to nearest even: relative error at most 2^-11 and 2^-8 of the F32 value
// (plus the smallest subnormal step for F16, 2^-24).
TEST(ModelLoad, ReducedPrecisionVariantsMatchF32WithinRounding) {
  auto f32 = load(kModels / "tiny-llama-gqa");
  ASSERT_TRUE(f32);
  for (auto [dir, rel, abs_tol] : {std::tuple{"tiny-llama-gqa-f16", std::ldexp(1.0, -11), std::ldexp(1.0, -24)},
                               std::tuple{"tiny-llama-gqa-bf16", std::ldexp(1.0, -8), 0.0}}) {
    auto m = load(kModels / dir);
    ASSERT_TRUE(m);
    std::int64_t checked = 0;
    auto cmp = [&](const auto& a, const auto& b, const char* what) {
      ASSERT_EQ(a.rows(), b.rows()) << what;
      ASSERT_EQ(a.cols(), b.cols()) << what;
      for (std::int64_t i = 0; i < a.size(); ++i, ++checked)
        ASSERT_LE(std::abs(a.data()[i] - b.data()[i]), rel * std::abs(b.data()[i]) + abs_tol) << dir << " " << what << " " << i;
    };
    const Weights &w = m->weights, &r = f32->weights;
    cmp(w.token_embedding, r.token_embedding, "embed_tokens");
    cmp(w.lm_head, r.lm_head, "lm_head");
    cmp(w.final_norm.gamma, r.final_norm.gamma, "norm");
    for (std::size_t l = 0; l < w.blocks.size(); ++l) {
      const auto &a = w.blocks[l], &b = r.blocks[l];
      cmp(a.ln1.gamma, b.ln1.gamma, "input_layernorm");
      cmp(a.ln2.gamma, b.ln2.gamma, "post_attention_layernorm");
      cmp(a.attn.q.W, b.attn.q.W, "q_proj");
      cmp(a.attn.k.W, b.attn.k.W, "k_proj");
      cmp(a.attn.v.W, b.attn.v.W, "v_proj");
      cmp(a.attn.o.W, b.attn.o.W, "o_proj");
      cmp(a.ffn.up.W, b.ffn.up.W, "up_proj");
      cmp(a.ffn.gate.W, b.ffn.gate.W, "gate_proj");
      cmp(a.ffn.down.W, b.ffn.down.W, "down_proj");
    }
    EXPECT_EQ(checked, f32->spec.parameter_count()) << dir;
  }
}

TEST(ModelLoad, Stories260KFolderAndEmbeddedAgree) {
  auto folder = load(fs::path(TL_TEST_DATA_DIR) / "stories260K");
  ASSERT_TRUE(folder);
  auto embedded = load_embedded_model();
  ASSERT_TRUE(embedded.ok()) << embedded.error().message;
  const Model& m = *embedded.value();
  EXPECT_EQ(m.name, "stories260K");
  EXPECT_EQ(m.source, "embedded:stories260K");
  const ModelSpec& s = m.spec;
  EXPECT_EQ(s.family, Family::Llama);
  EXPECT_EQ(s.vocab_size, 512);
  EXPECT_EQ(s.hidden_size, 64);
  EXPECT_EQ(s.num_layers, 5);
  EXPECT_EQ(s.num_heads, 8);
  EXPECT_EQ(s.num_kv_heads, 4);
  EXPECT_EQ(s.head_dim, 8);
  EXPECT_EQ(s.intermediate_size, 172);
  EXPECT_EQ(s.max_positions, 512);
  EXPECT_TRUE(s.tied_embeddings);
  EXPECT_EQ(s.bos_token_id, 1);
  EXPECT_EQ(s.eos_token_id, 2);
  EXPECT_EQ(s.stored_dtype, "F32");
  EXPECT_EQ(m.weights.lm_head.size(), 0);
  EXPECT_EQ(&m.weights.unembedding(), &m.weights.token_embedding);
  EXPECT_TRUE(m.weights.token_embedding == folder->weights.token_embedding);
  EXPECT_TRUE(m.weights.blocks[4].ffn.down.W == folder->weights.blocks[4].ffn.down.W);
}

}  // namespace
