#pragma once
// Map: an N x N (or N x 1) matrix of values plus token labels and provenance. Every method
// produces Maps; every view, export and comparison takes Maps.
#include <Eigen/Dense>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace tl {

struct Provenance {
  std::string model;    // display name + source
  std::string text;     // the input text (and text pair, if any)
  std::string method;   // registry name, e.g. "tensorlens-in"
  std::string layers;   // "block 3", "blocks 1..3", "end to end", "head 2 of block 1"
  nlohmann::json options = nlohmann::json::object();
  std::string tool_version = TL_VERSION;
};

struct Map {
  Eigen::MatrixXd values;  // rows: output (query) tokens i; columns: input (source) tokens j
  std::vector<std::string> row_labels;
  std::vector<std::string> col_labels;
  bool is_signed = false;  // diverging colormap centred at zero when true
  // Bias part per row (TensorLens maps: the accumulated-bias contribution c), empty if none.
  Eigen::VectorXd bias;
  Provenance provenance;

  int rows() const { return static_cast<int>(values.rows()); }
  int cols() const { return static_cast<int>(values.cols()); }
};

nlohmann::json to_json(const Provenance& p);

}  // namespace tl
