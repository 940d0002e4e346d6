// Resource limits (docs/RELIABILITY.md): free memory from /proc/meminfo, the model-size check before loading,
// the sentence-length and Trace-memory checks before the forward pass. (Tensor memory against the
// lens budget: LensPlanner.RefusesOverBudget / ComputeRefusesOverBudget in test_lens_engine.cpp.)
#include <gtest/gtest.h>

#include "core/forward/forward.h"
#include "core/forward/input_limits.h"
#include "core/model/model.h"
#include "core/util/memory_info.h"

namespace {

std::int64_t trace_bytes(const tl::Trace& t) {
  std::int64_t n = 0;
  auto add = [&](const auto& m) { n += static_cast<std::int64_t>(m.size()); };
  for (const auto* m : {&t.token_embeddings, &t.embedding_sum, &t.embeddings, &t.final_hidden, &t.mlm_pre,
                        &t.mlm_ratio, &t.mlm_hidden, &t.logits})
    add(*m);
  for (const auto& b : t.blocks) {
    for (const auto* m :
         {&b.input, &b.ln1_input, &b.ln1_out, &b.q, &b.k, &b.v, &b.attn_context, &b.attn_out, &b.ln2_input,
          &b.ln2_out, &b.ffn_pre, &b.ffn_ratio, &b.ffn_up, &b.ffn_hidden, &b.ffn_out, &b.output})
      add(*m);
    for (const auto& p : b.attn_probs) add(p);
  }
  return n * static_cast<std::int64_t>(sizeof(double));
}

}  // namespace

TEST(MemoryInfo, ParsesProcMeminfo) {
  const auto m =
      tl::parse_meminfo("MemTotal:       24576000 kB\nMemFree:  100 kB\nMemAvailable:   20480000 kB\n");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->total_bytes, 24576000ull * 1024);
  EXPECT_EQ(m->available_bytes, 20480000ull * 1024);
  EXPECT_FALSE(tl::parse_meminfo("MemTotal: 5 kB\n").has_value());
  EXPECT_FALSE(tl::parse_meminfo("MemTotal: x kB\nMemAvailable: 3 kB\n").has_value());
  EXPECT_FALSE(tl::parse_meminfo("").has_value());
  const auto here = tl::read_meminfo();
  ASSERT_TRUE(here.has_value());  // Linux
  EXPECT_GT(here->available_bytes, 0u);
  EXPECT_LE(here->available_bytes, here->total_bytes);
}

TEST(MemoryInfo, RefusesWhatDoesNotFitWithTheEstimate) {
  const tl::MemoryInfo m{std::uint64_t(8) << 30, std::uint64_t(1) << 30};
  EXPECT_TRUE(tl::check_memory_fits(std::uint64_t(500) << 20, m, "model").ok());
  const tl::Status s = tl::check_memory_fits(std::uint64_t(28) << 30, m, "/models/llama-7b",
                                             "7000000000 parameters as float32");
  ASSERT_FALSE(s.ok());
  const std::string& msg = s.error().message;
  EXPECT_NE(msg.find("/models/llama-7b needs about 28 GiB (7000000000 parameters as float32)"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("only 1.0 GiB of memory is free (of 8.0 GiB)"), std::string::npos) << msg;
  EXPECT_TRUE(tl::check_memory_fits(std::uint64_t(1) << 40, std::nullopt, "unknown").ok());
}

TEST(MemoryInfo, FormatsBytes) {
  EXPECT_EQ(tl::format_bytes(17), "17 bytes");
  EXPECT_EQ(tl::format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(tl::format_bytes(std::uint64_t(320) << 20), "320 MiB");
}

TEST(InputLimits, TraceEstimateMatchesARealTrace) {
  auto model = tl::load_embedded_model();
  ASSERT_TRUE(model.ok()) << model.error().message;
  for (int n : {7, 60}) {
    tl::ForwardInput in;
    for (int i = 0; i < n; ++i) in.ids.push_back(1 + (i * 37) % 500);
    auto trace = tl::forward(**model, in);
    ASSERT_TRUE(trace.ok()) << trace.error().message;
    const double real = static_cast<double>(trace_bytes(*trace));
    const double est = static_cast<double>(tl::estimate_trace_bytes((*model)->spec, n));
    EXPECT_NEAR(est / real, 1.0, 0.1) << n << " tokens: estimate " << est << ", trace " << real;
  }
}

TEST(InputLimits, TenThousandTokensAreRefusedWithTheEstimate) {
  auto model = tl::load_embedded_model();
  ASSERT_TRUE(model.ok());
  const tl::ModelSpec& spec = (*model)->spec;
  EXPECT_TRUE(tl::check_input_size(spec, 12).ok());
  const tl::Status s = tl::check_input_size(spec, 10000);
  ASSERT_FALSE(s.ok());
  const std::string& msg = s.error().message;
  EXPECT_NE(msg.find("10000 tokens is more than " + std::to_string(spec.max_positions)), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("the forward pass would hold about"), std::string::npos) << msg;
  EXPECT_NE(msg.find("GiB"), std::string::npos) << msg;
  // A model with many positions is still held to the interactive cap, and to the memory budget.
  tl::ModelSpec wide = spec;
  wide.max_positions = 1 << 20;
  tl::InputLimits limits;
  EXPECT_FALSE(tl::check_input_size(wide, 5000, limits).ok());
  limits.max_tokens = 1 << 20;
  limits.memory_budget = std::int64_t(64) << 20;
  const tl::Status budget = tl::check_input_size(wide, 2000, limits);
  ASSERT_FALSE(budget.ok());
  EXPECT_NE(budget.error().message.find("more than the budget of 64 MiB"), std::string::npos)
      << budget.error().message;
  EXPECT_FALSE(tl::check_text_size(std::size_t(2) << 20).ok());
  EXPECT_TRUE(tl::check_text_size(1000).ok());
}

TEST(InputLimits, ModelLoadChecksFreeMemory) {
  // The embedded model is tiny: it always fits. (The refusal path is check_memory_fits above; it
  // runs in build_model before any weight is converted.)
  EXPECT_TRUE(tl::load_embedded_model().ok());
}
