// tensorlens-cli tokenize: ids, token strings and byte spans. Works on a folder that holds only
// tokenizer files (no weights needed).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "app/cli/cli_common.h"

namespace tl::cli {

void register_tokenize(CLI::App& app) {
  struct Opts {
    ModelOption model;
    std::string text;
    std::optional<std::string> text_pair;
    bool json = false;
    bool no_special = false;
  };
  auto opts = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("tokenize", "Tokenize a sentence: ids, tokens, byte spans");
  opts->model.add_to(*cmd);
  cmd->add_option("--text", opts->text, "input sentence")->required();
  cmd->add_option("--text-pair", opts->text_pair, "second sentence");
  cmd->add_flag("--json", opts->json, R"(print {"ids": [...], "tokens": [...], "spans": [[b, e], ...]})");
  cmd->add_flag("--no-special", opts->no_special, "do not add the post-processor's special tokens");
  cmd->callback([opts] {
    Tokenizer tok = opts->model.load_tokenizer();
    const bool special = !opts->no_special;
    Encoding e = opts->text_pair ? tok.encode_pair(opts->text, *opts->text_pair, special)
                                 : tok.encode(opts->text, special);
    if (opts->json) {
      nlohmann::ordered_json j;
      j["ids"] = e.ids;
      j["tokens"] = e.tokens;
      nlohmann::json spans = nlohmann::json::array();
      for (auto [b, en] : e.spans) spans.push_back({b, en});
      j["spans"] = spans;
      if (opts->text_pair) j["type_ids"] = e.type_ids;
      std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
      return;
    }
    std::printf("%5s %7s %-12s %s\n", "#", "id", "span", "token");
    for (std::size_t i = 0; i < e.size(); ++i) {
      std::string span = "[" + std::to_string(e.spans[i].first) + "," + std::to_string(e.spans[i].second) + ")";
      std::printf("%5zu %7d %-12s %s\n", i, e.ids[i], span.c_str(), printable(e.tokens[i]).c_str());
    }
  });
}

}  // namespace tl::cli
