// The four TensorLens maps, registered by name beside the baselines and computed by the engine
// (core/lens/analysis.h): the registry's request is translated into the engine's MapRequest or
// PairBlockRequest, so the CLI and the GUI reach every method the same way.
#include <memory>

#include "core/backend/cpu_backend.h"
#include "core/lens/analysis.h"
#include "core/methods/method_impls.h"
#include "core/methods/registry.h"

namespace tl::methods {
namespace {

struct LensOptions {
  lens::GatedFfn gated = lens::GatedFfn::Gate;
  lens::InputEnd input = lens::InputEnd::ResidualStream;
  lens::Strategy strategy = lens::Strategy::Auto;
  Precision precision = Precision::Float32;
  std::int64_t memory_budget = std::int64_t(2) << 30;
};

Result<LensOptions> lens_options(const MethodCall& call) {
  LensOptions o;
  const std::string name(call.info.name);
  const std::string gated = call.option_string("gated", "gate");
  if (gated == "gate") {
    o.gated = lens::GatedFfn::Gate;
  } else if (gated == "up") {
    o.gated = lens::GatedFfn::Up;
  } else if (gated == "symmetric") {
    o.gated = lens::GatedFfn::Symmetric;
  } else {
    return make_error(name + ": gated '" + gated + "' is not gate, up or symmetric");
  }
  const std::string input = call.option_string("input", "residual");
  if (input != "residual" && input != "tokens") return make_error(name + ": input '" + input + "' is not residual or tokens");
  o.input = input == "tokens" ? lens::InputEnd::TokenEmbeddings : lens::InputEnd::ResidualStream;
  auto strategy = lens::parse_strategy(call.option_string("strategy", "auto"));
  if (!strategy) return make_error(name + ": " + strategy.error().message);
  o.strategy = *strategy;
  const std::string precision = call.option_string("precision", "float32");
  if (precision != "float32" && precision != "float64") {
    return make_error(name + ": precision '" + precision + "' is not float32 or float64");
  }
  o.precision = precision == "float64" ? Precision::Float64 : Precision::Float32;
  const auto budget = call.req.options.find("memory_budget");
  if (budget != call.req.options.end() && budget->is_number_integer()) o.memory_budget = budget->get<std::int64_t>();
  return o;
}

ScopeAt lens_scope(const MethodCall& call) {
  return call.req.scope == Scope::EndToEnd ? ScopeAt::end_to_end() : ScopeAt{call.req.scope, call.req.layer};
}

Result<MethodOutput> pair_block(const MethodCall& call, const LensOptions& o, Backend& backend) {
  lens::PairBlockRequest req;
  req.output_token = call.req.pair->first;
  req.input_token = call.req.pair->second;
  req.scope = lens_scope(call);
  req.gated = o.gated;
  req.input = o.input;
  req.precision = o.precision;
  req.memory_budget = o.memory_budget;
  auto block = lens::compute_pair_block(call.model(), call.trace(), req, backend, call.progress);
  if (!block) return block.error();
  const int D = int(block->block.rows());
  Map m;
  m.values = block->block;
  for (int d = 0; d < D; ++d) {
    m.row_labels.push_back("out " + std::to_string(d));
    m.col_labels.push_back("in " + std::to_string(d));
  }
  m.is_signed = true;
  m.provenance = block->provenance;
  m.provenance.text = call.in.text;
  MethodOutput out;
  out.maps.push_back(std::move(m));
  out.block = std::move(block->block);
  return out;
}

}  // namespace

Result<MethodOutput> run_tensorlens(const MethodCall& call) {
  if (Status st = check_layer(call, true); !st) return st.error();
  auto method = lens::parse_lens_method(call.info.name);
  if (!method) return method.error();
  auto options = lens_options(call);
  if (!options) return options.error();
  std::unique_ptr<CpuBackend> own_backend;
  Backend* backend = call.in.backend;
  if (!backend) {
    own_backend = std::make_unique<CpuBackend>();
    backend = own_backend.get();
  }
  if (call.req.pair) return pair_block(call, *options, *backend);

  lens::MapRequest req;
  req.method = *method;
  req.scope = lens_scope(call);
  req.target_token = call.req.target_token;
  req.gated = options->gated;
  req.input = options->input;
  req.strategy = options->strategy;
  req.precision = options->precision;
  req.memory_budget = options->memory_budget;
  req.token_labels = token_labels(call.in);
  MethodOutput out;
  if (call.req.scope != Scope::EndToEnd && call.req.layer == 0) {
    const auto series = call.req.scope == Scope::Block ? lens::Series::PerBlock : lens::Series::Cumulative;
    auto maps = lens::compute_map_series(call.model(), call.trace(), req, series, *backend, call.progress);
    if (!maps) return maps.error();
    out.maps = std::move(*maps);
  } else {
    auto map = lens::compute_map(call.model(), call.trace(), req, *backend, call.progress);
    if (!map) return map.error();
    out.maps.push_back(std::move(*map));
  }
  for (Map& m : out.maps) m.provenance.text = call.in.text;
  return out;
}

}  // namespace tl::methods
