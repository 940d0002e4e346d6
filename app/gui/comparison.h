#pragma once
// Two methods on the same sentence (the Compare view, docs/VIEWS.md): both maps, their difference
// after per-map normalisation, and rank correlations (Spearman's rho, Kendall's tau-b) per row and
// overall.
// Kept apart from the widget so tests can check the numbers.
//
// Which cells count (for the normalisation and the correlations): causal models compare only
// j <= i (the upper triangle is zero by construction in both, and its ties would inflate the
// agreement); with hidden special tokens their rows and columns are left out too (and, in causal
// models, the first position, the attention sink: render/special_tokens.h).
#include <memory>
#include <vector>

#include "app/gui/displayed_map.h"

namespace tl::app {

struct Comparison {
  Scope scope = Scope::EndToEnd;
  int block = 0;  // Layer / UpTo
  std::shared_ptr<const Map> a, b;
  std::shared_ptr<const Map> difference;  // a / max|a| - b / max|b| over the counted cells (signed)
  render::SpecialTokens special;          // rows / columns left out (hidden special tokens)
  // Per row i: cells counted, Spearman's rho and Kendall's tau-b of row i of a vs row i of b
  // (NaN when undefined: fewer than two cells, or a constant row).
  std::vector<int> row_cells;
  std::vector<double> row_spearman, row_kendall;
  // Over every counted cell of the map at once.
  int cells = 0;
  double spearman = 0, kendall = 0;
};

// The scope both methods have: the chosen one when both have it, else end to end, else block
// alone; EndToEnd with `ok` false when they share none.
Scope common_scope(const MethodInfo& a, const MethodInfo& b, Scope chosen, bool* ok);

// Errors: unknown methods, no common scope, maps of different shapes, errors of the methods.
Result<Comparison> compute_comparison(const SessionPtr& session, const Analysis& analysis, const std::string& method_a,
                                      const std::string& method_b, const MapChoice& chosen, bool hide_special,
                                      Progress* progress = nullptr);

}  // namespace tl::app
