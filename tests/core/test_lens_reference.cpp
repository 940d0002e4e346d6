// TensorLens identities (docs/TENSORLENS.md §5) on every reference checkpoint (tiny-gpt2, tiny-bert,
// tiny-roberta, tiny-gpt-neox, tiny-llama-gqa; Hugging Face 4.31 weights) and on stories260K,
// for the 7-token reference sequence (BERT with its token types).
// Tolerances: float64 engine on a float64 trace, relative error < 1e-9 (exactness at every
// layer, logit decomposition); float32 engine on a float32 trace < 1e-5; finite differences of
// the (affine) detached model with eps = 1e-3, < 1e-7 relative; strategies agree to 1e-9;
// float32 maps within 1e-4 of the float64 maps.
#include <filesystem>

#include "core/io/npy.h"
#include "core/model/model.h"
#include "tests/core/lens_test_util.h"

namespace tl {
namespace {

using namespace lens_test;
using lens::InputEnd;
using lens::LensMethod;
using tl::ScopeAt;
using lens::MapRequest;
using lens::Strategy;

const std::filesystem::path kData = TL_TEST_DATA_DIR;

std::vector<int> read_ints(const std::filesystem::path& file) {
  std::vector<int> out;
  auto arr = read_npy(file);
  if (arr.ok()) {
    for (double v : arr->data) out.push_back(static_cast<int>(v));
  }
  return out;
}

struct Loaded {
  std::shared_ptr<const Model> model;
  ForwardInput input;
};

Loaded load_case(const std::string& name) {
  Loaded c;
  if (name == "stories260K") {
    auto m = load_model(kData / "stories260K");
    EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
    if (m.ok()) c.model = m.value();
    // "Lily's mom said, \"Hi!\"" (reference_vectors.txt), BOS first.
    c.input.ids = {1, 317, 439, 419, 357, 336, 432, 313, 440, 417, 443, 436};
    return c;
  }
  const auto dir = kData / "reference-models" / name;
  auto m = load_model(dir);
  EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
  if (m.ok()) c.model = m.value();
  c.input.ids = read_ints(dir / "reference" / "seq1_input_ids.npy");
  if (std::filesystem::exists(dir / "reference" / "seq1_token_type_ids.npy")) {
    c.input.token_types = read_ints(dir / "reference" / "seq1_token_type_ids.npy");
  }
  return c;
}

class LensReference : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    c_ = load_case(GetParam());
    ASSERT_TRUE(c_.model);
    ASSERT_FALSE(c_.input.ids.empty());
  }
  const Model& model() const { return *c_.model; }
  Loaded c_;
};

TEST_P(LensReference, ExactAtEveryLayerFloat64) {
  const Trace t = run_forward(model(), c_.input, Precision::Float64);
  const int layers = model().spec.num_layers;
  const auto dec = decompose(model(), t, 1, layers, true, InputEnd::ResidualStream, GatedFfn::Gate, Precision::Float64);
  double worst = 0;
  for (std::size_t k = 0; k < dec.at.size(); ++k) {
    const MatD& want = dec.at[k].final_norm ? t.final_hidden : t.blocks[dec.at[k].layer - 1].output;
    worst = std::max(worst, rel_err(dec.sums[k], want));
    EXPECT_LT(rel_err(dec.sums[k], want), 1e-9) << "after block " << dec.at[k].layer << (dec.at[k].final_norm ? " + final norm" : "");
  }
  std::printf("  %s: worst relative error over layers (fp64) %.2e\n", GetParam().c_str(), worst);
  for (int l = 1; l <= layers; ++l) {
    const auto one = decompose(model(), t, l, l, false, InputEnd::ResidualStream, GatedFfn::Gate, Precision::Float64, true);
    EXPECT_LT(rel_err(one.sums.back(), t.blocks[l - 1].output), 1e-9) << "block " << l << " alone";
  }
  const auto tokens = decompose(model(), t, 1, layers, true, InputEnd::TokenEmbeddings, GatedFfn::Gate, Precision::Float64);
  EXPECT_LT(rel_err(tokens.sums.back(), t.final_hidden), 1e-9) << "from token embeddings";
}

TEST_P(LensReference, ExactFloat32) {
  const Trace t = run_forward(model(), c_.input, Precision::Float32);
  for (bool fused : {false, true}) {
    const auto dec = decompose(model(), t, 1, model().spec.num_layers, true, InputEnd::ResidualStream, GatedFfn::Gate,
                               Precision::Float32, fused);
    EXPECT_LT(rel_err(dec.sums.back(), t.final_hidden), 1e-5) << "fused " << fused;
    std::printf("  %s: end-to-end relative error (fp32, fused %d) %.2e\n", GetParam().c_str(), int(fused),
                rel_err(dec.sums.back(), t.final_hidden));
  }
}

TEST_P(LensReference, DetachedJacobian) {
  const Trace t = run_forward(model(), c_.input, Precision::Float64);
  const int n = t.num_tokens(), d = model().spec.hidden_size, layers = model().spec.num_layers;
  const MatD jac = detached_jacobian(model(), t, t.embeddings, 1, layers, true);
  CpuBackend be;
  MapRequest req;
  req.precision = Precision::Float64;
  auto map = lens::compute_map(model(), t, req, be);
  ASSERT_TRUE(map.ok()) << map.error().message;
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      const double want = jac.block(i * d, j * d, d, d).norm();
      EXPECT_NEAR(map->values(i, j), want, 1e-7 * (1 + want)) << i << "," << j;
    }
  }
  for (auto [i, j] : {std::pair{n - 1, 0}, std::pair{n / 2, n / 2}, std::pair{1, n - 1}}) {
    lens::PairBlockRequest pr;
    pr.output_token = i;
    pr.input_token = j;
    pr.precision = Precision::Float64;
    auto blk = lens::compute_pair_block(model(), t, pr, be);
    ASSERT_TRUE(blk.ok()) << blk.error().message;
    const MatD want = jac.block(i * d, j * d, d, d);
    EXPECT_LT((blk->block - want).norm(), 1e-7 * (1 + want.norm())) << i << "," << j;
  }
}

// Decoders: zeros above the diagonal; encoders attend both ways, so every block is non-zero.
TEST_P(LensReference, CausalityZeros) {
  const bool causal = model().spec.causal;
  const Trace t = run_forward(model(), c_.input, Precision::Float64);
  CpuBackend be;
  auto seg = lens::build_segment(model(), t, 1, model().spec.num_layers, true, InputEnd::ResidualStream);
  ASSERT_TRUE(seg.ok());
  lens::Propagator prop(be, model(), t, seg.value(), lens::PropagationOptions{Precision::Float64});
  const int n = t.num_tokens(), d = model().spec.hidden_size;
  const int j = n / 2;  // every row present (encoder layout): the zeros come from the operator
  auto st = prop.make_state(std::vector<std::int64_t>(n, d), false);
  ASSERT_TRUE(st.ok());
  be.upload_rows(MatD::Identity(d, d), *st->x, st->layout.offset[j]);
  ASSERT_TRUE(prop.forward(st.value(), {}).ok());
  for (int i = 0; i < n; ++i) {
    const double norm = be.download_rows(*st->x, st->layout.offset[i], d).norm();
    if (causal && i < j) EXPECT_EQ(norm, 0.0) << i;
    else EXPECT_GT(norm, 0.0) << i;
  }
}

TEST_P(LensReference, LogitDecomposition) {
  const Trace t = run_forward(model(), c_.input, Precision::Float64);
  CpuBackend be;
  MapRequest req;
  req.method = LensMethod::InOut;
  req.precision = Precision::Float64;
  auto map = lens::compute_map(model(), t, req, be);
  ASSERT_TRUE(map.ok()) << map.error().message;
  for (int i = 0; i < t.num_tokens(); ++i) {
    int v = 0;
    const double logit = t.logits.row(i).maxCoeff(&v);
    EXPECT_NEAR(map->values.row(i).sum() + map->bias[i], logit, 1e-9 * (1 + std::abs(logit))) << i;
  }
}

TEST_P(LensReference, StrategiesAgree) {
  const Trace t = run_forward(model(), c_.input, Precision::Float64);
  CpuBackend be;
  for (LensMethod method : {LensMethod::TensorLens, LensMethod::In, LensMethod::Out, LensMethod::InOut}) {
    for (ScopeAt scope : {ScopeAt::end_to_end(), ScopeAt::block(2)}) {
      MapRequest req;
      req.method = method;
      req.scope = scope;
      req.precision = Precision::Float64;
      req.strategy = Strategy::Full;
      auto ref = lens::compute_map(model(), t, req, be);
      ASSERT_TRUE(ref.ok()) << ref.error().message;
      for (Strategy s : {Strategy::ColumnSlices, Strategy::InputContracted, Strategy::RowSlices}) {
        if (s == Strategy::InputContracted && !lens::uses_inputs(method)) continue;
        req.strategy = s;
        req.batch = s == Strategy::ColumnSlices ? 2 : 0;
        auto map = lens::compute_map(model(), t, req, be);
        ASSERT_TRUE(map.ok()) << map.error().message;
        EXPECT_LT((map->values - ref->values).norm(), 1e-9 * (1 + ref->values.norm()))
            << to_string(method) << " " << scope.describe() << " " << to_string(s);
      }
    }
  }
}

// The default float32 engine on a float32 trace gives the float64 maps to 1e-4 relative.
TEST_P(LensReference, Float32MapsMatchFloat64) {
  const Trace t64 = run_forward(model(), c_.input, Precision::Float64);
  const Trace t32 = run_forward(model(), c_.input, Precision::Float32);
  CpuBackend be;
  for (LensMethod method : {LensMethod::TensorLens, LensMethod::In, LensMethod::Out, LensMethod::InOut}) {
    MapRequest req;
    req.method = method;
    req.precision = Precision::Float64;
    auto ref = lens::compute_map(model(), t64, req, be);
    req.precision = Precision::Float32;
    auto map = lens::compute_map(model(), t32, req, be);
    ASSERT_TRUE(ref.ok() && map.ok());
    EXPECT_LT((map->values - ref->values).norm(), 1e-4 * ref->values.norm()) << to_string(method);
    EXPECT_LT((map->bias - ref->bias).norm(), 1e-4 * (1 + ref->bias.norm())) << to_string(method);
  }
}

INSTANTIATE_TEST_SUITE_P(Checkpoints, LensReference,
                         ::testing::Values("tiny-gpt2", "tiny-bert", "tiny-roberta", "tiny-gpt-neox", "tiny-llama-gqa",
                                           "stories260K"),
                         [](const auto& info) {
                           std::string s = info.param;
                           for (char& ch : s) {
                             if (ch == '-') ch = '_';
                           }
                           return s;
                         });

}  // namespace
}  // namespace tl
