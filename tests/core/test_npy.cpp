#include <gtest/gtest.h>

#include "core/io/npy.h"

TEST(Npy, ReadsReferenceFile) {
  auto a = tl::read_npy(TL_TEST_DATA_DIR "/reference-models/tiny-gpt2/reference/seq1_hidden_states.npy");
  ASSERT_TRUE(a.ok()) << a.error().message;
  ASSERT_EQ(a->shape, (std::vector<std::int64_t>{3, 7, 64}));
  EXPECT_EQ(a->dtype, "<f4");
  auto ids = tl::read_npy(TL_TEST_DATA_DIR "/reference-models/tiny-gpt2/reference/seq1_input_ids.npy");
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(ids->data[0], 794);
}

TEST(Npy, RoundTrip) {
  std::vector<std::int64_t> shape{2, 3};
  std::vector<double> v{1, 2, 3, 4, 5, 6.5};
  auto bytes = tl::serialize_npy(shape, v, tl::NpyType::Float64);
  EXPECT_EQ(bytes.size() % 64, 48u);  // data starts on a 64-byte boundary: 6 * 8 = 48 bytes of data
  auto a = tl::parse_npy(bytes);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->shape, shape);
  EXPECT_EQ(a->at({1, 2}), 6.5);
}

TEST(Npy, RejectsCorrupt) {
  std::vector<std::int64_t> shape{1000};
  std::vector<double> v(1000, 1.0);
  auto bytes = tl::serialize_npy(shape, v);
  auto truncated = std::vector<unsigned char>(bytes.begin(), bytes.begin() + 200);
  auto r = tl::parse_npy(truncated);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("truncated"), std::string::npos);
  std::vector<unsigned char> junk{'x', 'y'};
  EXPECT_FALSE(tl::parse_npy(junk).ok());
}
