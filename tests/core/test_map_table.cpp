// Maps as CSV and NPY (core/lens/map_table.h): labels that need quoting survive, values read back
// exactly (17 significant digits), several maps stack with a name column / a leading axis, and
// shapes that cannot share a table are refused with a message.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <limits>

#include "core/io/npy.h"
#include "core/lens/map_table.h"
#include "tests/csv_reader.h"

using namespace tl;

namespace {

Map sample(int rows, int cols, double scale) {
  Map m;
  m.values.resize(rows, cols);
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) m.values(i, j) = scale * (i * 0.1 + j / 3.0) - 0.25;
  for (int i = 0; i < rows; ++i) m.row_labels.push_back("r" + std::to_string(i));
  for (int j = 0; j < cols; ++j) m.col_labels.push_back("c" + std::to_string(j));
  return m;
}

}  // namespace

TEST(MapTable, CsvRoundTripsValuesAndAwkwardLabels) {
  Map m = sample(3, 4, 1.0 / 7.0);
  m.row_labels = {",", "\"quoted\"", "line\nbreak"};
  m.col_labels = {"\u0120the", "a,b", " x", "y"};
  m.values(1, 2) = std::numeric_limits<double>::quiet_NaN();
  m.values(2, 3) = -std::numeric_limits<double>::infinity();
  auto csv = maps_to_csv({&m});
  ASSERT_TRUE(csv.ok()) << csv.error().message;
  const auto rows = test::read_csv(csv.value());
  ASSERT_EQ(rows.size(), 4u);
  ASSERT_EQ(rows[0].size(), 5u);
  EXPECT_EQ(rows[0][0], "token");
  for (int j = 0; j < 4; ++j) EXPECT_EQ(rows[0][static_cast<std::size_t>(j + 1)], m.col_labels[static_cast<std::size_t>(j)]);
  for (int i = 0; i < 3; ++i) {
    const auto& r = rows[static_cast<std::size_t>(i + 1)];
    ASSERT_EQ(r.size(), 5u);
    EXPECT_EQ(r[0], m.row_labels[static_cast<std::size_t>(i)]);
    for (int j = 0; j < 4; ++j) {
      const double got = std::strtod(r[static_cast<std::size_t>(j + 1)].c_str(), nullptr);
      const double want = m.values(i, j);
      if (std::isnan(want)) EXPECT_TRUE(std::isnan(got));
      else EXPECT_EQ(got, want) << i << "," << j;  // exact: 17 significant digits
    }
  }
}

TEST(MapTable, SeveralMapsGetANameColumn) {
  const Map a = sample(2, 3, 1.0), b = sample(2, 3, -2.0);
  auto csv = maps_to_csv({&a, &b}, {"first", "second"});
  ASSERT_TRUE(csv.ok()) << csv.error().message;
  const auto rows = test::read_csv(csv.value());
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0][0], "matrix");
  EXPECT_EQ(rows[0][1], "token");
  EXPECT_EQ(rows[3][0], "second");
  EXPECT_EQ(rows[3][1], "r0");
  EXPECT_EQ(std::strtod(rows[4][4].c_str(), nullptr), b.values(1, 2));
  EXPECT_FALSE(maps_to_csv({&a, &b}).ok());  // names are required for several maps
}

TEST(MapTable, NpyIsFloat64InCOrder) {
  const Map a = sample(3, 5, 0.3), b = sample(3, 5, 4.0);
  auto one = maps_to_npy({&a});
  ASSERT_TRUE(one.ok());
  auto parsed = parse_npy(one.value());
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->dtype, "<f8");
  EXPECT_EQ(parsed->shape, (std::vector<std::int64_t>{3, 5}));
  EXPECT_EQ(parsed->at({2, 4}), a.values(2, 4));
  auto two = maps_to_npy({&a, &b});
  ASSERT_TRUE(two.ok());
  auto stacked = parse_npy(two.value());
  ASSERT_TRUE(stacked.ok());
  EXPECT_EQ(stacked->shape, (std::vector<std::int64_t>{2, 3, 5}));
  EXPECT_EQ(stacked->at({1, 2, 3}), b.values(2, 3));
  EXPECT_EQ(stacked->at({0, 1, 0}), a.values(1, 0));
}

TEST(MapTable, RefusesWhatCannotShareATable) {
  const Map a = sample(2, 3, 1.0), b = sample(3, 3, 1.0);
  auto csv = maps_to_csv({&a, &b}, {"a", "b"});
  ASSERT_FALSE(csv.ok());
  EXPECT_NE(csv.error().message.find("differ in shape"), std::string::npos) << csv.error().message;
  EXPECT_FALSE(maps_to_npy({&a, &b}).ok());
  EXPECT_FALSE(maps_to_npy({}).ok());
}
