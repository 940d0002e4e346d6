#pragma once
// Helpers shared by the tokenizer tests: the vendored vectors in tests/data/tokenizers.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "core/tokenizer/tokenizer.h"

namespace tl::test {

inline std::filesystem::path tokenizer_dir(const std::string& name) {
  return std::filesystem::path(TL_TEST_DATA_DIR) / "tokenizers" / name;
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Vector {
  std::string text;
  std::vector<int> ids;  // ids_hf_tokenizers: the Rust library with add_special_tokens=true
};

inline std::vector<Vector> load_vectors(const std::string& name) {
  std::vector<Vector> out;
  std::ifstream in(tokenizer_dir(name) / "vectors.jsonl");
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line);
    out.push_back({j.at("text").get<std::string>(), j.at("ids_hf_tokenizers").get<std::vector<int>>()});
  }
  return out;
}

inline std::string ids_to_string(const std::vector<int>& ids) {
  std::string s;
  for (int id : ids) {
    if (!s.empty()) s += ' ';
    s += std::to_string(id);
  }
  return s;
}

// Every vector must give exactly its ids; reports each mismatching text.
inline void expect_vectors(const Tokenizer& tok, const std::string& name) {
  const std::vector<Vector> vectors = load_vectors(name);
  ASSERT_GT(vectors.size(), 200u);
  int failures = 0;
  for (const Vector& v : vectors) {
    const Encoding e = tok.encode(v.text);
    if (e.ids != v.ids) {
      ++failures;
      ADD_FAILURE() << name << ": text " << nlohmann::json(v.text).dump() << "\n  expected "
                    << ids_to_string(v.ids) << "\n  got      " << ids_to_string(e.ids);
    }
  }
  EXPECT_EQ(failures, 0) << "of " << vectors.size() << " vectors";
}

// from_dir for folders, from_file for files.
inline void expect_vectors_at(const std::filesystem::path& path, const std::string& name) {
  auto t = std::filesystem::is_directory(path) ? Tokenizer::from_dir(path) : Tokenizer::from_file(path);
  ASSERT_TRUE(t.ok()) << t.error().message;
  expect_vectors(*t, name);
}

}  // namespace tl::test
