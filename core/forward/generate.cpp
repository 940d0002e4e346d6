#include "core/forward/generate.h"

#include <cmath>

namespace tl {

int sample_token(const Eigen::RowVectorXd& logits, double temperature, SplitMix64& rng) {
  Eigen::Index best = 0;
  const double mx = logits.maxCoeff(&best);
  if (temperature <= 0) return int(best);
  const Eigen::RowVectorXd p = ((logits.array() - mx) / temperature).exp();
  const double threshold = rng.uniform() * p.sum();
  double cumulative = 0;
  for (Eigen::Index k = 0; k < p.size(); ++k) {
    cumulative += p[k];
    if (cumulative > threshold) return int(k);
  }
  return int(p.size() - 1);
}

Result<std::vector<int>> generate(const Model& model, const std::vector<int>& prompt_ids, const GenerateOptions& o,
                                  SplitMix64& rng) {
  if (!model.spec.causal) return make_error("generate: " + model.name + " is not a causal language model");
  if (prompt_ids.empty()) return make_error("generate: the prompt has no tokens");
  ForwardInput in;
  in.ids = prompt_ids;
  std::vector<int> out;
  const int limit = model.spec.max_positions > 0 ? model.spec.max_positions : 1 << 30;
  while (int(out.size()) < o.tokens && int(in.ids.size()) < limit) {
    auto t = forward(model, in);
    if (!t) return t.error();
    const int next = sample_token(t->logits.row(t->num_tokens() - 1), o.temperature, rng);
    if (o.stop_at_eos && next == model.spec.eos_token_id) break;
    out.push_back(next);
    in.ids.push_back(next);
  }
  return out;
}

}  // namespace tl
