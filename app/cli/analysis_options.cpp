#include "app/cli/analysis_options.h"

#include <cstdio>


namespace tl::cli {

void AnalysisOptions::add_to(CLI::App& cmd) {
  model.add_to(cmd);
  input.add_to(cmd);
  auto* l = cmd.add_option("--layer", layer, "block l alone (1..L)");
  auto* t = cmd.add_option("--through", through, "blocks 1..l composed");
  l->excludes(t);
  cmd.add_option("--target", target, "explained/Out token: a token string or id (default: each position's prediction)");
  cmd.add_flag("--fp64", fp64, "compute in float64 (the exactness mode)");
  cmd.add_option("--device", device, "auto (a real GPU, else the CPU), cpu, gpu (best Vulkan device) or a device name/index (default: cpu)");
  cmd.add_option("--option", set, "method option key=value (see `methods`), repeatable");
  cmd.add_flag("--quiet", quiet, "no progress or backend line on stderr");
}

AnalysisSession open_session(const AnalysisOptions& o) {
  AnalysisSession s;
  s.quiet = o.quiet;
  s.session = o.model.open_session(o.input, o.device, o.fp64 ? Precision::Float64 : Precision::Float32);
  s.analysis = analyse_input(*s.session, o.input);
  if (!o.quiet && o.device != "cpu") std::fprintf(stderr, "%s\n", s.session->device().note().c_str());
  return s;
}

void AnalysisSession::analyse(const InputOptions& input) { analysis = analyse_input(*session, input); }

void AnalysisSession::say_device_change(const std::string& before) const {
  const std::string now = session->device().note();
  if (!quiet && now != before) std::fprintf(stderr, "%s\n", now.c_str());
}

Result<MethodOutput> AnalysisSession::compute(std::string_view method, const MethodRequest& req, Progress* progress) {
  const std::string before = session->device().note();
  auto result = session->compute(analysis, method, req, progress);
  say_device_change(before);
  return result;
}

Result<LayerSeries> AnalysisSession::series(std::string_view method, Scope scope, const MethodRequest& base,
                                            Progress* progress) {
  const std::string before = session->device().note();
  auto result = session->series(analysis, method, scope, base, progress);
  say_device_change(before);
  return result;
}

MethodRequest AnalysisSession::request(const AnalysisOptions& o) const {
  MethodRequest r;
  const int L = model().spec.num_layers;
  if (o.layer) {
    if (*o.layer < 1 || *o.layer > L)
      throw CliError("--layer " + std::to_string(*o.layer) + " is outside 1.." + std::to_string(L));
    r.scope = Scope::Block;
    r.layer = *o.layer;
  } else if (o.through) {
    if (*o.through < 1 || *o.through > L)
      throw CliError("--through " + std::to_string(*o.through) + " is outside 1.." + std::to_string(L));
    r.scope = Scope::Through;
    r.layer = *o.through;
  }
  if (!o.target.empty()) {
    const Tokenizer* tokenizer = session->tokenizer();
    if (auto id = tokenizer ? tokenizer->token_to_id(o.target) : std::nullopt) {
      r.target_token = *id;
    } else {
      try {
        std::size_t used = 0;
        r.target_token = std::stoi(o.target, &used);
        if (used != o.target.size()) throw std::invalid_argument(o.target);
      } catch (const std::exception&) {
        // A word: its first token when the tokenizer splits it (e.g. " girl" -> "▁girl").
        if (!tokenizer) throw CliError("--target '" + o.target + "': give a token id (this model folder has no tokenizer)");
        Encoding e = tokenizer->encode(o.target, false);
        if (e.ids.empty()) throw CliError("--target '" + o.target + "' is not a token of this vocabulary");
        r.target_token = e.ids.front();
      }
    }
    if (r.target_token < 0 || r.target_token >= model().spec.vocab_size)
      throw CliError("--target " + std::to_string(r.target_token) + " is outside the vocabulary (0.." +
                     std::to_string(model().spec.vocab_size - 1) + ")");
  }
  for (const std::string& kv : o.set) {
    auto eq = kv.find('=');
    if (eq == std::string::npos) throw CliError("--option '" + kv + "' is not key=value");
    std::string key = kv.substr(0, eq), val = kv.substr(eq + 1);
    try {
      std::size_t used = 0;
      long long n = std::stoll(val, &used);
      if (used == val.size()) {
        r.options[key] = n;
        continue;
      }
      double d = std::stod(val, &used);
      if (used == val.size()) {
        r.options[key] = d;
        continue;
      }
    } catch (const std::exception&) {
    }
    r.options[key] = val;
  }
  return r;
}

}  // namespace tl::cli
