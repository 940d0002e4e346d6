// Safetensors reader: handcrafted files (F32/F16/BF16 conversion, metadata, zero-size tensors,
// block copies with strides), a real checkpoint, and sharded checkpoints via the index file.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "core/io/safetensors.h"
#include "safetensors_test_util.h"

namespace fs = std::filesystem;
using namespace tl;
using namespace tl::test;
using nlohmann::json;

namespace {

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

std::vector<float> to_floats(const SafetensorsTensor& t) {
  std::vector<float> out(std::size_t(t.element_count()));
  const std::int64_t rows = t.shape.size() >= 2 ? t.shape[0] : 1;
  EXPECT_TRUE(copy_block_as_float(t, 0, rows, 0, t.element_count() / rows, out.data(), t.element_count() / rows, 1).ok());
  return out;
}

// f32 [2,3] at 0..24, f16 [4] at 24..32, bf16 [2] at 32..36, an empty tensor, an i64 [1] at 36..44.
Bytes mixed_file() {
  json h = {{"__metadata__", {{"format", "pt"}, {"anything", "goes"}}},
            {"a", {{"dtype", "F32"}, {"shape", {2, 3}}, {"data_offsets", {0, 24}}}},
            {"h", {{"dtype", "F16"}, {"shape", {4}}, {"data_offsets", {24, 32}}}},
            {"b", {{"dtype", "BF16"}, {"shape", {2}}, {"data_offsets", {32, 36}}}},
            {"empty", {{"dtype", "F32"}, {"shape", {0, 5}}, {"data_offsets", {36, 36}}}},
            {"ids", {{"dtype", "I64"}, {"shape", {1}}, {"data_offsets", {36, 44}}}}};
  // F16: 1.0, -2.0, 65504 (max), 2^-24 (smallest subnormal). BF16: 1.0, -0.5.
  return make_safetensors(h, concat({f32_bytes({1, 2, 3, 4, 5, 6}), u16_bytes({0x3C00, 0xC000, 0x7BFF, 0x0001}),
                                     u16_bytes({0x3F80, 0xBF00}), Bytes(8, 0)}));
}

TEST(Safetensors, ParsesAndConvertsEveryFloatDtype) {
  const Bytes file = mixed_file();
  auto parsed = parse_safetensors(file, "mixed.safetensors");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  ASSERT_EQ(parsed->tensors.size(), 5u);  // __metadata__ is not a tensor
  auto store = TensorStore::from_memory(file, "mixed.safetensors");
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(to_floats(*store->find("a")), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(to_floats(*store->find("h")), (std::vector<float>{1.0f, -2.0f, 65504.0f, std::ldexp(1.0f, -24)}));
  EXPECT_EQ(to_floats(*store->find("b")), (std::vector<float>{1.0f, -0.5f}));
  EXPECT_EQ(store->find("empty")->element_count(), 0);
  EXPECT_EQ(store->find("missing"), nullptr);
  EXPECT_EQ(store->dominant_float_dtype(), "F32");  // 6 F32 elements against 4 F16 and 2 BF16
}

TEST(Safetensors, NonFloatDtypesParseButDoNotConvert) {
  const Bytes file = mixed_file();
  auto store = TensorStore::from_memory(file, "mixed.safetensors");
  ASSERT_TRUE(store.ok());
  const auto* ids = store->find("ids");
  ASSERT_NE(ids, nullptr);
  EXPECT_FALSE(ids->is_float());
  float f;
  auto st = copy_block_as_float(*ids, 0, 1, 0, 1, &f, 0, 0);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("'ids'"), std::string::npos) << st.error().message;
  EXPECT_NE(st.error().message.find("I64"), std::string::npos) << st.error().message;
}

TEST(Safetensors, BlockCopyTransposesAndSlices) {
  const Bytes file = mixed_file();
  auto store = TensorStore::from_memory(file, "m");
  ASSERT_TRUE(store.ok());
  const auto& a = *store->find("a");  // [[1,2,3],[4,5,6]]
  float t[6];
  ASSERT_TRUE(copy_block_as_float(a, 0, 2, 0, 3, t, 1, 2).ok());  // transposed: column-major [2,3]
  EXPECT_EQ(std::vector<float>(t, t + 6), (std::vector<float>{1, 4, 2, 5, 3, 6}));
  float s[2];
  ASSERT_TRUE(copy_block_as_float(a, 1, 1, 1, 2, s, 0, 1).ok());  // row 1, columns 1..2
  EXPECT_EQ(s[0], 5);
  EXPECT_EQ(s[1], 6);
  EXPECT_FALSE(copy_block_as_float(a, 1, 2, 0, 3, t, 1, 2).ok());  // rows beyond the tensor
  EXPECT_FALSE(copy_block_as_float(a, 0, 1, 2, 2, t, 0, 1).ok());  // columns beyond the tensor
}

TEST(Safetensors, RealCheckpointHeader) {
  auto store = TensorStore::open_dir(fs::path(TL_TEST_DATA_DIR) / "reference-models" / "tiny-gpt2");
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_EQ(store->names().size(), 2u + 12u * 2u + 2u);  // wte, wpe, 12 per block, ln_f
  const auto* t = store->find("transformer.h.0.attn.c_attn.weight");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->shape, (std::vector<std::int64_t>{64, 192}));
  EXPECT_EQ(t->dtype, "F32");
  EXPECT_EQ(t->byte_size, 64u * 192u * 4u);
  EXPECT_EQ(store->dominant_float_dtype(), "F32");
}

class ShardedCheckpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(TL_TEST_TMP_DIR) / ("sharded-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    json h1 = {{"x", {{"dtype", "F32"}, {"shape", {2}}, {"data_offsets", {0, 8}}}}};
    json h2 = {{"y", {{"dtype", "BF16"}, {"shape", {1}}, {"data_offsets", {0, 2}}}}};
    write_bytes(dir_ / "model-00001-of-00002.safetensors", make_safetensors(h1, f32_bytes({7, 8})));
    write_bytes(dir_ / "model-00002-of-00002.safetensors", make_safetensors(h2, u16_bytes({0x4000})));
  }
  void write_index(const json& weight_map) {
    write_bytes(dir_ / "model.safetensors.index.json",
                [&] {
                  const std::string s = json{{"metadata", {{"total_size", 10}}}, {"weight_map", weight_map}}.dump();
                  return Bytes(s.begin(), s.end());
                }());
  }
  std::string open_error() {
    auto store = TensorStore::open_dir(dir_);
    return store.ok() ? std::string("(opened)") : store.error().message;
  }
  fs::path dir_;
};

TEST_F(ShardedCheckpoint, ReadsEveryShard) {
  write_index({{"x", "model-00001-of-00002.safetensors"}, {"y", "model-00002-of-00002.safetensors"}});
  auto store = TensorStore::open_dir(dir_);
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_EQ(to_floats(*store->find("x")), (std::vector<float>{7, 8}));
  EXPECT_EQ(to_floats(*store->find("y")), (std::vector<float>{2}));
}

TEST_F(ShardedCheckpoint, RefusesShardPathsOutsideTheFolder) {
  write_index({{"x", "../model-00001-of-00002.safetensors"}});
  EXPECT_NE(open_error().find("invalid shard"), std::string::npos) << open_error();
}

TEST_F(ShardedCheckpoint, RefusesMissingShard) {
  write_index({{"x", "model-00009-of-00009.safetensors"}});
  EXPECT_NE(open_error().find("model-00009-of-00009.safetensors"), std::string::npos) << open_error();
}

TEST_F(ShardedCheckpoint, RefusesWeightMapPointingAtTheWrongShard) {
  write_index({{"x", "model-00002-of-00002.safetensors"}, {"y", "model-00002-of-00002.safetensors"}});
  EXPECT_NE(open_error().find("does not contain"), std::string::npos) << open_error();
}

TEST_F(ShardedCheckpoint, RefusesTensorInTwoShards) {
  json h = {{"x", {{"dtype", "F32"}, {"shape", {1}}, {"data_offsets", {0, 4}}}}};
  write_bytes(dir_ / "model-00002-of-00002.safetensors", make_safetensors(h, f32_bytes({1})));
  write_index({{"x", "model-00001-of-00002.safetensors"}, {"y", "model-00002-of-00002.safetensors"}});
  EXPECT_NE(open_error().find("is also in"), std::string::npos) << open_error();
}

TEST_F(ShardedCheckpoint, RefusesNonJsonIndex) {
  write_bytes(dir_ / "model.safetensors.index.json", Bytes{'{', 'w', 'e'});
  EXPECT_NE(open_error().find("not valid JSON"), std::string::npos) << open_error();
}

TEST(Safetensors, FolderWithoutWeights) {
  const fs::path dir = fs::path(TL_TEST_TMP_DIR) / "no-weights";
  fs::create_directories(dir);
  auto store = TensorStore::open_dir(dir);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message.find("no model.safetensors"), std::string::npos) << store.error().message;
}

}  // namespace
