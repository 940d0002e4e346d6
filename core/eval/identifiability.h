#pragma once
// Token identifiability over a sentence set (Brunner et al. 2020, docs/TENSORLENS.md §6): per stage
// l = 0..L (0: the residual stream entering block 1; L: after the final norm), the share of all
// hidden states h_i^l whose nearest input embedding among their sentence's tokens (cosine
// similarity, and Euclidean distance) is their own token. The per-sentence nearest neighbours
// come from the registry's `token-identifiability`; a hit counts when the neighbour has the same
// token id as position i (a repeated token has one embedding row for all its occurrences).
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/eval/examples.h"
#include "core/util/progress.h"

namespace tl::eval {

struct IdentifiabilityReport {
  std::string model;
  int sentences = 0;
  int hidden_states = 0;                // positions pooled per stage
  std::vector<std::string> stages;      // "embeddings", "block 1", ..., the last after the final norm
  std::vector<double> share_cosine;     // [L + 1]
  std::vector<double> share_l2;         // [L + 1]
};

// Errors: no sentences, a forward pass or the method failing. Cancellation throws tl::Cancelled.
Result<IdentifiabilityReport> run_identifiability(const Model& model, const Tokenizer* tokenizer,
                                                  const std::vector<EvalExample>& examples,
                                                  Progress* progress = nullptr);

nlohmann::ordered_json to_json(const IdentifiabilityReport& report);
std::string to_markdown(const IdentifiabilityReport& report);  // one table, a row per stage

}  // namespace tl::eval
