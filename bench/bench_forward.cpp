// Forward-pass throughput on the CPU (Eigen) and on the Vulkan device (core/gpu/device_forward.h),
// measured in the same run and printed as one table, for the default model (stories260K) and a
// GPT-2-small-shaped model with random weights built in code, at N = 32, 64, 128 tokens. Rows:
// CPU float32, CPU float64, Vulkan float32. Each row is the median of several timed passes (after
// one warm-up): wall time, process CPU time, tokens per second and GFLOP/s counted from the matrix
// products the pass performs (attention over all N x N pairs, as computed). The Vulkan time is one
// whole forward_on_device call (recording, one submission, the Trace download); the weights are
// uploaded once per model beforehand (DeviceWeights), as the app does, and that time is printed.
//
// Usage: bench_forward [--device SELECTOR] [--no-gpu] [N ...]   (default N: 32 64 128)
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/forward/forward.h"
#include "core/gpu/device_forward.h"
#include "core/model/model.h"

namespace {

using tl::Model;
using tl::ModelSpec;

// GPT-2 small (124M): D 768, 12 layers, 12 heads, FFN 3072, vocab 50257, 1024 positions.
std::shared_ptr<const Model> make_gpt2_small_shaped() {
  auto m = std::make_shared<Model>();
  ModelSpec& s = m->spec;
  s.family = tl::Family::Gpt2;
  s.model_type = "gpt2";
  s.vocab_size = 50257;
  s.hidden_size = 768;
  s.num_layers = 12;
  s.num_heads = s.num_kv_heads = 12;
  s.head_dim = 64;
  s.intermediate_size = 3072;
  s.max_positions = 1024;
  s.norm = tl::NormKind::LayerNorm;
  s.activation = tl::Activation::GeluTanh;
  s.topology = tl::Topology::PreNorm;
  s.positions = tl::Positions::Learned;
  s.final_norm = s.tied_embeddings = s.attention_bias = s.output_bias = s.mlp_bias = true;
  const int D = s.hidden_size, F = s.intermediate_size;
  auto random = [](int rows, int cols) { return tl::MatF(tl::MatF::Random(rows, cols) * 0.02f); };
  auto linear = [&](int in, int out) { return tl::Linear{random(in, out), tl::VecF::Zero(out)}; };
  auto norm = [&] { return tl::NormWeights{tl::VecF::Ones(D), tl::VecF::Zero(D)}; };
  tl::Weights& w = m->weights;
  w.token_embedding = random(s.vocab_size, D);
  w.position_embedding = random(s.max_positions, D);
  for (int l = 0; l < s.num_layers; ++l) {
    tl::BlockWeights b;
    b.ln1 = norm();
    b.ln2 = norm();
    b.attn = {linear(D, D), linear(D, D), linear(D, D), linear(D, D)};
    b.ffn.up = linear(D, F);
    b.ffn.down = linear(F, D);
    w.blocks.push_back(std::move(b));
  }
  w.final_norm = norm();
  m->name = "gpt2-small-shaped (random)";
  return m;
}

double forward_flops(const ModelSpec& s, double n) {
  const double D = s.hidden_size, F = s.intermediate_size, V = s.vocab_size;
  const double q = double(s.num_heads) * s.head_dim, kv = double(s.num_kv_heads) * s.head_dim;
  const double projections = 2 * n * D * (2 * q + 2 * kv);
  const double attention = 2 * 2 * n * n * q;  // scores and context
  const double ffn = 2 * n * D * F * (s.gated_ffn ? 3 : 2);
  const double head = 2 * n * D * V + (s.mlm_head ? 2 * n * D * D : 0);
  return s.num_layers * (projections + attention + ffn) + head;
}

// Times run() until 3 runs or about 3 s (at least one run after the warm-up, at most 20) and
// prints one row. Slow rows (lavapipe on GPT-2 small) stop after one timed run past 10 s.
void time_row(const Model& model, const char* backend, int n, const std::function<tl::Status()>& run) {
  if (tl::Status warm = run(); !warm.ok()) {
    std::printf("%-28s %-12s %5d error: %s\n", model.name.c_str(), backend, n, warm.error().message.c_str());
    return;
  }
  std::vector<double> seconds, cpu_seconds;
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  while (seconds.empty() || (elapsed() < 10 && (seconds.size() < 3 || (seconds.size() < 20 && elapsed() < 3)))) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::clock_t c0 = std::clock();
    const bool ok = run().ok();
    cpu_seconds.push_back(double(std::clock() - c0) / CLOCKS_PER_SEC);
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (!ok) return;
  }
  std::sort(seconds.begin(), seconds.end());
  std::sort(cpu_seconds.begin(), cpu_seconds.end());
  const double median = seconds[seconds.size() / 2], cpu_median = cpu_seconds[cpu_seconds.size() / 2];
  std::printf("%-28s %-12s %5d %10.2f %10.2f %12.0f %9.2f %5zu\n", model.name.c_str(), backend, n, median * 1e3,
              cpu_median * 1e3, n / median, forward_flops(model.spec, n) / median * 1e-9, seconds.size());
}

tl::ForwardInput random_input(const Model& model, int n) {
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> id(3, model.spec.vocab_size - 1);
  tl::ForwardInput in;
  for (int i = 0; i < n; ++i) in.ids.push_back(id(rng));
  return in;
}

}  // namespace

int main(int argc, char** argv) {
  tl::gpu::ContextOptions device;
  bool gpu = true;
  std::vector<int> sizes;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--device") && i + 1 < argc)
      device.device = argv[++i];
    else if (!std::strcmp(argv[i], "--no-gpu"))
      gpu = false;
    else if (const int n = std::atoi(argv[i]); n > 0)
      sizes.push_back(n);
  }
  if (sizes.empty()) sizes = {32, 64, 128};
  std::vector<std::shared_ptr<const Model>> models;
  auto stories = tl::load_model(std::filesystem::path(TL_TEST_DATA_DIR) / "stories260K");
  if (!stories.ok()) {
    std::fprintf(stderr, "stories260K: %s\n", stories.error().message.c_str());
    return 1;
  }
  models.push_back(*stories);
  models.push_back(make_gpt2_small_shaped());

  std::unique_ptr<tl::gpu::Context> ctx;
  if (gpu) {
    if (auto c = tl::gpu::Context::create(device); c.ok()) {
      ctx = std::move(*c);
      std::printf("vulkan: %s (%s, Vulkan %s)\n", ctx->device().name.c_str(),
                  tl::gpu::device_kind_name(ctx->device().kind), ctx->device().api_version.c_str());
    } else {
      std::printf("vulkan: not measured (%s)\n", c.error().message.c_str());
    }
  }
  std::printf("Forward pass: median of timed runs after one warm-up; wall time, and process CPU time, which\n"
              "stays meaningful on a loaded machine. CPU rows: Eigen. Vulkan rows: forward_on_device, Trace\n"
              "downloaded, weights uploaded once per model before timing.\n\n");
  std::printf("%-28s %-12s %5s %10s %10s %12s %9s %5s\n", "model", "backend", "N", "wall ms", "cpu ms", "tokens/s",
              "GFLOP/s", "runs");
  for (const auto& m : models) {
    std::shared_ptr<const tl::gpu::DeviceWeights> weights;
    if (ctx) {
      const auto t0 = std::chrono::steady_clock::now();
      auto up = tl::gpu::DeviceWeights::upload(*ctx, *m);
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (up.ok()) {
        weights = *up;
        std::printf("# %s: weights uploaded in %.2f s (%.1f MiB)\n", m->name.c_str(), s, (*up)->bytes() / 1048576.0);
      } else {
        std::printf("# %s: weight upload failed: %s\n", m->name.c_str(), up.error().message.c_str());
      }
    }
    for (int n : sizes) {
      const tl::ForwardInput in = random_input(*m, n);
      for (tl::Precision p : {tl::Precision::Float32, tl::Precision::Float64}) {
        time_row(*m, p == tl::Precision::Float64 ? "cpu fp64" : "cpu fp32", n, [&]() -> tl::Status {
          auto t = tl::forward(*m, in, tl::ForwardOptions{p});
          return t.ok() ? tl::Status::Ok() : tl::Status(t.error());
        });
      }
      if (weights) {
        time_row(*m, "vulkan fp32", n, [&]() -> tl::Status {
          auto t = tl::gpu::forward_on_device(*ctx, *weights, in);
          return t.ok() ? tl::Status::Ok() : tl::Status(t.error());
        });
      }
    }
  }
  return 0;
}
