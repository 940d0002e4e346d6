// tensorlens-cli eval identifiability: token identifiability per stage over a sentence file
// (core/eval/identifiability.h), as a table (+ JSON, + a PNG plot).
#include <cstdio>

#include "app/cli/eval_common.h"
#include "app/cli/terminal_progress.h"
#include "core/eval/identifiability.h"
#include "render/eval_plots.h"

namespace tl::cli {

void register_eval_identifiability(CLI::App& eval) {
  struct Opts {
    ModelOption model;
    SentenceOptions sentences;
    std::string out, markdown, plot;
    bool quiet = false;
    bool force = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = eval.add_subcommand("identifiability", "Share of hidden states per layer whose nearest input embedding is their own token");
  o->model.add_to(*cmd);
  o->sentences.add_to(*cmd);
  cmd->add_option("--out", o->out, "report .json");
  cmd->add_option("--markdown", o->markdown, "also write the table as Markdown");
  cmd->add_option("--plot", o->plot, "also draw the shares as PNG");
  cmd->add_flag("--quiet", o->quiet, "no progress on stderr");
  cmd->add_flag("--force", o->force, "replace output files that exist");
  cmd->callback([o] {
    for (const std::string* out : {&o->out, &o->markdown, &o->plot})
      if (!out->empty()) check_output(*out, o->force);
    const engine::SessionPtr session = o->model.open_session({});
    const Model* model = &session->model();
    const Tokenizer& tok = *session->tokenizer();
    const std::vector<eval::EvalExample> examples = o->sentences.load(*model, tok);
    Result<eval::IdentifiabilityReport> report = Error{};
    {
      TerminalProgress progress(o->quiet);
      report = session->evaluate_identifiability(examples, &progress);
    }
    if (!report) throw CliError(report.error().message);
    const std::string md = eval::to_markdown(*report);
    if (!o->out.empty()) write_report_text(o->out, eval::to_json(*report).dump(1) + "\n", o->force);
    if (!o->markdown.empty()) write_report_text(o->markdown, md, o->force);
    if (!o->plot.empty()) write_plot_png(o->plot, render::identifiability_plot(*report), 1100, 750, o->force);
    std::printf("%s", md.c_str());
  });
}

}  // namespace tl::cli
