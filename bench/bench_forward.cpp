// CPU forward-pass throughput (Eigen, one thread unless Eigen was built with OpenMP) for the
// default model (stories260K) and a GPT-2-small-shaped model with random weights built in code,
// at N = 128 tokens, Float32 and Float64. Prints one row per (model, precision): the median of
// several timed passes (after one warm-up), tokens per second and GFLOP/s counted from the
// matrix products the pass performs (attention over all N x N pairs, as computed). tokens/s and
// GFLOP/s use wall time.
//
// Usage: bench_forward [N]   (default 128)
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/forward/forward.h"
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

void bench(const Model& model, int n, tl::Precision precision) {
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> id(3, model.spec.vocab_size - 1);
  tl::ForwardInput in;
  for (int i = 0; i < n; ++i) in.ids.push_back(id(rng));
  tl::ForwardOptions opt{precision};
  if (auto warm = tl::forward(model, in, opt); !warm.ok()) {
    std::printf("%-28s error: %s\n", model.name.c_str(), warm.error().message.c_str());
    return;
  }
  std::vector<double> seconds, cpu_seconds;
  const auto start = std::chrono::steady_clock::now();
  while (seconds.size() < 3 || (seconds.size() < 20 && std::chrono::steady_clock::now() - start < std::chrono::seconds(3))) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::clock_t c0 = std::clock();
    const bool ok = tl::forward(model, in, opt).ok();
    cpu_seconds.push_back(double(std::clock() - c0) / CLOCKS_PER_SEC);
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (!ok) return;
  }
  std::sort(seconds.begin(), seconds.end());
  std::sort(cpu_seconds.begin(), cpu_seconds.end());
  const double median = seconds[seconds.size() / 2], cpu_median = cpu_seconds[cpu_seconds.size() / 2];
  std::printf("%-28s %-5s %5d %10.2f %10.2f %12.0f %9.2f %5zu\n", model.name.c_str(),
              precision == tl::Precision::Float64 ? "fp64" : "fp32", n, median * 1e3, cpu_median * 1e3,
              n / median, forward_flops(model.spec, n) / median * 1e-9, seconds.size());
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 128;
  std::vector<std::shared_ptr<const Model>> models;
  auto stories = tl::load_model(std::filesystem::path(TL_TEST_DATA_DIR) / "stories260K");
  if (!stories.ok()) {
    std::fprintf(stderr, "stories260K: %s\n", stories.error().message.c_str());
    return 1;
  }
  models.push_back(*stories);
  models.push_back(make_gpt2_small_shaped());
  std::printf("CPU forward pass, N = %d tokens (median of timed runs after one warm-up; wall time,\n"
              "and process CPU time, which stays meaningful on a loaded machine)\n", n);
  std::printf("%-28s %-5s %5s %10s %10s %12s %9s %5s\n", "model", "prec", "N", "wall ms", "cpu ms", "tokens/s",
              "GFLOP/s", "runs");
  for (const auto& m : models) {
    for (tl::Precision p : {tl::Precision::Float32, tl::Precision::Float64}) bench(*m, n, p);
  }
  return 0;
}
