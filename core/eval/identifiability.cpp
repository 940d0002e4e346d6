#include "core/eval/identifiability.h"

#include <sstream>

#include "core/methods/registry.h"

namespace tl::eval {

Result<IdentifiabilityReport> run_identifiability(const Model& model, const Tokenizer* tokenizer,
                                                  const std::vector<EvalExample>& examples, Progress* progress) {
  if (examples.empty()) return make_error("identifiability: no sentences");
  const int L = model.spec.num_layers;
  IdentifiabilityReport rep;
  rep.model = model.name + " (" + model.source + ")";
  rep.sentences = int(examples.size());
  rep.stages.push_back("embeddings");
  for (int l = 1; l <= L; ++l)
    rep.stages.push_back("block " + std::to_string(l) + (l == L && model.spec.final_norm ? " + final norm" : ""));
  std::vector<long> hits_cos(size_t(L + 1), 0), hits_l2(size_t(L + 1), 0);
  for (size_t s = 0; s < examples.size(); ++s) {
    if (progress) {
      if (progress->cancelled()) throw Cancelled{};
      progress->report(double(s) / double(examples.size()), "sentence " + std::to_string(s + 1) + "/" + std::to_string(examples.size()));
    }
    auto trace = forward(model, examples[s].input);
    if (!trace) return make_error("sentence " + std::to_string(s + 1) + ": " + trace.error().message);
    MethodInputs in;
    in.model = &model;
    in.trace = &trace.value();
    in.input = examples[s].input;
    in.tokenizer = tokenizer;
    MethodRequest req;
    req.scope = Scope::Block;
    req.layer = 0;
    auto out = compute_method("token-identifiability", in, req);
    if (!out) return out.error();
    if (!out->identifiability) return make_error("token-identifiability gave no nearest neighbours");
    const Identifiability& id = *out->identifiability;
    const std::vector<int>& ids = trace->ids;
    for (int l = 0; l <= L; ++l) {
      for (size_t i = 0; i < ids.size(); ++i) {
        hits_cos[size_t(l)] += ids[size_t(id.nearest_cosine[size_t(l)][i])] == ids[i];
        hits_l2[size_t(l)] += ids[size_t(id.nearest_l2[size_t(l)][i])] == ids[i];
      }
    }
    rep.hidden_states += int(ids.size());
  }
  for (int l = 0; l <= L; ++l) {
    rep.share_cosine.push_back(double(hits_cos[size_t(l)]) / rep.hidden_states);
    rep.share_l2.push_back(double(hits_l2[size_t(l)]) / rep.hidden_states);
  }
  if (progress) progress->report(1.0, "done");
  return rep;
}

nlohmann::ordered_json to_json(const IdentifiabilityReport& r) {
  nlohmann::ordered_json j;
  j["protocol"] = "token identifiability (Brunner et al. 2020): share of hidden states whose nearest input embedding "
                  "of their sentence is their own token";
  j["model"] = r.model;
  j["sentences"] = r.sentences;
  j["hidden_states_per_stage"] = r.hidden_states;
  j["stages"] = r.stages;
  j["share_cosine"] = r.share_cosine;
  j["share_l2"] = r.share_l2;
  return j;
}

std::string to_markdown(const IdentifiabilityReport& r) {
  std::ostringstream os;
  os.setf(std::ios::fixed);
  os.precision(3);
  os << "Model: " << r.model << ". " << r.sentences << " sentences, " << r.hidden_states << " hidden states per stage.\n\n";
  os << "| stage | identified (cosine) | identified (L2) |\n|---|---|---|\n";
  for (size_t l = 0; l < r.stages.size(); ++l)
    os << "| " << l << ": " << r.stages[l] << " | " << r.share_cosine[l] << " | " << r.share_l2[l] << " |\n";
  return os.str();
}

}  // namespace tl::eval
