// libFuzzer target: the workspace file (core/workspace/workspace.h) on arbitrary text. Whatever is
// recovered must serialise, and the serialised form must read back cleanly to the same document
// (a saved workspace always restores).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/workspace/workspace.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const tl::WorkspaceLoad first = tl::parse_workspace(text, "fuzz.json");
  const std::string saved = tl::serialize_workspace(first.workspace);
  const tl::WorkspaceLoad second = tl::parse_workspace(saved, "resaved.json");
  if (second.problem != tl::WorkspaceProblem::None) std::abort();
  if (tl::serialize_workspace(second.workspace) != saved) std::abort();
  return 0;
}
