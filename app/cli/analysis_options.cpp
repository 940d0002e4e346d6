#include "app/cli/analysis_options.h"

#include <cstdio>

#include "core/gpu/vulkan_backend.h"

namespace tl::cli {

void AnalysisOptions::add_to(CLI::App& cmd) {
  model.add_to(cmd);
  input.add_to(cmd);
  auto* l = cmd.add_option("--layer", layer, "block l alone (1..L)");
  auto* t = cmd.add_option("--through", through, "blocks 1..l composed");
  l->excludes(t);
  cmd.add_option("--target", target, "explained/Out token: a token string or id (default: each position's prediction)");
  cmd.add_flag("--fp64", fp64, "compute in float64 (the exactness mode)");
  cmd.add_option("--device", device, "cpu, gpu (best Vulkan device) or a device name/index (default: cpu)");
  cmd.add_option("--option", set, "method option key=value (see `methods`), repeatable");
  cmd.add_flag("--quiet", quiet, "no progress or backend line on stderr");
}

AnalysisSession open_session(const AnalysisOptions& o) {
  AnalysisSession s;
  s.model = o.model.load_model();
  s.tokenizer = o.model.load_tokenizer_for(o.input);
  s.input = prepare_input(o.input, s.tokenizer.get(), *s.model);
  gpu::BackendRequest& br = s.backend_request;
  br.prefer_gpu = !o.device.empty() && o.device != "cpu" && !o.fp64;
  if (br.prefer_gpu && o.device != "gpu") br.device.device = o.device;
  br.precision = o.fp64 ? Precision::Float64 : Precision::Float32;
  s.backend = gpu::select_backend(br);
  s.quiet = o.quiet;
  if (!o.quiet && !o.device.empty()) std::fprintf(stderr, "%s\n", s.backend.note.c_str());
  s.run_forward(o.fp64 ? Precision::Float64 : Precision::Float32);
  return s;
}

void AnalysisSession::run_forward(Precision precision) {
  if (!backend.gpu) device_weights.reset();  // a failed GPU was replaced by the CPU backend
  if (backend.gpu && precision == Precision::Float32 && !device_weights) {
    // Upload once; on failure forward_with_cpu_fallback tries again and reports why.
    if (auto* vk = dynamic_cast<gpu::VulkanBackend*>(backend.backend.get()))
      if (auto w = gpu::DeviceWeights::upload(vk->context(), *model); w.ok()) device_weights = *w;
  }
  auto run = gpu::forward_with_cpu_fallback(backend, *model, input.forward, ForwardOptions{precision},
                                            device_weights.get());
  if (!run) throw CliError(run.error().message);
  trace = std::move(run->trace);
  if (!quiet && backend.gpu && !run->on_device) std::fprintf(stderr, "%s\n", run->note.c_str());
}

Result<MethodOutput> AnalysisSession::compute(std::string_view method, const MethodRequest& req, Progress* progress) {
  const bool was_gpu = backend.gpu;
  auto result = gpu::run_with_cpu_fallback(backend, backend_request, [&](Backend& b) {
    MethodInputs in = inputs();
    in.backend = &b;
    return compute_method(method, in, req, progress);
  });
  if (was_gpu && !backend.gpu && !quiet) std::fprintf(stderr, "%s\n", backend.note.c_str());
  return result;
}

MethodInputs AnalysisSession::inputs() const {
  MethodInputs in;
  in.model = model.get();
  in.trace = &trace;
  in.input = input.forward;
  in.tokenizer = tokenizer.get();
  in.text = input.text;
  in.backend = backend.backend.get();
  return in;
}

MethodRequest AnalysisSession::request(const AnalysisOptions& o) const {
  MethodRequest r;
  const int L = model->spec.num_layers;
  if (o.layer) {
    if (*o.layer < 1 || *o.layer > L)
      throw CliError("--layer " + std::to_string(*o.layer) + " is outside 1.." + std::to_string(L));
    r.scope = Scope::Layer;
    r.layer = *o.layer;
  } else if (o.through) {
    if (*o.through < 1 || *o.through > L)
      throw CliError("--through " + std::to_string(*o.through) + " is outside 1.." + std::to_string(L));
    r.scope = Scope::UpTo;
    r.layer = *o.through;
  }
  if (!o.target.empty()) {
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
    if (r.target_token < 0 || r.target_token >= model->spec.vocab_size)
      throw CliError("--target " + std::to_string(r.target_token) + " is outside the vocabulary (0.." +
                     std::to_string(model->spec.vocab_size - 1) + ")");
  }
  if (o.fp64) r.options["precision"] = "float64";
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
