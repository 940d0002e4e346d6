#pragma once
// Every block of one method: the maps behind "export every layer" (the app's File menu and
// `tensorlens-cli render --every-layer`), one per block 1..L, each for block l alone (Scope::Block)
// or for blocks 1..l composed (Scope::Through). One code path for the app and the CLI, so both
// write the same maps.
//
// The TensorLens engine computes the whole series in one pass (and adds the end-to-end map after
// the final norm when the family has one: then L + 1 maps); other methods run once per block.
// `base` carries what stays the same across blocks (head of per-head methods, -1 for every head:
// one map per block and head; target token; method options); its scope and layer are set here.
// This is the one every-block loop: the app's layer-wise view, its shared colour scale, File >
// Export every layer and `render --every-layer` all call it (through engine::Session::series).
#include <vector>

#include "core/methods/registry.h"

namespace tl {

struct LayerSeries {
  Scope scope = Scope::Block;
  std::vector<Map> maps;     // in block order
  std::vector<int> blocks;   // per map: its block 1..L; L + 1 for the end-to-end map
  std::vector<int> heads;    // per map: its head (per-head methods), else -1
};

// Errors: unknown method, a scope other than Layer/UpTo, a scope the method lacks, errors of the
// method. Cancellation through `progress` throws tl::Cancelled.
Result<LayerSeries> compute_layer_series(std::string_view method, const MethodInputs& inputs, Scope scope,
                                         const MethodRequest& base = {}, Progress* progress = nullptr);

}  // namespace tl
