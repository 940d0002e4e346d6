#pragma once
// Relation decoding (docs/TENSORLENS.md §6-7): the linear relational embedding (LRE, Hernandez et al.
// 2024) against the TensorLens block estimator, on (subject, object) pairs of relations.
//
// For a prompt with the subject in it (the relation's template), s is the hidden state at the
// subject's last token after stage l (0 = the residual stream entering block 1, l = output of
// block l) and z the output of block L at the prompt's last token (before the final norm). Each
// pair k gives a D x D matrix M_k:
//   LRE:        M_k = dz/ds, the true Jacobian at pair k's forward pass (core/autodiff);
//   TensorLens: M_k = T_{l+1..L}[last, :, subject, :], the block of the operator of blocks
//               l+1..L with every nonlinearity frozen at pair k's forward pass (core/lens).
// The estimator of pair k is fitted on the other pairs of its relation (leave one out):
//   W = mean_{k' != k} M_k',  b = mean_{k' != k} (z_k' - M_k' s_k'),  z_hat = beta W s_k + b,
// decoded like the model decodes z (final norm with its own scale, unembedding). Faithfulness =
// share of pairs whose decoded argmax equals the model's own prediction for the prompt; the
// report also gives the model's accuracy (its prediction is the object's first token) and the
// estimator's.
//
// Relations file format (UTF-8; blank lines and '#' comments skipped):
//   relation: <name>
//   template: <prompt with {} where the subject goes>     (the object follows the prompt)
//   <subject> -> <object>                                  (one pair per line, two or more)
// The object's first token is the token the model would emit after the prompt followed by a
// space and the object (the prompt's tokens must be a prefix of that tokenization).
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/forward/trace.h"
#include "core/model/model.h"
#include "core/tokenizer/tokenizer.h"
#include "core/util/progress.h"

namespace tl {
class Backend;
}

namespace tl::eval {

struct RelationPair {
  std::string subject, object;
};

struct Relation {
  std::string name;
  std::string prompt_template;  // contains "{}"
  std::vector<RelationPair> pairs;
};

Result<std::vector<Relation>> parse_relations(std::string_view text, std::string_view source_name = "relations");
Result<std::vector<Relation>> read_relations_file(const std::filesystem::path& path);

struct RelationOptions {
  std::vector<int> layers;  // subject stages l (0..L-1); empty = every one
  double beta = 1.0;
  Backend* backend = nullptr;  // for the TensorLens engine; nullptr: a CPU backend
};

struct PairOutcome {
  std::string subject, object, prompt;
  int object_token = -1;             // the object's first token
  int model_prediction = -1;         // the model's argmax after the prompt
  std::string model_label;
  std::vector<int> lre_prediction;   // per layer of the report
  std::vector<int> lens_prediction;
};

struct RelationResult {
  std::string name;
  std::string prompt_template;
  double model_accuracy = 0;                  // share of pairs the model completes with the object
  std::vector<double> lre_faithfulness;       // per layer: agreement with the model's prediction
  std::vector<double> lens_faithfulness;
  std::vector<double> lre_accuracy;           // per layer: the decoded token is the object
  std::vector<double> lens_accuracy;
  std::vector<double> mean_relative_gap;      // per layer: mean ||J_k - T_k||_F / ||J_k||_F over pairs
  std::vector<PairOutcome> pairs;
};

struct RelationReport {
  std::string model;
  std::vector<int> layers;
  double beta = 1.0;
  std::vector<RelationResult> relations;
};

// Causal LMs only (relations are read from next-token predictions). Errors: a relation with fewer
// than two pairs, a subject not found in its prompt, a prompt the tokenizer does not extend with
// the object. Cancellation throws tl::Cancelled.
Result<RelationReport> run_relations(const Model& model, const Tokenizer& tokenizer, const std::vector<Relation>& relations,
                                     const RelationOptions& options, Progress* progress = nullptr);

nlohmann::ordered_json to_json(const RelationReport& report);
std::string to_markdown(const RelationReport& report);

// ---- Pieces (exposed for tests) ------------------------------------------------------------------

// dz/ds: the true Jacobian of the output of block L at token `output` w.r.t. the hidden state
// after stage `stage` at token `input` ([D, D], rows output features).
MatD stage_jacobian(const Model& model, const Trace& trace, int stage, int output, int input);
// The TensorLens block of blocks stage+1..L, T[output, :, input, :] ([D, D]).
Result<MatD> stage_lens_block(const Model& model, const Trace& trace, int stage, int output, int input, Backend& backend);
// Logits of a residual-stream row after block L, decoded like the model: final norm, unembedding.
Eigen::VectorXd decode_last_block(const Model& model, const Eigen::VectorXd& z);

}  // namespace tl::eval
