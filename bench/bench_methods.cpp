// Time of every registry method (core/methods/registry.h) at N = 32 tokens on the default model
// (stories260K) and on a GPT-2-small-shaped model with random weights built in code (D 768,
// 12 layers, 12 heads, FFN 3072, vocab 50257). One row per method, wall time of one call on a
// Float32 trace (the methods' own arithmetic is float64), default options, requests as a view
// would make them: per-layer-only methods for every layer and head, the others end to end.
//
// Exact Jacobian methods cost about N * D forward passes (GPT-2 small: 24,576), so each method
// runs under a time budget: when it is cancelled through its Progress, the row shows
// "~<time>", extrapolated from the fraction of the work it had reported done (the methods
// report progress per chunk of work, so the estimate comes from whole, measured chunks).
//
// Usage: bench_methods [--budget SECONDS (default 30)] [--only stories|gpt2] [--methods a,b,...]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/forward/forward.h"
#include "core/methods/registry.h"
#include "tests/support/synthetic_model.h"
#include "core/model/model.h"
#include "core/tokenizer/tokenizer.h"

namespace {

using Clock = std::chrono::steady_clock;

// Cancels after `budget` seconds and remembers the last (time, fraction) reported.
class BudgetProgress : public tl::Progress {
 public:
  explicit BudgetProgress(double budget) : budget_(budget), start_(Clock::now()) {}
  void report(double fraction, std::string_view) override {
    if (fraction > 0) {
      last_fraction_ = fraction;
      last_time_ = elapsed();
    }
  }
  bool cancelled() const override { return elapsed() > budget_; }
  double elapsed() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }
  // Total time extrapolated from the last report, or nothing without one.
  std::optional<double> extrapolated() const {
    if (last_fraction_ <= 0) return std::nullopt;
    return last_time_ / last_fraction_;
  }

 private:
  double budget_;
  Clock::time_point start_;
  double last_fraction_ = 0, last_time_ = 0;
};

struct Subject {
  std::string name;
  std::shared_ptr<const tl::Model> model;
  std::optional<tl::Tokenizer> tokenizer;
  tl::Trace trace;
  tl::ForwardInput input;
};

std::string format_seconds(double s) {
  char buf[64];
  if (s < 1) {
    std::snprintf(buf, sizeof buf, "%.1f ms", s * 1e3);
  } else if (s < 600) {
    std::snprintf(buf, sizeof buf, "%.2f s", s);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f min", s / 60);
  }
  return buf;
}

std::string time_method(const tl::MethodInfo& info, const Subject& subject, double budget) {
  tl::MethodInputs in;
  in.model = subject.model.get();
  in.trace = &subject.trace;
  in.input = subject.input;
  in.tokenizer = subject.tokenizer ? &*subject.tokenizer : nullptr;
  tl::MethodRequest req;
  if (info.per_layer && !info.cumulative) {
    req.scope = tl::Scope::Block;
    req.layer = 0;  // every layer (and head)
  }
  BudgetProgress progress(budget);
  try {
    const auto t0 = Clock::now();
    auto out = tl::compute_method(info.name, in, req, &progress);
    const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    if (!out) return "error: " + out.error().message.substr(0, 60);
    return format_seconds(seconds);
  } catch (const tl::Cancelled&) {
    if (auto total = progress.extrapolated()) return "~" + format_seconds(*total);
    return "> " + format_seconds(budget) + " (no progress reported)";
  }
}

Subject make_stories(int n) {
  Subject s;
  s.name = "stories260K";
  auto model = tl::load_embedded_model();
  if (!model) {
    std::fprintf(stderr, "embedded model: %s\n", model.error().message.c_str());
    std::exit(1);
  }
  s.model = *model;
  auto tok = tl::Tokenizer::embedded();
  if (tok) s.tokenizer = std::move(*tok);
  std::vector<int> ids;
  const char* text = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her friends. ";
  while (s.tokenizer && int(ids.size()) < n) {
    for (int id : s.tokenizer->encode(text).ids) ids.push_back(id);
  }
  ids.resize(size_t(n), 1);
  s.input.ids = ids;
  return s;
}

Subject make_gpt2(int n) {
  Subject s;
  s.name = "GPT-2-small-shaped";
  s.model = std::make_shared<tl::Model>(tl::make_synthetic_model(tl::gpt2_small_spec(), 1234, 0.02f));
  for (int i = 0; i < n; ++i) s.input.ids.push_back(int((i * 7919L + 13) % 50257));
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  double budget = 30;
  std::string only;
  std::set<std::string> methods;
  for (int a = 1; a < argc; ++a) {
    if (!std::strcmp(argv[a], "--budget") && a + 1 < argc) {
      budget = std::atof(argv[++a]);
    } else if (!std::strcmp(argv[a], "--only") && a + 1 < argc) {
      only = argv[++a];
    } else if (!std::strcmp(argv[a], "--methods") && a + 1 < argc) {
      std::stringstream list(argv[++a]);
      for (std::string m; std::getline(list, m, ',');) methods.insert(m);
    } else {
      std::fprintf(stderr, "usage: bench_methods [--budget SECONDS] [--only stories|gpt2] [--methods a,b,...]\n");
      return 2;
    }
  }
  const int n = 32;
  std::vector<Subject> subjects;
  if (only.empty() || only == "stories") subjects.push_back(make_stories(n));
  if (only.empty() || only == "gpt2") subjects.push_back(make_gpt2(n));
  for (Subject& s : subjects) {
    auto trace = tl::forward(*s.model, s.input);
    if (!trace) {
      std::fprintf(stderr, "%s: %s\n", s.name.c_str(), trace.error().message.c_str());
      return 1;
    }
    s.trace = std::move(*trace);
  }
  std::printf("bench_methods: N = %d, Float32 trace, budget %.0f s per method (~ = extrapolated)\n\n", n, budget);
  std::printf("| %-26s |", "method");
  for (const Subject& s : subjects) std::printf(" %-22s |", s.name.c_str());
  std::printf(" needs\n|%s|", std::string(28, '-').c_str());
  for (size_t k = 0; k < subjects.size(); ++k) std::printf("%s|", std::string(24, '-').c_str());
  std::printf("------\n");
  for (const tl::MethodInfo& info : tl::method_registry()) {
    if (!methods.empty() && !methods.count(std::string(info.name))) continue;
    std::printf("| %-26s |", std::string(info.name).c_str());
    std::fflush(stdout);
    for (const Subject& s : subjects) {
      std::printf(" %-22s |", time_method(info, s, budget).c_str());
      std::fflush(stdout);
    }
    std::printf(" %s\n", tl::needs_label(info.needs).c_str());
  }
  return 0;
}
