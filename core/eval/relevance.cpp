#include "core/eval/relevance.h"

#include "core/util/rng.h"

namespace tl::eval {

bool is_relevance_method(std::string_view name) {
  if (name == kRandomReference) return true;
  const MethodInfo* info = find_method(name);
  return info && info->attribution;
}

std::vector<std::string> relevance_methods() {
  std::vector<std::string> names;
  for (const MethodInfo& info : method_registry())
    if (is_relevance_method(info.name)) names.emplace_back(info.name);
  names.emplace_back(kRandomReference);
  return names;
}

Eigen::VectorXd random_relevance(int n, std::uint64_t seed) {
  SplitMix64 rng(seed);
  Eigen::VectorXd r(n);
  for (int j = 0; j < n; ++j) r[j] = rng.uniform();
  return r;
}

Result<Eigen::VectorXd> relevance_of(std::string_view method, const MethodInputs& inputs, int position, int target,
                                     const nlohmann::json& options, Progress* progress) {
  const MethodInfo* info = find_method(method);
  if (!info || !is_relevance_method(method)) {
    return make_error("evaluation: '" + std::string(method) + "' is not a relevance method");
  }
  MethodRequest req;
  req.position = position;
  req.target_token = target;
  req.options = options.is_object() ? options : nlohmann::json::object();
  if (!info->cumulative) {
    req.scope = Scope::Block;
    req.layer = inputs.model->spec.num_layers;
  }
  auto out = compute_method(method, inputs, req, progress);
  if (!out) return out.error();
  if (out->maps.empty()) return make_error(std::string(method) + ": no map");
  const int n = inputs.trace->num_tokens();
  Eigen::VectorXd sum = Eigen::VectorXd::Zero(n);
  for (const Map& m : out->maps) {
    if (m.cols() != n) return make_error(std::string(method) + ": a map with " + std::to_string(m.cols()) + " columns for " + std::to_string(n) + " tokens");
    const int row = m.rows() == 1 ? 0 : position;
    if (row >= m.rows()) return make_error(std::string(method) + ": no row for position " + std::to_string(position));
    sum += m.values.row(row).transpose();
  }
  return Eigen::VectorXd(sum / double(out->maps.size()));
}

}  // namespace tl::eval
