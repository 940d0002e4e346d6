// The forward pass on the Vulkan device (core/gpu/device_forward.h) gives the CPU forward's Trace:
// every field (embeddings, every block's norms, q/k/v, probabilities per head, context, attention
// and FFN fields, outputs, final hidden, MLM head, logits) on every reference checkpoint of
// tests/data (BERT, RoBERTa, GPT-2, GPT-NeoX with partial rotary and parallel residual, Llama with
// GQA in f32/f16/bf16) and stories260K, at 1, 7 and 33 tokens; plus padding masks, inputs_embeds,
// the weight cache, and the CPU fallback on simulated failures.
//
// Bound per field: max|gpu - cpu| / max(1, max|cpu|) < 1e-4 (both float32; the difference is
// summation order in the GEMMs and reductions).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "core/forward/forward.h"
#include "core/gpu/device_forward.h"
#include "core/gpu/failure_simulation.h"
#include "core/model/model.h"
#include "gpu_test_support.h"

namespace tl::gpu {
namespace {

using testing::ScopedEnv;

constexpr double kBound = 1e-4;
const std::filesystem::path kData = TL_TEST_DATA_DIR;

double field_error(const MatD& got, const MatD& want) {
  if (got.rows() != want.rows() || got.cols() != want.cols()) return INFINITY;
  if (want.size() == 0) return 0.0;
  if (!got.allFinite()) return INFINITY;
  return (got - want).cwiseAbs().maxCoeff() / std::max(1.0, want.cwiseAbs().maxCoeff());
}

#define TL_EXPECT_FIELD(field) \
  EXPECT_LT(field_error(got.field, want.field), kBound) << label << ": " #field

void expect_same_trace(const Trace& got, const Trace& want, const std::string& label) {
  EXPECT_EQ(got.precision, Precision::Float32) << label;
  EXPECT_EQ(got.ids, want.ids) << label;
  EXPECT_EQ(got.positions, want.positions) << label;
  EXPECT_EQ(got.token_types, want.token_types) << label;
  TL_EXPECT_FIELD(token_embeddings);
  TL_EXPECT_FIELD(embedding_sum);
  TL_EXPECT_FIELD(embedding_inv_scale);
  TL_EXPECT_FIELD(embeddings);
  ASSERT_EQ(got.blocks.size(), want.blocks.size()) << label;
  for (std::size_t l = 0; l < want.blocks.size(); ++l) {
    const BlockTrace& g = got.blocks[l];
    const BlockTrace& w = want.blocks[l];
    const std::string at = label + " block " + std::to_string(l + 1) + ": ";
    for (auto [name, a, b] : {std::tuple{"input", &g.input, &w.input},
                              std::tuple{"ln1_input", &g.ln1_input, &w.ln1_input},
                              std::tuple{"ln1_out", &g.ln1_out, &w.ln1_out},
                              std::tuple{"q", &g.q, &w.q},
                              std::tuple{"k", &g.k, &w.k},
                              std::tuple{"v", &g.v, &w.v},
                              std::tuple{"attn_context", &g.attn_context, &w.attn_context},
                              std::tuple{"attn_out", &g.attn_out, &w.attn_out},
                              std::tuple{"ln2_input", &g.ln2_input, &w.ln2_input},
                              std::tuple{"ln2_out", &g.ln2_out, &w.ln2_out},
                              std::tuple{"ffn_pre", &g.ffn_pre, &w.ffn_pre},
                              std::tuple{"ffn_ratio", &g.ffn_ratio, &w.ffn_ratio},
                              std::tuple{"ffn_up", &g.ffn_up, &w.ffn_up},
                              std::tuple{"ffn_hidden", &g.ffn_hidden, &w.ffn_hidden},
                              std::tuple{"ffn_out", &g.ffn_out, &w.ffn_out},
                              std::tuple{"output", &g.output, &w.output}}) {
      EXPECT_LT(field_error(*a, *b), kBound) << at << name;
    }
    EXPECT_LT(field_error(g.ln1_inv_scale, w.ln1_inv_scale), kBound) << at << "ln1_inv_scale";
    EXPECT_LT(field_error(g.ln2_inv_scale, w.ln2_inv_scale), kBound) << at << "ln2_inv_scale";
    ASSERT_EQ(g.attn_probs.size(), w.attn_probs.size()) << at;
    for (std::size_t h = 0; h < w.attn_probs.size(); ++h)
      EXPECT_LT(field_error(g.attn_probs[h], w.attn_probs[h]), kBound) << at << "attn_probs head " << h;
  }
  TL_EXPECT_FIELD(final_inv_scale);
  TL_EXPECT_FIELD(final_hidden);
  TL_EXPECT_FIELD(mlm_pre);
  TL_EXPECT_FIELD(mlm_ratio);
  TL_EXPECT_FIELD(mlm_inv_scale);
  TL_EXPECT_FIELD(mlm_hidden);
  TL_EXPECT_FIELD(logits);
}

ForwardInput make_input(const Model& model, int n) {
  ForwardInput in;
  for (int i = 0; i < n; ++i) in.ids.push_back((i * 37 + 5) % model.spec.vocab_size);
  // Both segments where the model has two (BERT): the second half is segment 1.
  if (model.spec.type_vocab_size > 1)
    for (int i = 0; i < n; ++i) in.token_types.push_back(i >= n / 2 ? 1 : 0);
  return in;
}

// Every length on one upload of the weights (the cache the app and the benchmark reuse).
void expect_device_matches_cpu(Context& ctx, const Model& model, const std::string& name) {
  auto weights = DeviceWeights::upload(ctx, model);
  ASSERT_TRUE(weights.ok()) << name << ": " << weights.error().message;
  for (int n : {1, 7, 33}) {
    const ForwardInput in = make_input(model, n);
    auto want = forward(model, in);
    ASSERT_TRUE(want.ok()) << name << ": " << want.error().message;
    auto got = forward_on_device(ctx, **weights, in);
    ASSERT_TRUE(got.ok()) << name << " N=" << n << ": " << got.error().message;
    expect_same_trace(*got, *want, name + " N=" + std::to_string(n));
  }
}

class DeviceForwardReference : public ::testing::TestWithParam<std::string> {};

TEST_P(DeviceForwardReference, EveryTraceFieldMatchesTheCpu) {
  TL_GPU_CONTEXT_OR_SKIP(ctx);
  auto model = load_model(kData / "reference-models" / GetParam());
  ASSERT_TRUE(model.ok()) << model.error().message;
  expect_device_matches_cpu(ctx, **model, GetParam());
}

INSTANTIATE_TEST_SUITE_P(Checkpoints, DeviceForwardReference,
                         ::testing::Values("tiny-bert", "tiny-roberta", "tiny-gpt2", "tiny-gpt-neox",
                                           "tiny-llama-gqa", "tiny-llama-gqa-f16", "tiny-llama-gqa-bf16"),
                         [](const auto& info) {
                           std::string s = info.param;
                           for (char& c : s)
                             if (c == '-') c = '_';
                           return s;
                         });

TEST(DeviceForward, Stories260KMatchesTheCpu) {
  TL_GPU_CONTEXT_OR_SKIP(ctx);
  auto model = load_model(kData / "stories260K");
  ASSERT_TRUE(model.ok()) << model.error().message;
  expect_device_matches_cpu(ctx, **model, "stories260K");
}

// Padding (causal GQA and bidirectional post-norm), including a padding query whose keys are all
// padding, and inputs_embeds in place of the token lookup.
TEST(DeviceForward, PaddingMasksAndInputsEmbedsMatchTheCpu) {
  TL_GPU_CONTEXT_OR_SKIP(ctx);
  for (const char* name : {"tiny-llama-gqa", "tiny-bert"}) {
    auto model = load_model(kData / "reference-models" / name);
    ASSERT_TRUE(model.ok()) << model.error().message;
    ForwardInput in = make_input(**model, 9);
    in.attention_mask = {0, 1, 1, 1, 1, 1, 1, 0, 0};
    auto want = forward(**model, in);
    ASSERT_TRUE(want.ok()) << want.error().message;
    auto got = forward_on_device(ctx, **model, in);
    ASSERT_TRUE(got.ok()) << got.error().message;
    expect_same_trace(*got, *want, std::string(name) + " padded");

    ForwardInput embeds = make_input(**model, 5);
    embeds.inputs_embeds = MatD::Random(5, (*model)->spec.hidden_size) * 0.5;
    auto want_e = forward(**model, embeds);
    ASSERT_TRUE(want_e.ok()) << want_e.error().message;
    auto got_e = forward_on_device(ctx, **model, embeds);
    ASSERT_TRUE(got_e.ok()) << got_e.error().message;
    expect_same_trace(*got_e, *want_e, std::string(name) + " inputs_embeds");
  }
}

TEST(DeviceForward, RejectsWhatTheCpuRejectsWithTheSameMessage) {
  TL_GPU_CONTEXT_OR_SKIP(ctx);
  auto model = load_model(kData / "reference-models" / "tiny-gpt2");
  ASSERT_TRUE(model.ok()) << model.error().message;
  ForwardInput in;
  in.ids = {1, 2, 5000};
  auto got = forward_on_device(ctx, **model, in);
  auto want = forward(**model, in);
  ASSERT_FALSE(got.ok());
  ASSERT_FALSE(want.ok());
  EXPECT_EQ(got.error().message, want.error().message);
}

// ---- CPU fallback -------------------------------------------------------------------------------

struct FallbackFixture {
  std::shared_ptr<const Model> model;
  ForwardInput input;
  Trace cpu;
};

FallbackFixture fallback_fixture() {
  FallbackFixture f;
  auto model = load_model(kData / "reference-models" / "tiny-llama-gqa");
  EXPECT_TRUE(model.ok()) << model.error().message;
  if (!model.ok()) return f;
  f.model = *model;
  f.input = make_input(*f.model, 7);
  auto cpu = forward(*f.model, f.input);
  EXPECT_TRUE(cpu.ok());
  if (cpu.ok()) f.cpu = std::move(*cpu);
  return f;
}

TEST(DeviceForwardFallback, GpuSelectionComputesTheTraceOnTheDevice) {
  testing::quiet_vulkan_loader();
  const FallbackFixture f = fallback_fixture();
  ASSERT_TRUE(f.model);
  BackendSelection s = select_backend(BackendRequest{});
  if (!s.gpu) GTEST_SKIP() << "no Vulkan: " << s.note;
  auto run = forward_with_cpu_fallback(s, *f.model, f.input);
  ASSERT_TRUE(run.ok()) << run.error().message;
  EXPECT_TRUE(run->on_device);
  EXPECT_EQ(run->note.rfind("forward on the GPU ('", 0), 0u) << run->note;
  expect_same_trace(run->trace, f.cpu, "selection");
}

// Failures after the GPU was selected: the forward finishes on the CPU and says why in one line.
TEST(DeviceForwardFallback, DeviceFailuresFallBackToTheCpuForward) {
  testing::quiet_vulkan_loader();
  const FallbackFixture f = fallback_fixture();
  ASSERT_TRUE(f.model);
  for (auto [simulate, reason] : {std::pair{"oom", "out of device memory"}, std::pair{"device-lost", "device lost"}}) {
    BackendSelection s = select_backend(BackendRequest{});
    if (!s.gpu) GTEST_SKIP() << "no Vulkan: " << s.note;
    ScopedEnv env(kSimulateEnv, simulate);
    auto run = forward_with_cpu_fallback(s, *f.model, f.input);
    ASSERT_TRUE(run.ok()) << simulate << ": " << run.error().message;
    EXPECT_FALSE(run->on_device) << simulate;
    const std::string prefix = std::string("forward on the CPU (the GPU forward failed: ") + reason;
    EXPECT_EQ(run->note.rfind(prefix, 0), 0u) << simulate << ": " << run->note;
    EXPECT_EQ(run->note.find('\n'), std::string::npos) << run->note;
    EXPECT_EQ(field_error(run->trace.logits, f.cpu.logits), 0.0) << simulate;
  }
}

// Failures before a device exists: the selection is already the CPU backend (its note says why)
// and the forward runs on the CPU.
TEST(DeviceForwardFallback, NoDeviceMeansTheCpuForward) {
  testing::quiet_vulkan_loader();
  const FallbackFixture f = fallback_fixture();
  ASSERT_TRUE(f.model);
  for (auto [simulate, reason] : {std::pair{"no-loader", "no Vulkan loader"}, std::pair{"no-device", "no Vulkan device"},
                                  std::pair{"device-init", "Vulkan initialisation failed"}}) {
    ScopedEnv env(kSimulateEnv, simulate);
    BackendSelection s = select_backend(BackendRequest{});
    EXPECT_FALSE(s.gpu) << simulate;
    EXPECT_NE(s.note.find(reason), std::string::npos) << simulate << ": " << s.note;
    auto run = forward_with_cpu_fallback(s, *f.model, f.input);
    ASSERT_TRUE(run.ok()) << simulate << ": " << run.error().message;
    EXPECT_FALSE(run->on_device);
    EXPECT_EQ(run->note, "forward on the CPU");
    EXPECT_EQ(field_error(run->trace.logits, f.cpu.logits), 0.0) << simulate;
  }
}

TEST(DeviceForwardFallback, Float64StaysOnTheCpu) {
  testing::quiet_vulkan_loader();
  const FallbackFixture f = fallback_fixture();
  ASSERT_TRUE(f.model);
  BackendSelection s = select_backend(BackendRequest{});
  auto run = forward_with_cpu_fallback(s, *f.model, f.input, ForwardOptions{Precision::Float64});
  ASSERT_TRUE(run.ok()) << run.error().message;
  EXPECT_FALSE(run->on_device);
  EXPECT_EQ(run->trace.precision, Precision::Float64);
}

}  // namespace
}  // namespace tl::gpu
