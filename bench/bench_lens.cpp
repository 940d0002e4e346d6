// TensorLens engine benchmark (CPU backend): time, peak memory and GFLOP/s of each strategy and
// map for stories260K (N = 32, 128) and a GPT-2-small-shaped model with random weights
// (N = 16, 32, 64). FLOP counts are the planner's (docs/LENS_FLOPS.md), GFLOP/s = FLOP / wall
// time, "% peak" against this machine's fp32 FMA peak measured at start-up (all threads), beside
// the GFLOP/s of one large Eigen GEMM through the backend. Peak memory is the process's resident
// high-water mark during the case above what was resident before it (the model and the trace),
// next to the planner's estimate.
// "cpu/t" is process CPU time over wall time (about the thread count on an idle machine; lower
// means the machine was busy and wall times are inflated).
//
// Usage: bench_lens [--model stories|gpt2|all] [--n 16,32] [--method tensorlens,tensorlens-in,...|all]
//                   [--strategy auto,full,column-slices,input-contracted,row-slices|all]
//                   [--max-seconds S] [--quick]
//   --quick: stories260K N = 32 and GPT-2 N = 16 tensorlens-in only.
//   Cases whose estimated time exceeds --max-seconds (default 150) are listed as skipped.
#include <immintrin.h>

#include <chrono>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/backend/cpu_backend.h"
#include "core/forward/forward.h"
#include "core/lens/analysis.h"
#include "tests/support/synthetic_model.h"
#include "core/model/model.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace tl;
using lens::LensMethod;
using lens::Strategy;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// fp32 FMA peak of one thread: 12 independent accumulators (enough to cover FMA latency).
double fma_peak_one_thread() {
#if defined(__AVX512F__)
  __m512 acc[12];
  for (auto& a : acc) a = _mm512_set1_ps(1.0f);
  const __m512 b = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
  constexpr double lanes = 16;
#define TL_FMA(a) a = _mm512_fmadd_ps(a, b, c)
#elif defined(__AVX2__) && defined(__FMA__)
  __m256 acc[12];
  for (auto& a : acc) a = _mm256_set1_ps(1.0f);
  const __m256 b = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
  constexpr double lanes = 8;
#define TL_FMA(a) a = _mm256_fmadd_ps(a, b, c)
#else
  return 0;
#endif
#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
  const long iters = 50'000'000;
  const auto t0 = Clock::now();
  for (long i = 0; i < iters; ++i) {
    for (auto& a : acc) TL_FMA(a);
  }
  const double s = seconds_since(t0);
  volatile float sink = 0;
  for (auto& a : acc) sink = sink + reinterpret_cast<float*>(&a)[0];
  (void)sink;
  return iters * 12.0 * lanes * 2 / s / 1e9;
#undef TL_FMA
#endif
}

double fma_peak(int threads) {
  std::vector<double> per(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back([&per, t] { per[t] = fma_peak_one_thread(); });
  for (auto& th : pool) th.join();
  double sum = 0;
  for (double v : per) sum += v;
  return sum;
}

double backend_gemm_gflops(CpuBackend& be) {
  const std::int64_t r = 4096, k = 768, m = 3072;
  auto x = be.allocate(r, k, Precision::Float32), w = be.allocate(k, m, Precision::Float32),
       y = be.allocate(r, m, Precision::Float32);
  if (!x || !w || !y) return 0;
  be.upload_rows(MatD::Random(r, k), *x.value());
  be.upload_rows(MatD::Random(k, m), *w.value());
  be.gemm(*x.value(), *w.value(), false, *y.value(), false);  // warm-up
  const auto t0 = Clock::now();
  for (int rep = 0; rep < 3; ++rep) be.gemm(*x.value(), *w.value(), false, *y.value(), false);
  return 3 * 2.0 * r * k * m / seconds_since(t0) / 1e9;
}

void reset_peak_rss() {
  std::ofstream("/proc/self/clear_refs") << "5";
}

// VmHWM (peak) or VmRSS (current) of this process, MiB.
double rss_mib(const char* field = "VmHWM:") {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::size_t len = std::strlen(field);
  while (std::getline(in, line)) {
    if (line.compare(0, len, field) == 0) return std::stod(line.substr(len)) / 1024.0;
  }
  return 0;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string part; std::getline(ss, part, ',');) out.push_back(part);
  return out;
}

struct Options {
  std::vector<std::string> models{"stories", "gpt2"};
  std::vector<int> ns;  // empty = per-model defaults
  std::vector<LensMethod> methods{LensMethod::TensorLens, LensMethod::In, LensMethod::Out, LensMethod::InOut};
  std::vector<Strategy> strategies{Strategy::Auto, Strategy::Full, Strategy::ColumnSlices, Strategy::InputContracted,
                                   Strategy::RowSlices};
  double max_seconds = 150;
  bool quick = false;
};

bool parse(int argc, char** argv, Options& o) {
  for (int a = 1; a < argc; ++a) {
    const std::string arg = argv[a];
    auto next = [&]() -> std::string { return a + 1 < argc ? argv[++a] : ""; };
    if (arg == "--model") {
      const std::string v = next();
      o.models = v == "all" ? std::vector<std::string>{"stories", "gpt2"} : split(v);
    } else if (arg == "--n") {
      o.ns.clear();
      for (const auto& s : split(next())) o.ns.push_back(std::stoi(s));
    } else if (arg == "--method") {
      const std::string v = next();
      if (v != "all") {
        o.methods.clear();
        for (const auto& s : split(v)) {
          auto m = lens::parse_lens_method(s);
          if (!m) return std::fprintf(stderr, "%s\n", m.error().message.c_str()), false;
          o.methods.push_back(*m);
        }
      }
    } else if (arg == "--strategy") {
      const std::string v = next();
      if (v != "all") {
        o.strategies.clear();
        for (const auto& s : split(v)) {
          auto st = lens::parse_strategy(s);
          if (!st) return std::fprintf(stderr, "%s\n", st.error().message.c_str()), false;
          o.strategies.push_back(*st);
        }
      }
    } else if (arg == "--max-seconds") {
      o.max_seconds = std::stod(next());
    } else if (arg == "--quick") {
      o.quick = true;
    } else {
      std::fprintf(stderr, "unknown argument %s\n", arg.c_str());
      return false;
    }
  }
  return true;
}

std::shared_ptr<const Model> make_model(const std::string& name) {
  if (name == "stories") {
    auto m = load_embedded_model();
    if (!m) std::fprintf(stderr, "%s\n", m.error().message.c_str());
    return m ? m.value() : nullptr;
  }
  auto m = std::make_shared<Model>(make_synthetic_model(gpt2_small_spec(), 7, 1.0f / std::sqrt(768.0f)));
  m->name = "gpt2-small-shaped";
  m->source = "random";
  return m;
}

void run_case(const Model& model, const Trace& trace, LensMethod method, Strategy strategy, CpuBackend& be,
              double peak_gflops, double max_seconds) {
  lens::MapRequest req;
  req.method = method;
  req.strategy = strategy;
  std::printf("%-18s %4d  %-17s %-16s ", model.name.c_str(), trace.num_tokens(), to_string(method), to_string(strategy));
  auto est = lens::estimate(model, trace, req, &be);
  if (!est) {
    std::printf("n/a: %s\n", est.error().message.c_str());
    return;
  }
  if (est->seconds > max_seconds) {
    std::printf("skipped: %s\n", est->summary().c_str());
    return;
  }
  reset_peak_rss();
  const double resident = rss_mib("VmRSS:");  // the model and trace, before the case
  const auto t0 = Clock::now();
  const std::clock_t c0 = std::clock();
  auto map = lens::compute_map(model, trace, req, be);
  const double s = seconds_since(t0);
  const double cpu = double(std::clock() - c0) / CLOCKS_PER_SEC;
  if (!map) {
    std::printf("error: %s\n", map.error().message.c_str());
    return;
  }
  const double gflops = est->flops / s / 1e9;
  std::printf("%-16s %5d %3d %-5s %10.3g %9.3f %7.2f %8.1f %6.1f%% %9.1f %9.1f\n", to_string(est->strategy), est->passes,
              est->sources_per_pass, est->fused ? "yes" : "no", est->flops, s, cpu / s, gflops,
              peak_gflops > 0 ? 100 * gflops / peak_gflops : 0.0, double(est->peak_bytes) / (1 << 20),
              rss_mib() - resident);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  if (!parse(argc, argv, opt)) return 2;
  CpuBackend be;
  const double peak = fma_peak(be.threads());
  const double gemm = backend_gemm_gflops(be);
  std::printf("CPU backend, %d threads. fp32 FMA peak %.1f GFLOP/s; backend GEMM 4096x768x3072: %.1f GFLOP/s (%.0f%%)\n\n",
              be.threads(), peak, gemm, peak > 0 ? 100 * gemm / peak : 0.0);
  std::printf("%-18s %4s  %-17s %-16s %-16s %5s %3s %-5s %10s %9s %7s %8s %7s %9s %9s\n", "model", "N", "method",
              "requested", "strategy", "pass", "tok", "fused", "FLOP", "time s", "cpu/t", "GFLOP/s", "%peak", "est MiB",
              "+RSS MiB");
  for (const std::string& name : opt.models) {
    auto model = make_model(name);
    if (!model) return 1;
    std::vector<int> ns = opt.ns;
    if (ns.empty()) ns = name == "stories" ? std::vector<int>{32, 128} : std::vector<int>{16, 32, 64};
    if (opt.quick) ns = {name == "stories" ? 32 : 16};
    for (int n : ns) {
      std::mt19937 rng(n);
      std::uniform_int_distribution<int> id(3, model->spec.vocab_size - 1);
      ForwardInput in;
      for (int i = 0; i < n; ++i) in.ids.push_back(id(rng));
      auto trace = forward(*model, in);
      if (!trace) {
        std::fprintf(stderr, "%s\n", trace.error().message.c_str());
        return 1;
      }
      for (LensMethod method : opt.methods) {
        if (opt.quick && method != LensMethod::In) continue;
        for (Strategy strategy : opt.strategies) {
          if (opt.quick && strategy != Strategy::Auto) continue;
          run_case(*model, trace.value(), method, strategy, be, peak, opt.max_seconds);
        }
      }
    }
  }
  return 0;
}
