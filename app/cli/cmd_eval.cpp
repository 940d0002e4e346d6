// tensorlens-cli eval: the evaluation protocols of docs/TENSORLENS.md §7 (perturbation test, relation
// decoding, token identifiability), one subcommand each (cmd_eval_*.cpp).
#include "app/cli/eval_common.h"

namespace tl::cli {

void register_eval(CLI::App& app) {
  auto* eval = app.add_subcommand("eval", "Evaluate explanations: perturbation AUC, relation decoding, identifiability");
  eval->require_subcommand(1);
  register_eval_perturbation(*eval);
  register_eval_relations(*eval);
  register_eval_identifiability(*eval);
}

}  // namespace tl::cli
