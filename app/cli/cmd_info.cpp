// tensorlens-cli info: family, sizes, parameter count, dtype.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "app/cli/cli_common.h"

namespace tl::cli {

void register_info(CLI::App& app) {
  struct Opts {
    ModelOption model;
    bool json = false;
  };
  auto opts = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("info", "Model family, sizes, parameter count and stored dtype");
  opts->model.add_to(*cmd);
  cmd->add_flag("--json", opts->json, "print one JSON object");
  cmd->callback([opts] {
    auto model = opts->model.load_model();
    const ModelSpec& s = model->spec;
    nlohmann::ordered_json j = {
        {"name", model->name},
        {"source", model->source},
        {"family", to_string(s.family)},
        {"model_type", s.model_type},
        {"architecture", s.architecture},
        {"kind", s.causal ? "causal LM" : "masked LM (encoder)"},
        {"dtype", s.stored_dtype},
        {"parameters", s.parameter_count()},
        {"vocab_size", s.vocab_size},
        {"hidden_size", s.hidden_size},
        {"layers", s.num_layers},
        {"heads", s.num_heads},
        {"kv_heads", s.num_kv_heads},
        {"head_dim", s.head_dim},
        {"intermediate_size", s.intermediate_size},
        {"max_positions", s.max_positions},
        {"norm", to_string(s.norm)},
        {"activation", to_string(s.activation)},
        {"topology", to_string(s.topology)},
        {"gated_ffn", s.gated_ffn},
        {"tied_embeddings", s.tied_embeddings},
        {"positions", s.positions == Positions::Rotary ? "rotary" : "learned"},
    };
    if (s.positions == Positions::Rotary) {
      j["rope_theta"] = s.rope_theta;
      j["rotary_dim"] = s.rotary_dim;
    }
    if (opts->json) {
      std::printf("%s\n", j.dump(2).c_str());
      return;
    }
    for (auto& [k, v] : j.items()) {
      std::string val = v.is_string() ? v.get<std::string>() : v.dump();
      std::printf("%-18s %s\n", (k + ":").c_str(), val.c_str());
    }
  });
}

}  // namespace tl::cli
