// The forward pass against golden outputs no one here wrote:
// - tests/data/reference-models: Hugging Face transformers 4.31 hidden states [L+1, T, H],
//   attentions [L, H, T, T] and logits [T, V] for 7 tiny checkpoints x 3 sequences (lengths 1, 7,
//   24), in both Float32 and Float64 modes. Tolerance |a - b| <= 1e-4 + 1e-4 |b| (FIXTURES.md: an
//   independent fp64 implementation reproduces them to <= 3.7e-5).
// - tests/data/stories260K/reference_vectors.txt (llama2.c run.c): logits[0:6] at 8 positions
//   within 1e-4 and the 24-token greedy continuation from BOS (the 200-token text, which needs the
//   tokenizer, is in test_forward_generation.cpp).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "core/forward/forward.h"
#include "core/io/npy.h"
#include "core/model/model.h"

namespace tl {
namespace {

const std::filesystem::path kData = TL_TEST_DATA_DIR;

struct Mismatch {
  double worst_excess = 0;  // max of |a - b| - (atol + rtol |b|); <= 0 means within tolerance
  double max_abs = 0;
  std::string where;
};

// Compares `got(index)` with the reference array element by element.
template <class Get>
Mismatch compare(const NpyArray& ref, Get got, double atol = 1e-4, double rtol = 1e-4) {
  Mismatch m;
  m.worst_excess = -1;
  for (std::int64_t flat = 0; flat < ref.size(); ++flat) {
    const double b = ref.data[size_t(flat)], a = got(flat);
    const double diff = std::abs(a - b);
    const double excess = std::isnan(a) ? 1e30 : diff - (atol + rtol * std::abs(b));
    m.max_abs = std::max(m.max_abs, diff);
    if (excess > m.worst_excess) {
      m.worst_excess = excess;
      m.where = "flat index " + std::to_string(flat) + ": got " + std::to_string(a) + ", want " + std::to_string(b);
    }
  }
  return m;
}

std::vector<int> read_ids(const std::filesystem::path& file) {
  auto arr = read_npy(file);
  EXPECT_TRUE(arr.ok()) << file;
  std::vector<int> ids;
  if (arr.ok()) {
    for (double v : arr->data) ids.push_back(int(v));
  }
  return ids;
}

struct Case {
  std::string model;
  int seq;
  Precision precision;
};

std::string case_name(const testing::TestParamInfo<Case>& info) {
  std::string name = info.param.model + "_seq" + std::to_string(info.param.seq) +
                     (info.param.precision == Precision::Float64 ? "_f64" : "_f32");
  for (char& c : name) {
    if (c == '-') c = '_';
  }
  return name;
}

class ForwardReference : public testing::TestWithParam<Case> {};

TEST_P(ForwardReference, MatchesTransformers) {
  const Case& c = GetParam();
  const auto dir = kData / "reference-models" / c.model;
  const auto ref = dir / "reference";
  auto model = load_model(dir);
  ASSERT_TRUE(model.ok()) << model.error().message;
  const std::string prefix = "seq" + std::to_string(c.seq) + "_";

  ForwardInput in;
  in.ids = read_ids(ref / (prefix + "input_ids.npy"));
  if (std::filesystem::exists(ref / (prefix + "token_type_ids.npy"))) {
    in.token_types = read_ids(ref / (prefix + "token_type_ids.npy"));
  }
  auto trace = forward(**model, in, {c.precision});
  ASSERT_TRUE(trace.ok()) << trace.error().message;
  const Trace& t = *trace;
  const std::int64_t T = t.num_tokens(), L = t.num_layers();

  auto hidden = read_npy(ref / (prefix + "hidden_states.npy"));
  ASSERT_TRUE(hidden.ok());
  const std::int64_t D = hidden->shape[2];
  ASSERT_EQ(hidden->shape, (std::vector<std::int64_t>{L + 1, T, D}));
  const Mismatch h = compare(*hidden, [&](std::int64_t f) {
    return t.hidden_state(int(f / (T * D)))(f / D % T, f % D);
  });
  EXPECT_LE(h.worst_excess, 0) << "hidden states, max |diff| " << h.max_abs << ", worst at " << h.where;

  auto attn = read_npy(ref / (prefix + "attentions.npy"));
  ASSERT_TRUE(attn.ok());
  const std::int64_t H = attn->shape[1];
  ASSERT_EQ(attn->shape, (std::vector<std::int64_t>{L, H, T, T}));
  const Mismatch a = compare(*attn, [&](std::int64_t f) {
    return t.blocks[size_t(f / (H * T * T))].attn_probs[size_t(f / (T * T) % H)](f / T % T, f % T);
  });
  EXPECT_LE(a.worst_excess, 0) << "attentions, max |diff| " << a.max_abs << ", worst at " << a.where;

  auto logits = read_npy(ref / (prefix + "logits.npy"));
  ASSERT_TRUE(logits.ok());
  const std::int64_t V = logits->shape[1];
  ASSERT_EQ(logits->shape, (std::vector<std::int64_t>{T, V}));
  const Mismatch g = compare(*logits, [&](std::int64_t f) { return t.logits(f / V, f % V); });
  EXPECT_LE(g.worst_excess, 0) << "logits, max |diff| " << g.max_abs << ", worst at " << g.where;
}

std::vector<Case> all_cases() {
  std::vector<Case> cases;
  for (const char* m : {"tiny-gpt2", "tiny-bert", "tiny-roberta", "tiny-gpt-neox", "tiny-llama-gqa",
                        "tiny-llama-gqa-f16", "tiny-llama-gqa-bf16"}) {
    for (int seq = 0; seq < 3; ++seq) {
      for (Precision p : {Precision::Float32, Precision::Float64}) cases.push_back({m, seq, p});
    }
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Models, ForwardReference, testing::ValuesIn(all_cases()), case_name);

// Reads a float npy of shape [rows, cols] into a matrix.
MatD read_matrix(const std::filesystem::path& file) {
  auto arr = read_npy(file);
  EXPECT_TRUE(arr.ok()) << file;
  if (!arr.ok() || arr->shape.size() != 2) return MatD();
  MatD m(arr->shape[0], arr->shape[1]);
  for (Eigen::Index i = 0; i < m.rows(); ++i) {
    for (Eigen::Index j = 0; j < m.cols(); ++j) m(i, j) = arr->data[size_t(i * m.cols() + j)];
  }
  return m;
}

class ForwardExtras : public testing::TestWithParam<std::string> {};

// Feeding the reference inputs_embeds (the embedding rows of the ids) instead of the ids gives the
// same outputs: positions and token types are still added (RoBERTa keeps positions 2..T+1).
TEST_P(ForwardExtras, InputsEmbedsPathMatchesTheIdsPath) {
  const auto dir = kData / "reference-models" / GetParam();
  auto model = load_model(dir);
  ASSERT_TRUE(model.ok()) << model.error().message;
  ForwardInput in;
  in.ids = read_ids(dir / "reference" / "seq1_input_ids.npy");
  if (std::filesystem::exists(dir / "reference" / "seq1_token_type_ids.npy")) {
    in.token_types = read_ids(dir / "reference" / "seq1_token_type_ids.npy");
  }
  auto by_ids = forward(**model, in, {Precision::Float64});
  in.inputs_embeds = read_matrix(dir / "reference" / "seq1_inputs_embeds.npy");
  auto by_embeds = forward(**model, in, {Precision::Float64});
  ASSERT_TRUE(by_ids.ok() && by_embeds.ok());
  // The stored embeddings are float32 copies of the weights, so the two agree to rounding.
  EXPECT_LT((by_ids->token_embeddings - by_embeds->token_embeddings).cwiseAbs().maxCoeff(), 1e-7);
  EXPECT_LT((by_ids->logits - by_embeds->logits).cwiseAbs().maxCoeff(), 1e-5);
  EXPECT_EQ(by_ids->positions, by_embeds->positions);
}

// Right padding with an attention mask leaves the real tokens' outputs unchanged (encoders mask
// the padding keys; decoders never see later tokens).
TEST_P(ForwardExtras, RightPaddingDoesNotChangeRealTokens) {
  const auto dir = kData / "reference-models" / GetParam();
  auto model = load_model(dir);
  ASSERT_TRUE(model.ok()) << model.error().message;
  ForwardInput in;
  in.ids = read_ids(dir / "reference" / "seq1_input_ids.npy");
  const size_t n = in.ids.size();
  auto plain = forward(**model, in, {Precision::Float64});
  const int pad = std::max((*model)->spec.pad_token_id, 0);
  in.ids.insert(in.ids.end(), 3, pad);
  in.attention_mask.assign(n, 1);
  in.attention_mask.insert(in.attention_mask.end(), 3, 0);
  auto padded = forward(**model, in, {Precision::Float64});
  ASSERT_TRUE(plain.ok() && padded.ok());
  const Eigen::Index rows = Eigen::Index(n);
  EXPECT_LT((plain->logits - padded->logits.topRows(rows)).cwiseAbs().maxCoeff(), 1e-9);
  for (size_t l = 0; l < padded->blocks.size(); ++l) {
    for (const MatD& a : padded->blocks[l].attn_probs) {
      EXPECT_EQ(a.topRightCorner(rows, 3).cwiseAbs().maxCoeff(), 0.0);  // no real token attends to padding
      EXPECT_LT((a.rowwise().sum().array() - 1).abs().maxCoeff(), 1e-12);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Models, ForwardExtras,
                         testing::Values("tiny-gpt2", "tiny-bert", "tiny-roberta", "tiny-gpt-neox", "tiny-llama-gqa"),
                         [](const testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

// ---- stories260K (llama2.c) -------------------------------------------------------------------

struct StoriesReference {
  std::vector<int> greedy;                   // 24 ids after BOS
  std::vector<std::vector<double>> logits6;  // logits[0:6] at positions 0..7
};

StoriesReference read_stories_reference() {
  std::ifstream file(kData / "stories260K" / "reference_vectors.txt");
  EXPECT_TRUE(file.good());
  StoriesReference ref;
  std::string line;
  bool greedy_next = false;
  while (std::getline(file, line)) {
    if (line.rfind("# greedy", 0) == 0) {
      greedy_next = true;
      continue;
    }
    std::istringstream words(line);
    if (greedy_next) {
      for (int id; words >> id;) ref.greedy.push_back(id);
      greedy_next = false;
    } else if (line.rfind("pos ", 0) == 0) {
      std::string pos, index;
      words >> pos >> index;
      std::vector<double> values(6);
      for (double& v : values) words >> v;
      ref.logits6.push_back(values);
    }
  }
  return ref;
}

TEST(ForwardStories260K, LogitsMatchRunC) {
  auto model = load_model(kData / "stories260K");
  ASSERT_TRUE(model.ok()) << model.error().message;
  const StoriesReference ref = read_stories_reference();
  ASSERT_EQ(ref.logits6.size(), 8u);
  ForwardInput in;
  in.ids = {1, 403, 407, 261, 378, 275, 301, 267};
  for (Precision p : {Precision::Float32, Precision::Float64}) {
    auto trace = forward(**model, in, {p});
    ASSERT_TRUE(trace.ok()) << trace.error().message;
    for (int pos = 0; pos < 8; ++pos) {
      for (int v = 0; v < 6; ++v) {
        EXPECT_NEAR(trace->logits(pos, v), ref.logits6[size_t(pos)][size_t(v)], 1e-4) << "pos " << pos << " id " << v;
      }
    }
  }
}

TEST(ForwardStories260K, GreedyContinuationFromBos) {
  auto model = load_model(kData / "stories260K");
  ASSERT_TRUE(model.ok()) << model.error().message;
  const StoriesReference ref = read_stories_reference();
  ASSERT_EQ(ref.greedy.size(), 24u);
  ForwardInput in;
  in.ids = {1};
  std::vector<int> generated;
  for (size_t step = 0; step < ref.greedy.size(); ++step) {
    auto trace = forward(**model, in);
    ASSERT_TRUE(trace.ok()) << trace.error().message;
    Eigen::Index next = 0;
    trace->logits.row(trace->num_tokens() - 1).maxCoeff(&next);
    generated.push_back(int(next));
    in.ids.push_back(int(next));
  }
  EXPECT_EQ(generated, ref.greedy);
}

}  // namespace
}  // namespace tl
