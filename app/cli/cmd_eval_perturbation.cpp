// tensorlens-cli eval perturbation: the perturbation test (core/eval/perturbation.h) of registry
// methods on a sentence file, as JSON (+ Markdown tables, + a PNG of the curves).
#include <algorithm>
#include <cstdio>

#include "app/cli/eval_common.h"
#include "app/cli/terminal_progress.h"
#include "core/eval/perturbation.h"
#include "core/eval/relevance.h"
#include "render/eval_plots.h"

namespace tl::cli {

namespace {

// "a,b,c" or "all".
std::vector<std::string> method_list(const std::string& s) {
  if (s == "all") return eval::relevance_methods();
  std::vector<std::string> out;
  size_t from = 0;
  while (from <= s.size()) {
    const size_t comma = std::min(s.find(',', from), s.size());
    if (comma > from) out.push_back(s.substr(from, comma - from));
    from = comma + 1;
  }
  return out;
}

// --option method:key=value (numbers stay numbers).
void add_method_option(nlohmann::json& all, const std::string& spec) {
  const size_t colon = spec.find(':'), eq = spec.find('=');
  if (colon == std::string::npos || eq == std::string::npos || eq < colon)
    throw CliError("--option '" + spec + "' is not method:key=value");
  const std::string method = spec.substr(0, colon), key = spec.substr(colon + 1, eq - colon - 1), val = spec.substr(eq + 1);
  nlohmann::json v = val;
  try {
    size_t used = 0;
    const double d = std::stod(val, &used);
    if (used == val.size()) v = (d == double(long(d)) && val.find('.') == std::string::npos) ? nlohmann::json(long(d)) : nlohmann::json(d);
  } catch (const std::exception&) {
  }
  all[method][key] = v;
}

}  // namespace

void register_eval_perturbation(CLI::App& eval) {
  struct Opts {
    ModelOption model;
    SentenceOptions sentences;
    std::string methods = "all";
    std::string out, markdown, plot, replacement, paired_with;
    std::vector<std::string> options;
    eval::PerturbationOptions p;
    bool quiet = false;
    bool force = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = eval.add_subcommand("perturbation", "Perturbation test: AUC of the prediction as the most/least relevant tokens are replaced");
  o->model.add_to(*cmd);
  o->sentences.add_to(*cmd);
  cmd->add_option("--methods", o->methods, "comma-separated methods, or all (every relevance method and the random reference)");
  cmd->add_option("--out", o->out, "report .json")->required();
  cmd->add_option("--markdown", o->markdown, "also write the tables as Markdown");
  cmd->add_option("--plot", o->plot, "also draw the curves as PNG");
  cmd->add_option("--replacement", o->replacement, "replacement token (string or id; default: pad, unk, eos, bos; MLMs: mask)");
  cmd->add_flag("--keep-last", o->p.keep_last_token, "causal LMs: never replace the last token (the explained position)");
  cmd->add_option("--paired-with", o->paired_with, "add paired AUC differences of every method against this one");
  cmd->add_option("--seed", o->p.seed, "seed of the bootstrap and the random reference");
  cmd->add_option("--resamples", o->p.bootstrap_resamples, "bootstrap resamples")->check(CLI::NonNegativeNumber);
  cmd->add_option("--option", o->options, "method option method:key=value, repeatable (e.g. integrated-gradients:steps=16)");
  cmd->add_flag("--quiet", o->quiet, "no progress on stderr");
  cmd->add_flag("--force", o->force, "replace output files that exist");
  cmd->callback([o] {
    for (const std::string* out : {&o->out, &o->markdown, &o->plot})
      if (!out->empty()) check_output(*out, o->force);
    const engine::SessionPtr session = o->model.open_session({});
    const Model* model = &session->model();
    const Tokenizer& tok = *session->tokenizer();
    const std::vector<eval::EvalExample> examples = o->sentences.load(*model, tok);
    o->p.methods = method_list(o->methods);
    for (const std::string& spec : o->options) add_method_option(o->p.method_options, spec);
    if (!o->paired_with.empty() && std::find(o->p.methods.begin(), o->p.methods.end(), o->paired_with) == o->p.methods.end())
      throw CliError("--paired-with " + o->paired_with + " is not one of the --methods");
    if (!o->replacement.empty()) {
      if (auto id = tok.token_to_id(o->replacement)) {
        o->p.replacement_token = *id;
      } else {
        try {
          o->p.replacement_token = std::stoi(o->replacement);
        } catch (const std::exception&) {
          throw CliError("--replacement '" + o->replacement + "' is neither a token of the vocabulary nor an id");
        }
      }
    }
    Result<eval::PerturbationReport> report = Error{};
    {
      TerminalProgress progress(o->quiet);
      report = session->evaluate_perturbation(examples, o->p, &progress);
    }
    if (!report) throw CliError(report.error().message);
    write_report_text(o->out, eval::to_json(*report).dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n", o->force);
    std::string md = eval::to_markdown(*report);
    if (!o->paired_with.empty()) {
      auto diffs = eval::paired_differences(*report, o->paired_with);
      if (!diffs) throw CliError(diffs.error().message);
      md += "\n" + eval::paired_markdown(*report, o->paired_with);
    }
    if (!o->markdown.empty()) write_report_text(o->markdown, md, o->force);
    if (!o->plot.empty()) write_plot_png(o->plot, render::perturbation_plot(*report), 1800, 1250, o->force);
    std::printf("%s", md.c_str());
    for (const eval::MethodResult& m : report->methods)
      if (!m.error.empty()) std::fprintf(stderr, "tensorlens-cli: %s failed: %s\n", m.method.c_str(), m.error.c_str());
  });
}

}  // namespace tl::cli
