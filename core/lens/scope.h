#pragma once
// Which part of the model a map describes: the one Scope of core, the CLI and the GUI.
//   Block:    block l alone (its input is the hidden state entering it);
//   Through:  blocks 1..l composed (from the residual stream entering block 1);
//   EndToEnd: every block, plus the final norm where the family has one.
// Blocks are numbered 1..L. The serialised names ("layer", "up-to", "end-to-end") are those of the
// workspace files and provenance, kept as they were so older files still read.
#include <string>

namespace tl {

enum class Scope { Block, Through, EndToEnd };
const char* to_string(Scope s);  // "layer", "up-to", "end-to-end"

// A scope at a block: what the TensorLens engine and a MethodRequest select.
struct ScopeAt {
  Scope kind = Scope::EndToEnd;
  int layer = 0;  // 1-based, for Block and Through

  static ScopeAt block(int l) { return {Scope::Block, l}; }
  static ScopeAt through(int l) { return {Scope::Through, l}; }
  static ScopeAt end_to_end() { return {Scope::EndToEnd, 0}; }
  std::string describe() const;  // "block 3", "blocks 1..3", "end to end"
};

}  // namespace tl
