#pragma once
// The numbers of one or more Maps as files (the CSV and NPY exports of the app and the CLI): the
// values as computed, never the display normalisations (row normalisation and log scale are view
// options, recorded in the provenance JSON beside the file).
//   CSV: a header "token,<column labels>", then one line per row "<row label>,<values>". Several
//        maps (one shape) get a leading "matrix" column that names each, rows of map 1 first.
//        Fields are quoted (RFC 4180) when they hold a comma, a quote or a line break; values are
//        written with 17 significant digits, so they read back exactly ("nan", "inf", "-inf").
//   NPY: float64, shape [rows, cols] for one map, [maps, rows, cols] for several.
#include <string>
#include <vector>

#include "core/lens/map.h"
#include "core/util/result.h"

namespace tl {

// Errors: no maps, names not one per map (several maps), maps of different shapes.
Result<std::string> maps_to_csv(const std::vector<const Map*>& maps, const std::vector<std::string>& names = {});
Result<std::vector<unsigned char>> maps_to_npy(const std::vector<const Map*>& maps);

// One CSV field, quoted when needed.
std::string csv_field(const std::string& text);

}  // namespace tl
