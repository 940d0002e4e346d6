// Soak test (docs/RELIABILITY.md): many analyses of random sentences in one process on the embedded model
// (stories260K), with the resident set size (VmRSS) measured at the start, after a warm-up and at
// the end (after malloc_trim, so it counts memory still in use). A leak or a cache that grows
// with every sentence shows up as growth from warm-up to end; the program fails (exit 1) when
// that growth is over 10%. Each analysis is what the app does for a new sentence: tokenize, the
// forward pass, then a map from the registry (the methods rotate: TensorLens In end to end,
// TensorLens per layer, rollout, attention mean, input x gradient, ALTI).
//
// Usage: soak [--runs N (1000)] [--backend cpu|vulkan] [--seed S] [--max-words W (40)]
// Not part of CI (minutes on 2 cores); results are recorded in docs/RELIABILITY.md.
#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/backend/cpu_backend.h"
#include "core/forward/forward.h"
#include "core/gpu/vulkan_backend.h"
#include "core/methods/registry.h"
#include "core/model/model.h"
#include "core/tokenizer/tokenizer.h"

namespace {

// kB of a /proc/self/status field (VmRSS: resident now, VmHWM: peak).
long status_kb(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::size_t n = std::strlen(field);
  while (std::getline(in, line))
    if (line.compare(0, n, field) == 0) return std::strtol(line.c_str() + n, nullptr, 10);
  return -1;
}

// Resident memory of what is still allocated: freed blocks are first given back to the system
// (malloc_trim), otherwise RSS swings by tens of MiB with whichever method ran last and hides the
// trend a leak would make.
long rss_kb() {
  malloc_trim(0);
  return status_kb("VmRSS:");
}

const char* const kWords[] = {
    "once",  "upon",    "a",     "time",   "there",  "was",  "little", "girl",        "named",
    "Lily",  "she",     "liked", "to",     "play",   "with", "her",    "big",         "red",
    "ball",  "in",      "the",   "park",   "one",    "day",  "saw",    "dog",         "and",
    "said",  "hello",   "mom",   "happy",  "sad",    "tree", "sun",    "went",        "home",
    "ate",   "cake",    ",",     ".",      "!",      "Tom",  "bird",   "flew",        "over",
    "house", "because", "it",    "wanted", "friend", "??",   "42",     "caf\xc3\xa9", "\xe6\x97\xa5"};

std::string random_sentence(std::mt19937& rng, int max_words) {
  std::uniform_int_distribution<int> len(1, max_words);
  std::uniform_int_distribution<int> word(0, static_cast<int>(std::size(kWords)) - 1);
  std::string s;
  for (int i = 0, n = len(rng); i < n; ++i) {
    if (i) s += ' ';
    s += kWords[word(rng)];
  }
  return s;
}

struct Step {
  const char* method;
  tl::Scope scope;
  int layer;
};

}  // namespace

int main(int argc, char** argv) {
  int runs = 1000, max_words = 40;
  unsigned seed = 1;
  std::string backend_name = "cpu";
  for (int i = 1; i < argc; ++i) {
    auto next = [&] { return i + 1 < argc ? argv[++i] : ""; };
    if (!std::strcmp(argv[i], "--runs"))
      runs = std::atoi(next());
    else if (!std::strcmp(argv[i], "--backend"))
      backend_name = next();
    else if (!std::strcmp(argv[i], "--seed"))
      seed = static_cast<unsigned>(std::atoi(next()));
    else if (!std::strcmp(argv[i], "--max-words"))
      max_words = std::atoi(next());
    else {
      std::fprintf(stderr, "usage: soak [--runs N] [--backend cpu|vulkan] [--seed S] [--max-words W]\n");
      return 2;
    }
  }
  const long rss_start = rss_kb();
  auto model = tl::load_embedded_model();
  auto tokenizer = tl::Tokenizer::embedded();
  if (!model || !tokenizer) {
    std::fprintf(stderr, "soak: cannot load the embedded model\n");
    return 1;
  }
  std::unique_ptr<tl::Backend> backend;
  if (backend_name == "vulkan") {
    auto vk = tl::gpu::VulkanBackend::create();
    if (!vk) {
      std::fprintf(stderr, "soak: no Vulkan backend: %s\n", vk.error().message.c_str());
      return 1;
    }
    backend = std::move(vk.value());
  } else {
    backend = std::make_unique<tl::CpuBackend>();
  }
  std::printf("soak: %d analyses on %s, backend %s, seed %u\n", runs, (*model)->name.c_str(),
              backend->name().c_str(), seed);

  const Step steps[] = {{"tensorlens-in", tl::Scope::EndToEnd, 0},    {"tensorlens", tl::Scope::Block, 2},
                        {"rollout", tl::Scope::EndToEnd, 0},          {"attention-mean", tl::Scope::Block, 3},
                        {"input-x-gradient", tl::Scope::EndToEnd, 0}, {"alti", tl::Scope::EndToEnd, 0}};
  std::mt19937 rng(seed);
  const int warmup = std::min(runs, 50);
  long rss_warm = -1;
  std::size_t tokens_total = 0, failures = 0;
  const auto t0 = std::chrono::steady_clock::now();
  std::printf("%8s %10s %10s\n", "run", "RSS (MiB)", "ms/run");
  auto last = t0;
  for (int r = 1; r <= runs; ++r) {
    const std::string text = random_sentence(rng, max_words);
    tl::ForwardInput in;
    in.ids = tokenizer->encode(text).ids;
    tokens_total += in.ids.size();
    auto trace = tl::forward(**model, in);
    if (!trace) {
      ++failures;
      std::fprintf(stderr, "run %d: forward: %s\n", r, trace.error().message.c_str());
      continue;
    }
    const Step& step = steps[r % std::size(steps)];
    tl::MethodInputs inputs;
    inputs.model = model->get();
    inputs.trace = &*trace;
    inputs.input = in;
    inputs.tokenizer = &*tokenizer;
    inputs.backend = backend.get();
    tl::MethodRequest req;
    req.scope = step.scope;
    req.layer = step.layer;
    auto out = tl::compute_method(step.method, inputs, req);
    if (!out || out->maps.empty()) {
      ++failures;
      std::fprintf(stderr, "run %d: %s: %s\n", r, step.method, out ? "no map" : out.error().message.c_str());
    }
    if (r == warmup) rss_warm = rss_kb();
    if (r % 100 == 0 || r == runs) {
      const auto now = std::chrono::steady_clock::now();
      const int span = r % 100 == 0 ? 100 : r % 100;
      std::printf("%8d %10.1f %10.2f\n", r, rss_kb() / 1024.0,
                  std::chrono::duration<double, std::milli>(now - last).count() / span);
      std::fflush(stdout);
      last = now;
    }
  }
  const long rss_end = rss_kb();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double growth = rss_warm > 0 ? double(rss_end - rss_warm) / double(rss_warm) : 0.0;
  std::printf(
      "RSS: start %.1f MiB, after %d runs %.1f MiB, end %.1f MiB: growth after warm-up %+.1f%% (peak %.1f "
      "MiB)\n",
      rss_start / 1024.0, warmup, rss_warm / 1024.0, rss_end / 1024.0, 100.0 * growth,
      status_kb("VmHWM:") / 1024.0);
  std::printf("%d runs in %.1f s (%.1f tokens on average), %zu failures\n", runs, seconds,
              runs ? double(tokens_total) / runs : 0.0, failures);
  if (failures) return 1;
  if (growth > 0.10) {
    std::printf("FAIL: resident memory grew by more than 10%%\n");
    return 1;
  }
  return 0;
}
