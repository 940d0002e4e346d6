// GEMM throughput: gemm_tiled on the Vulkan device against Eigen on the CPU (one thread), same run,
// same fp32 inputs, with the normalised difference between the two results.
//
//   bench_gpu_gemm [--device SELECTOR] [--peak-gflops X] [--reps N] [M N K ...]
//
// Sizes default to square 128..1024 plus two TensorLens-shaped products (a D x D weight applied
// to N*D stream rows, GPT-2 small: D = 768). GPU time is wall time around one batch of `reps`
// dispatches (submission and wait included, amortised over the reps), after one warm-up batch.
// With --peak-gflops the table also shows the share of the device's fp32 peak.
#include <Eigen/Dense>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/gpu/compute_kernels.h"
#include "core/gpu/gpu.h"

namespace {

using Clock = std::chrono::steady_clock;
using RowMajorF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct Size {
  std::uint32_t m, n, k;
};

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

int fail(const std::string& what) {
  std::fprintf(stderr, "bench_gpu_gemm: %s\n", what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  tl::gpu::ContextOptions options;
  double peak = 0;
  int reps = 5;
  std::vector<Size> sizes;
  std::vector<std::uint32_t> dims;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--device") && i + 1 < argc)
      options.device = argv[++i];
    else if (!std::strcmp(argv[i], "--peak-gflops") && i + 1 < argc)
      peak = std::atof(argv[++i]);
    else if (!std::strcmp(argv[i], "--reps") && i + 1 < argc)
      reps = std::max(1, std::atoi(argv[++i]));
    else
      dims.push_back(static_cast<std::uint32_t>(std::strtoul(argv[i], nullptr, 10)));
  }
  if (dims.size() % 3 != 0) return fail("sizes come in triples M N K");
  for (std::size_t i = 0; i < dims.size(); i += 3) sizes.push_back({dims[i], dims[i + 1], dims[i + 2]});
  if (sizes.empty())
    sizes = {{128, 128, 128},    {256, 256, 256},     {512, 512, 512},
             {1024, 1024, 1024}, {768, 32 * 32, 768}, {3072, 32 * 32, 768}};

  auto created = tl::gpu::Context::create(options);
  if (!created.ok()) return fail(created.error().message);
  tl::gpu::Context& ctx = **created;
  tl::gpu::ComputeKernels kernels(ctx);
  std::printf("device: %s (%s, Vulkan %s)\n", ctx.device().name.c_str(),
              tl::gpu::device_kind_name(ctx.device().kind), ctx.device().api_version.c_str());
  std::printf("cpu:    Eigen %d.%d.%d, 1 thread\n", EIGEN_WORLD_VERSION, EIGEN_MAJOR_VERSION,
              EIGEN_MINOR_VERSION);
  std::printf("C = A B, row-major fp32, %d reps\n\n", reps);
  std::printf("%6s %6s %6s %12s %14s %14s %9s %12s\n", "M", "N", "K", "GFLOP", "vulkan GFLOP/s",
              "eigen GFLOP/s", "speedup", peak > 0 ? "% of peak" : "max rel err");

  for (const Size& s : sizes) {
    const double flop = 2.0 * s.m * s.n * s.k;
    const RowMajorF a = RowMajorF::Random(s.m, s.k), b = RowMajorF::Random(s.k, s.n);

    // CPU: Eigen, best of reps.
    RowMajorF c_cpu(s.m, s.n);
    double cpu_best = 1e300;
    for (int r = 0; r < reps; ++r) {
      const auto t0 = Clock::now();
      c_cpu.noalias() = a * b;
      cpu_best = std::min(cpu_best, seconds_since(t0));
    }

    auto da = ctx.create_buffer(a.size(), "A");
    auto db = ctx.create_buffer(b.size(), "B");
    auto dc = ctx.create_buffer(std::uint64_t(s.m) * s.n, "C");
    if (!da.ok() || !db.ok() || !dc.ok())
      return fail("buffers for " + std::to_string(s.m) + "x" + std::to_string(s.n));
    if (!ctx.upload(*da, std::span<const float>(a.data(), a.size())).ok() ||
        !ctx.upload(*db, std::span<const float>(b.data(), b.size())).ok())
      return fail("upload failed");
    tl::gpu::GemmShape shape;
    shape.m = s.m, shape.n = s.n, shape.k = s.k;
    double gpu_seconds = 0;
    for (int round = 0; round < 2; ++round) {  // round 0 warms up (pipeline creation, caches)
      auto batch = ctx.begin_batch();
      if (!batch.ok()) return fail(batch.error().message);
      for (int r = 0; r < (round == 0 ? 1 : reps); ++r)
        if (auto st = kernels.gemm(*batch, *da, *db, *dc, shape); !st.ok()) return fail(st.error().message);
      const auto t0 = Clock::now();
      if (auto st = batch->submit_and_wait(); !st.ok()) return fail(st.error().message);
      gpu_seconds = seconds_since(t0) / (round == 0 ? 1 : reps);
    }
    RowMajorF c_gpu(s.m, s.n);
    if (!ctx.download(*dc, std::span<float>(c_gpu.data(), c_gpu.size())).ok()) return fail("download failed");
    const double rel = (c_gpu - c_cpu).cwiseAbs().maxCoeff() / std::max(1e-30f, c_cpu.cwiseAbs().maxCoeff());

    const double gpu_gflops = flop / gpu_seconds * 1e-9, cpu_gflops = flop / cpu_best * 1e-9;
    std::printf("%6u %6u %6u %12.3f %14.1f %14.1f %8.1fx ", s.m, s.n, s.k, flop * 1e-9, gpu_gflops,
                cpu_gflops, gpu_gflops / cpu_gflops);
    if (peak > 0)
      std::printf("%11.1f%%\n", 100.0 * gpu_gflops / peak);
    else
      std::printf("%12.2e\n", rel);
  }
  return 0;
}
