#pragma once
// Shared pieces of the `eval` subcommands (cmd_eval_*.cpp): the sentence set, report files and
// plots. Plots need fonts, hence a QGuiApplication: made with the "offscreen" platform, only when
// --plot is given, so the command never needs a display.
#include <string>
#include <vector>

#include "app/cli/cli_common.h"
#include "core/eval/examples.h"
#include "render/line_plot.h"

namespace tl::cli {

// --sentences FILE [--limit N]
struct SentenceOptions {
  std::string file;
  int limit = 0;  // first N sentences only (0 = all)
  void add_to(CLI::App& cmd);
  std::vector<eval::EvalExample> load(const Model& model, const Tokenizer& tokenizer) const;  // throws CliError
};

// Atomic, never replacing unless `force`; throws CliError. Check the targets first with check_output.
void write_report_text(const std::string& path, const std::string& text, bool force);
void write_plot_png(const std::string& path, const render::LinePlot& plot, int width, int height, bool force);

void register_eval_perturbation(CLI::App& eval);
void register_eval_relations(CLI::App& eval);
void register_eval_identifiability(CLI::App& eval);

}  // namespace tl::cli
