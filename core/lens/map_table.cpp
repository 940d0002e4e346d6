#include "core/lens/map_table.h"

#include <cmath>
#include <cstdio>

#include "core/io/npy.h"

namespace tl {
namespace {

Status check_shapes(const std::vector<const Map*>& maps) {
  if (maps.empty()) return make_error("no matrix to write");
  for (const Map* m : maps) {
    if (m->rows() != maps.front()->rows() || m->cols() != maps.front()->cols()) {
      return make_error("the matrices differ in shape (" + std::to_string(maps.front()->rows()) + "x" +
                        std::to_string(maps.front()->cols()) + " vs " + std::to_string(m->rows()) + "x" +
                        std::to_string(m->cols()) + "): they cannot share one table");
    }
  }
  return {};
}

std::string number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string label_at(const std::vector<std::string>& labels, int k) {
  return k < static_cast<int>(labels.size()) ? labels[static_cast<std::size_t>(k)] : std::to_string(k);
}

}  // namespace

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

Result<std::string> maps_to_csv(const std::vector<const Map*>& maps, const std::vector<std::string>& names) {
  if (Status s = check_shapes(maps); !s) return s.error();
  const bool several = maps.size() > 1;
  if (several && names.size() != maps.size()) {
    return make_error("CSV of " + std::to_string(maps.size()) + " matrices needs one name each (got " +
                      std::to_string(names.size()) + ")");
  }
  const Map& first = *maps.front();
  std::string out = several ? "matrix,token" : "token";
  for (int j = 0; j < first.cols(); ++j) out += "," + csv_field(label_at(first.col_labels, j));
  out += "\n";
  for (std::size_t k = 0; k < maps.size(); ++k) {
    const Map& m = *maps[k];
    for (int i = 0; i < m.rows(); ++i) {
      if (several) out += csv_field(names[k]) + ",";
      out += csv_field(label_at(m.row_labels, i));
      for (int j = 0; j < m.cols(); ++j) out += "," + number(m.values(i, j));
      out += "\n";
    }
  }
  return out;
}

Result<std::vector<unsigned char>> maps_to_npy(const std::vector<const Map*>& maps) {
  if (Status s = check_shapes(maps); !s) return s.error();
  const std::int64_t rows = maps.front()->rows(), cols = maps.front()->cols();
  std::vector<std::int64_t> shape = {rows, cols};
  if (maps.size() > 1) shape.insert(shape.begin(), static_cast<std::int64_t>(maps.size()));
  std::vector<double> data;
  data.reserve(maps.size() * static_cast<std::size_t>(rows * cols));
  for (const Map* m : maps) {
    for (int i = 0; i < m->rows(); ++i)
      for (int j = 0; j < m->cols(); ++j) data.push_back(m->values(i, j));  // C order
  }
  return serialize_npy(shape, data, NpyType::Float64);
}

}  // namespace tl
