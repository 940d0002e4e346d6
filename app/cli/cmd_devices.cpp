// tensorlens-cli devices: the Vulkan devices present, with memory sizes, and which one is chosen.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "app/cli/cli_common.h"
#include "core/gpu/gpu.h"

namespace tl::cli {

void register_devices(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("devices", "List Vulkan devices with memory sizes");
  cmd->add_flag("--json", *json, "print JSON");
  cmd->callback([json] {
    auto devices = gpu::list_devices();
    if (!devices) {
      // Not an error of the command: the CPU backend is always there.
      if (*json) std::printf("{\"devices\": [], \"note\": %s}\n", nlohmann::json(devices.error().message).dump().c_str());
      else std::printf("no Vulkan devices (%s); analyses run on the CPU backend\n", devices.error().message.c_str());
      return;
    }
    auto chosen = gpu::choose_device(*devices, "");
    nlohmann::ordered_json out = nlohmann::json::array();
    for (const auto& d : *devices) {
      nlohmann::json heaps = nlohmann::json::array();
      for (const auto& h : d.heaps) heaps.push_back({{"bytes", h.size_bytes}, {"device_local", h.device_local}});
      out.push_back({{"index", d.index},
                     {"name", d.name},
                     {"kind", gpu::device_kind_name(d.kind)},
                     {"api_version", d.api_version},
                     {"device_local_bytes", d.device_local_bytes()},
                     {"heaps", heaps},
                     {"compute", d.has_compute_queue},
                     {"chosen", chosen.ok() && *chosen == d.index}});
    }
    if (*json) {
      std::printf("%s\n", out.dump(2).c_str());
      return;
    }
    for (auto& d : out)
      std::printf("%s %u  %-40s %-10s Vulkan %-9s %8.2f GiB device-local\n", d["chosen"].get<bool>() ? "*" : " ",
                  d["index"].get<unsigned>(), d["name"].get<std::string>().c_str(), d["kind"].get<std::string>().c_str(),
                  d["api_version"].get<std::string>().c_str(), d["device_local_bytes"].get<double>() / (1 << 30));
    if (!chosen) std::printf("no usable device: %s\n", chosen.error().message.c_str());
  });
}

}  // namespace tl::cli
