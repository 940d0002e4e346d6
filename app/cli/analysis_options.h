#pragma once
// Options shared by `analyze`, `block` and `render`: scope (--layer / --through), target,
// precision, device, method options; and the engine session they open (core/engine/session.h):
// the CLI only parses, the engine computes.
#include <memory>

#include "app/cli/cli_common.h"
#include "core/engine/session.h"

namespace tl::cli {

struct AnalysisOptions {
  ModelOption model;
  InputOptions input;
  std::optional<int> layer;    // --layer l: block l alone
  std::optional<int> through;  // --through l: blocks 1..l
  std::string target;          // --target TOKEN (a token string or an id)
  bool fp64 = false;
  std::string device = "cpu";  // --device auto | cpu | gpu | <selector> (core/engine/device_policy.h)
  std::vector<std::string> set;  // --option key=value (method options)
  bool quiet = false;

  void add_to(CLI::App& cmd);
};

// One model's engine session and the analysis of the current input.
struct AnalysisSession {
  engine::SessionPtr session;
  engine::Analysis analysis;
  bool quiet = false;

  const Model& model() const { return session->model(); }
  // Analyses another input on the same session (`render --sentences`).
  void analyse(const InputOptions& input);
  // Any method on the session's device; a GPU failure mid-run (device lost, out of device memory)
  // is redone on the CPU by the engine and said on stderr in one line.
  Result<MethodOutput> compute(std::string_view method, const MethodRequest& req, Progress* progress);
  Result<LayerSeries> series(std::string_view method, Scope scope, const MethodRequest& base, Progress* progress);
  MethodRequest request(const AnalysisOptions& o) const;
  // "model name (source)" for provenance.
  std::string model_label() const { return model().name + " (" + model().source + ")"; }

 private:
  void say_device_change(const std::string& before) const;
};

AnalysisSession open_session(const AnalysisOptions& o);

}  // namespace tl::cli
