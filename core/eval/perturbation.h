#pragma once
// The perturbation test (docs/TENSORLENS.md §7, Chefer et al. 2021 style). For every sentence: the
// model's prediction at the explained position (eval/examples.h), a method's relevance over the
// input tokens (eval/relevance.h), then the removable tokens are replaced by one neutral token,
// round(f * M) of them for each removal fraction f (M = removable tokens of the sentence), in
//   positive order: most relevant first (a good method makes the prediction collapse: low AUC),
//   negative order: least relevant first (a good method keeps it: high AUC).
// Ties in relevance are broken by position (earlier first), so orders are deterministic.
// Curves: the probability of the original prediction, and top-1 agreement (argmax still the
// original prediction), each averaged over sentences; AUC by the trapezoid rule over the
// fractions (not normalised: fractions 0..0.9 give at most 0.9) with a percentile bootstrap CI
// over sentences (fixed seed).
//
// The app's Evaluation panel and `tensorlens-cli eval perturbation` both call run_perturbation.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/eval/examples.h"
#include "core/eval/statistics.h"
#include "core/util/progress.h"

namespace tl {
class Backend;
}

namespace tl::eval {

enum class Order { Positive, Negative };
const char* to_string(Order o);

std::vector<double> default_fractions();  // 0, 0.1, ..., 0.9

struct PerturbationOptions {
  std::vector<std::string> methods;  // registry names or "random" (relevance_methods() lists them)
  std::vector<double> fractions = default_fractions();  // increasing, in [0, 1)
  int replacement_token = -1;        // -1: the neutral token (methods::neutral_token)
  // Causal LMs: never replace the token at the explained position (the last one). It dominates
  // the next-token prediction of small models, so keeping it compares methods on the context.
  bool keep_last_token = false;
  int bootstrap_resamples = 1000;
  std::uint64_t seed = 7;            // bootstrap resampling and the random reference
  double ci_level = 0.95;
  nlohmann::json method_options = nlohmann::json::object();  // {"method": {options}} per method
  Backend* backend = nullptr;        // for the TensorLens engine; nullptr: a CPU backend
};

// Curves over the removal fractions.
struct Curves {
  std::vector<double> probability;  // probability of the original prediction
  std::vector<double> agreement;    // 1 when the argmax is still the original prediction
};

// The curves of one sentence for one relevance vector (size N; non-removable tokens are never
// replaced). `predicted`: the original prediction at example.position.
Result<Curves> perturbation_curves(const Model& model, const EvalExample& example, int predicted,
                                   const Eigen::VectorXd& relevance, Order order, const std::vector<double>& fractions,
                                   int replacement_token);
// The positions replaced at each fraction, in removal order (for tests and reports).
std::vector<int> removal_order(const EvalExample& example, const Eigen::VectorXd& relevance, Order order);
int removed_count(double fraction, int removable);  // round(fraction * removable), halves up

struct OrderResult {
  Curves mean;                                   // averaged over sentences
  ConfidenceInterval auc_probability, auc_agreement;
  std::vector<double> sentence_auc_probability;  // per sentence (report order)
  std::vector<double> sentence_auc_agreement;
};

struct MethodResult {
  std::string method;
  bool is_signed = false;
  std::string error;  // non-empty: the method failed (on the first sentence it failed on) and has no curves
  OrderResult positive, negative;
  double seconds_relevance = 0;    // computing the relevances
  double seconds_perturbation = 0; // the perturbed forward passes
};

struct SentenceInfo {
  std::string text;
  int tokens = 0;
  int removable = 0;
  int position = 0;
  int predicted = 0;           // token id
  std::string predicted_label;
  double probability = 0;      // of the prediction, unperturbed
};

struct PerturbationReport {
  std::string model;
  int replacement_token = 0;
  std::string replacement_label;
  bool keep_last_token = false;
  std::vector<double> fractions;
  int bootstrap_resamples = 0;
  std::uint64_t seed = 0;
  double ci_level = 0.95;
  std::vector<SentenceInfo> sentences;
  std::vector<MethodResult> methods;
  double seconds = 0;
};

// Runs the protocol. `tokenizer` (may be null) gives labels and the neutral token. Progress:
// fraction over sentences x methods; cancellation throws tl::Cancelled. Errors: an unknown
// method, an empty sentence list, a replacement token outside the vocabulary, a forward pass that
// fails. A method that fails on a sentence is reported with its error and no curves.
Result<PerturbationReport> run_perturbation(const Model& model, const Tokenizer* tokenizer,
                                            const std::vector<EvalExample>& examples,
                                            const PerturbationOptions& options, Progress* progress = nullptr);

nlohmann::ordered_json to_json(const PerturbationReport& report);

// Paired comparison with a reference method: per sentence, AUC(method) - AUC(reference) of the
// probability curves, with the report's bootstrap (same seed and resamples). Intervals of
// differences are much narrower than the differences of two intervals, because sentence
// difficulty cancels. Errors: the reference is not in the report or failed.
struct PairedDifference {
  std::string method;
  ConfidenceInterval positive, negative;  // of AUC(method) - AUC(reference)
};
Result<std::vector<PairedDifference>> paired_differences(const PerturbationReport& report, std::string_view reference);
std::string paired_markdown(const PerturbationReport& report, std::string_view reference);
// Tables (AUC with CI per method and order, probability and agreement) and the protocol in words.
std::string to_markdown(const PerturbationReport& report);

}  // namespace tl::eval
