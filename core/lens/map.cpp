#include "core/lens/map.h"

namespace tl {

nlohmann::json to_json(const Provenance& p) {
  return {{"model", p.model},   {"text", p.text},       {"method", p.method},
          {"layers", p.layers}, {"options", p.options}, {"tool", "TensorLens Studio"},
          {"tool_version", p.tool_version}};
}

}  // namespace tl
