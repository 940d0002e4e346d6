#pragma once
// Rank correlations between two equally long samples, for comparing explanation maps (the
// comparison view: per row and over a whole map).
//
// - Spearman's rho: Pearson's correlation of the ranks, ties given their average rank (the usual
//   tie correction, as scipy.stats.spearmanr).
// - Kendall's tau-b: (concordant - discordant) / sqrt((n0 - n1) (n0 - n2)), n0 = n (n - 1) / 2,
//   n1 / n2 the pairs tied in x / in y (as scipy.stats.kendalltau). Knight's O(n log n)
//   algorithm, so a whole 512 x 512 map (about 131k cells) takes milliseconds.
//
// Pairs where either value is not finite are left out. Both return NaN when undefined: fewer than
// two pairs, or one sample constant.
#include <span>

namespace tl {

double spearman_rho(std::span<const double> x, std::span<const double> y);
double kendall_tau_b(std::span<const double> x, std::span<const double> y);

}  // namespace tl
