// tensorlens-cli methods: the method registry (the same list the GUI reads).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "app/cli/cli_common.h"
#include "core/methods/registry.h"

namespace tl::cli {

void register_methods(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("methods", "List every method analyze --method accepts");
  cmd->add_flag("--json", *json, "print JSON");
  cmd->callback([json] {
    nlohmann::ordered_json out = nlohmann::json::array();
    for (const MethodInfo& m : method_registry()) {
      std::string scopes;
      if (m.per_layer) scopes += "per-layer";
      if (m.cumulative) scopes += std::string(scopes.empty() ? "" : ", ") + "end-to-end";
      out.push_back({{"name", m.name},
                     {"description", m.description},
                     {"scopes", scopes},
                     {"signed", m.is_signed},
                     {"per_head", m.per_head},
                     {"needs", needs_label(m.needs)},
                     {"options", m.options}});
    }
    if (*json) {
      std::printf("%s\n", out.dump(2).c_str());
      return;
    }
    for (auto& m : out) {
      std::printf("%-26s %s\n", m["name"].get<std::string>().c_str(), m["description"].get<std::string>().c_str());
      std::printf("%-26s [%s; %s; needs %s]%s%s\n", "", m["scopes"].get<std::string>().c_str(),
                  m["signed"].get<bool>() ? "signed" : "non-negative", m["needs"].get<std::string>().c_str(),
                  m["options"].get<std::string>().empty() ? "" : " options: ",
                  m["options"].get<std::string>().c_str());
    }
  });
}

}  // namespace tl::cli
