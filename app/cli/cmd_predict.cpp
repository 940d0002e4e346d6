// tensorlens-cli predict: next-token (causal LMs) or masked-token (MLMs, every mask position) top-k.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <numeric>

#include "app/cli/cli_common.h"

namespace tl::cli {

void register_predict(CLI::App& app) {
  struct Opts {
    ModelOption model;
    InputOptions input;
    int top = 5;
    bool json = false;
  };
  auto opts = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("predict", "Top-k next token (causal LM) or masked tokens (MLM)");
  opts->model.add_to(*cmd);
  opts->input.add_to(*cmd);
  cmd->add_option("--top", opts->top, "how many candidates")->check(CLI::Range(1, 1000));
  cmd->add_flag("--json", opts->json, "print JSON");
  cmd->callback([opts] {
    engine::SessionPtr session = opts->model.open_session(opts->input);
    const engine::Analysis in = analyse_input(*session, opts->input);
    const Tokenizer* tok = session->tokenizer();
    const Model* model = &session->model();
    auto label = [&](int id) { return tok ? tok->display_token(id) : "#" + std::to_string(id); };
    const Trace& trace = *in.trace;

    std::vector<int> positions;
    if (model->spec.causal) {
      positions.push_back(trace.num_tokens() - 1);
    } else {
      // Masked LM: every mask position; without a tokenizer (--ids on a bare model) every position.
      for (int i = 0; i < trace.num_tokens(); ++i)
        if (!tok || trace.ids[i] == tok->mask_id()) positions.push_back(i);
      if (positions.empty())
        throw CliError("masked LM: the input has no mask token (" + tok->id_to_token(tok->mask_id()) + ")");
    }
    nlohmann::ordered_json out = nlohmann::json::array();
    for (int pos : positions) {
      nlohmann::ordered_json entry;
      entry["position"] = pos;
      entry["after"] = in.labels[pos];
      nlohmann::json cands = nlohmann::json::array();
      for (const engine::Prediction& p : engine::top_predictions(trace.logits, pos, opts->top, tok))
        cands.push_back({{"id", p.id}, {"token", label(p.id)}, {"probability", p.probability}});
      entry["predictions"] = cands;
      out.push_back(entry);
    }
    if (opts->json) {
      std::printf("%s\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
      return;
    }
    for (auto& e : out) {
      int pos = e["position"];
      std::printf("%s at position %d (%s):\n", model->spec.causal ? "next token" : "masked token", pos,
                  printable(e["after"].get<std::string>()).c_str());
      for (auto& c : e["predictions"])
        std::printf("  %7.4f  %6d  %s\n", c["probability"].get<double>(), c["id"].get<int>(),
                    printable(c["token"].get<std::string>()).c_str());
    }
  });
}

}  // namespace tl::cli
