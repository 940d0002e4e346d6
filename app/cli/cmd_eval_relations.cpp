// tensorlens-cli eval relations: LRE (mean Jacobian) vs the TensorLens block estimator on the
// relations of a file (core/eval/relations.h), as a table (+ JSON).
#include <cstdio>

#include "app/cli/eval_common.h"
#include "app/cli/terminal_progress.h"
#include "core/eval/relations.h"

namespace tl::cli {

void register_eval_relations(CLI::App& eval) {
  struct Opts {
    ModelOption model;
    std::string relations, out, markdown;
    std::vector<int> layers;
    eval::RelationOptions r;
    bool quiet = false;
    bool force = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = eval.add_subcommand("relations", "Relation decoding: faithfulness of LRE vs the TensorLens block estimator");
  o->model.add_to(*cmd);
  cmd->add_option("--relations", o->relations, "relations file (see docs/EVALUATION.md for the format)")->required();
  cmd->add_option("--layers", o->layers, "subject stages, e.g. 0,2 (0 = embeddings; default: 0..L-1)")->delimiter(',');
  cmd->add_option("--beta", o->r.beta, "scale of W s in the estimate beta W s + b");
  cmd->add_option("--out", o->out, "report .json");
  cmd->add_option("--markdown", o->markdown, "also write the table as Markdown");
  cmd->add_flag("--quiet", o->quiet, "no progress on stderr");
  cmd->add_flag("--force", o->force, "replace output files that exist");
  cmd->callback([o] {
    for (const std::string* out : {&o->out, &o->markdown})
      if (!out->empty()) check_output(*out, o->force);
    const engine::SessionPtr session = o->model.open_session({});
    auto relations = eval::read_relations_file(o->relations);
    if (!relations) throw CliError(relations.error().message);
    o->r.layers = o->layers;
    Result<eval::RelationReport> report = Error{};
    {
      TerminalProgress progress(o->quiet);
      report = session->evaluate_relations(*relations, o->r, &progress);
    }
    if (!report) throw CliError(report.error().message);
    const std::string md = eval::to_markdown(*report);
    if (!o->out.empty())
      write_report_text(o->out, eval::to_json(*report).dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n", o->force);
    if (!o->markdown.empty()) write_report_text(o->markdown, md, o->force);
    std::printf("%s", md.c_str());
  });
}

}  // namespace tl::cli
