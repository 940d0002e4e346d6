#include "core/lens/scope.h"

namespace tl {

const char* to_string(Scope s) {
  switch (s) {
    case Scope::Block: return "layer";
    case Scope::Through: return "up-to";
    case Scope::EndToEnd: return "end-to-end";
  }
  return "?";
}

std::string ScopeAt::describe() const {
  switch (kind) {
    case Scope::Block: return "block " + std::to_string(layer);
    case Scope::Through: return "blocks 1.." + std::to_string(layer);
    case Scope::EndToEnd: return "end to end";
  }
  return "?";
}

}  // namespace tl
