#pragma once
// Test helpers: build safetensors bytes from a JSON header and a data section, and split a real
// file back into the two so tests can corrupt one field at a time.
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace tl::test {

using Bytes = std::vector<unsigned char>;

inline Bytes make_safetensors_raw(const std::string& header, const Bytes& data) {
  Bytes out(8 + header.size() + data.size());
  const std::uint64_t n = header.size();
  std::memcpy(out.data(), &n, 8);
  if (!header.empty()) std::memcpy(out.data() + 8, header.data(), header.size());
  if (!data.empty()) std::memcpy(out.data() + 8 + header.size(), data.data(), data.size());
  return out;
}

inline Bytes make_safetensors(const nlohmann::json& header, const Bytes& data) {
  return make_safetensors_raw(header.dump(), data);
}

struct SplitFile {
  nlohmann::json header;
  Bytes data;
};

inline Bytes read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

inline std::string read_string(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void write_bytes(const std::filesystem::path& p, const Bytes& b) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
}

// A well-formed file split into its header (parsed) and data section.
inline SplitFile split_safetensors(const Bytes& file) {
  std::uint64_t n = 0;
  std::memcpy(&n, file.data(), 8);
  SplitFile s;
  s.header = nlohmann::json::parse(file.begin() + 8, file.begin() + 8 + std::ptrdiff_t(n));
  s.data.assign(file.begin() + 8 + std::ptrdiff_t(n), file.end());
  return s;
}

// Little-endian bytes of floats / uint16 values, for handcrafted data sections.
inline Bytes f32_bytes(std::initializer_list<float> v) {
  Bytes b(v.size() * 4);
  std::memcpy(b.data(), std::data(v), b.size());
  return b;
}
inline Bytes u16_bytes(std::initializer_list<std::uint16_t> v) {
  Bytes b(v.size() * 2);
  std::memcpy(b.data(), std::data(v), b.size());
  return b;
}

}  // namespace tl::test
