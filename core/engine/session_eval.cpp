// engine::Session's evaluation entry points: core/eval's protocols with the Session's backend.
#include "core/engine/session.h"

namespace tl::engine {

Result<eval::PerturbationReport> Session::evaluate_perturbation(const std::vector<eval::EvalExample>& examples,
                                                                eval::PerturbationOptions options,
                                                                Progress* progress) const {
  return device_->run([&](Backend& b) {
    options.backend = &b;
    return eval::run_perturbation(*model_, tokenizer_.get(), examples, options, progress);
  });
}

Result<eval::RelationReport> Session::evaluate_relations(const std::vector<eval::Relation>& relations,
                                                         eval::RelationOptions options, Progress* progress) const {
  if (!tokenizer_) return make_error(model_->name + ": relation decoding needs the model's tokenizer");
  return device_->run([&](Backend& b) {
    options.backend = &b;
    return eval::run_relations(*model_, *tokenizer_, relations, options, progress);
  });
}

Result<eval::IdentifiabilityReport> Session::evaluate_identifiability(const std::vector<eval::EvalExample>& examples,
                                                                      Progress* progress) const {
  // Identifiability reads hidden states only (no lens products): the CPU forward passes of
  // core/eval serve it on every device.
  return eval::run_identifiability(*model_, tokenizer_.get(), examples, progress);
}

}  // namespace tl::engine
