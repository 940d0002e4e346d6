#include "core/io/safetensors.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "core/io/file_util.h"
#include "core/io/json_util.h"
#include "core/util/half.h"

namespace tl {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; conversion reads it as native");

namespace {

// The reference implementation refuses headers above 100 MB; a larger one is not a real checkpoint.
constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;

using json = nlohmann::json;

// 'name' (built by appending: GCC 12 warns falsely on "lit" + std::string&&).
std::string in_quotes(std::string_view s) {
  std::string q(1, '\'');
  q.append(s);
  q.push_back('\'');
  return q;
}

// A non-negative JSON integer (refuses floats, negatives, strings, booleans).
bool as_unsigned(const json& v, std::uint64_t& out) {
  if (v.is_number_unsigned()) {
    out = v.get<std::uint64_t>();
    return true;
  }
  if (v.is_number_integer() && v.get<std::int64_t>() >= 0) {
    out = static_cast<std::uint64_t>(v.get<std::int64_t>());
    return true;
  }
  return false;
}

struct Extent {
  std::uint64_t begin, end;
  std::size_t index;
};

}  // namespace

std::size_t safetensors_dtype_size(std::string_view d) {
  if (d == "F64" || d == "I64" || d == "U64") return 8;
  if (d == "F32" || d == "I32" || d == "U32") return 4;
  if (d == "F16" || d == "BF16" || d == "I16" || d == "U16") return 2;
  if (d == "I8" || d == "U8" || d == "BOOL" || d == "F8_E5M2" || d == "F8_E4M3") return 1;
  return 0;
}

std::int64_t SafetensorsTensor::element_count() const {
  std::int64_t n = 1;
  for (auto s : shape) n *= s;  // validated at parse: fits, since n * dtype size <= file size
  return n;
}

bool SafetensorsTensor::is_float() const { return dtype == "F32" || dtype == "F16" || dtype == "BF16"; }

std::string shape_string(std::span<const std::int64_t> shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

namespace {

// The checks on the 8-byte length; `file_size` is the whole file.
Status check_header_length(std::uint64_t header_len, std::uint64_t file_size, const std::string& source) {
  if (header_len > file_size - 8)
    return make_error(source + ": header length " + std::to_string(header_len) + " is beyond the file (" +
                      std::to_string(file_size) + " bytes)");
  if (header_len > kMaxHeaderBytes)
    return make_error(source + ": header length " + std::to_string(header_len) + " exceeds the " +
                      std::to_string(kMaxHeaderBytes) + "-byte limit");
  return {};
}

// The header JSON -> tensors with file_offset relative to the start of the data section.
Result<SafetensorsFile> parse_header(const char* header_begin, std::uint64_t header_len, std::uint64_t data_size,
                                     const std::string& source) {
  auto parsed = parse_json(std::string_view(header_begin, header_len), source + ": header");
  if (!parsed) return parsed.error();
  const json& header = parsed.value();
  if (!header.is_object()) return make_error(source + ": header is not a JSON object");

  SafetensorsFile file;
  file.source = source;
  std::vector<Extent> extents;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") continue;
    const std::string where = source + ": tensor " + in_quotes(name);
    if (!entry.is_object()) return make_error(where + ": entry is not an object");
    const auto dt = entry.find("dtype");
    const auto sh = entry.find("shape");
    const auto off = entry.find("data_offsets");
    if (dt == entry.end() || !dt->is_string()) return make_error(where + ": missing or non-string \"dtype\"");
    if (sh == entry.end() || !sh->is_array()) return make_error(where + ": missing or non-array \"shape\"");
    if (off == entry.end() || !off->is_array() || off->size() != 2)
      return make_error(where + ": \"data_offsets\" must be an array of two integers");

    SafetensorsTensor t;
    t.name = name;
    t.dtype = dt->get<std::string>();
    t.source = source;
    const std::size_t elem_size = safetensors_dtype_size(t.dtype);
    if (elem_size == 0) return make_error(where + ": unknown dtype " + in_quotes(t.dtype));

    std::uint64_t count = 1;
    for (const auto& d : *sh) {
      std::uint64_t dim = 0;
      if (!as_unsigned(d, dim)) return make_error(where + ": shape " + sh->dump() + " has a non-integer or negative size");
      if (dim > std::uint64_t(INT64_MAX) || __builtin_mul_overflow(count, dim, &count))
        return make_error(where + ": shape " + sh->dump() + " overflows");
      t.shape.push_back(static_cast<std::int64_t>(dim));
    }
    std::uint64_t expected_bytes = 0;
    if (__builtin_mul_overflow(count, std::uint64_t(elem_size), &expected_bytes))
      return make_error(where + ": shape " + sh->dump() + " overflows");

    std::uint64_t begin = 0, end = 0;
    if (!as_unsigned((*off)[0], begin) || !as_unsigned((*off)[1], end))
      return make_error(where + ": data_offsets " + off->dump() + " must be non-negative integers");
    if (begin > end) return make_error(where + ": data_offsets " + off->dump() + " are reversed");
    if (end > data_size)
      return make_error(where + ": data_offsets " + off->dump() + " out of range: the data section has " +
                        std::to_string(data_size) + " bytes");
    if (end - begin != expected_bytes)
      return make_error(where + ": byte size " + std::to_string(end - begin) + " does not match dtype " + t.dtype +
                        " (" + std::to_string(elem_size) + " bytes) x shape " + shape_string(t.shape) + " = " +
                        std::to_string(expected_bytes) + " bytes");
    t.file_offset = begin;
    t.byte_size = end - begin;
    extents.push_back({begin, end, file.tensors.size()});
    file.tensors.push_back(std::move(t));
  }

  // Tensors must not share bytes: sort by start and compare each with the previous non-empty one.
  std::sort(extents.begin(), extents.end(),
            [](const Extent& a, const Extent& b) { return a.begin != b.begin ? a.begin < b.begin : a.end < b.end; });
  const Extent* prev = nullptr;
  for (const auto& e : extents) {
    if (e.begin == e.end) continue;
    if (prev && e.begin < prev->end)
      return make_error(source + ": tensors " + in_quotes(file.tensors[prev->index].name) + " and " +
                        in_quotes(file.tensors[e.index].name) + " have overlapping data_offsets ([" +
                        std::to_string(prev->begin) + ", " + std::to_string(prev->end) + ") and [" +
                        std::to_string(e.begin) + ", " + std::to_string(e.end) + "))");
    prev = &e;
  }
  return file;
}

}  // namespace

Result<SafetensorsFile> parse_safetensors(std::span<const unsigned char> bytes, std::string source) {
  const std::uint64_t file_size = bytes.size();
  if (file_size < 8)
    return make_error(source + ": file too small (" + std::to_string(file_size) +
                      " bytes) to hold the 8-byte header length");
  std::uint64_t header_len = 0;
  std::memcpy(&header_len, bytes.data(), 8);
  if (Status st = check_header_length(header_len, file_size, source); !st) return st.error();
  const std::span<const unsigned char> data = bytes.subspan(8 + header_len);
  auto file = parse_header(reinterpret_cast<const char*>(bytes.data() + 8), header_len, data.size(), source);
  if (!file) return file.error();
  for (auto& t : file->tensors) {
    t.bytes = data.subspan(t.file_offset, t.byte_size);
    t.file_offset += 8 + header_len;
  }
  return file;
}

namespace {

// A safetensors file on disk: the header is read now, the tensors' bytes when they are converted.
Result<SafetensorsFile> read_safetensors_file(const std::filesystem::path& path) {
  const std::string source = path.string();
  auto opened = ReadableFile::open(path);
  if (!opened) return opened.error();
  const auto& f = opened.value();
  if (f->size() < 8)
    return make_error(source + ": file too small (" + std::to_string(f->size()) +
                      " bytes) to hold the 8-byte header length");
  std::uint64_t header_len = 0;
  if (Status st = f->read_at(0, &header_len, 8, "header length"); !st) return st.error();
  if (Status st = check_header_length(header_len, f->size(), source); !st) return st.error();
  std::string header(static_cast<std::size_t>(header_len), '\0');
  if (Status st = f->read_at(8, header.data(), header.size(), "header"); !st) return st.error();
  auto file = parse_header(header.data(), header_len, f->size() - 8 - header_len, source);
  if (!file) return file.error();
  for (auto& t : file->tensors) {
    t.file = f;
    t.file_offset += 8 + header_len;
  }
  file->keepalive = f;
  return file;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

Status TensorStore::add_file(SafetensorsFile file) {
  const std::size_t fi = files_.size();
  for (std::size_t ti = 0; ti < file.tensors.size(); ++ti) {
    const auto& name = file.tensors[ti].name;
    auto [it, inserted] = by_name_.emplace(name, std::pair{fi, ti});
    if (!inserted)
      return make_error(file.source + ": tensor " + in_quotes(name) + " is also in " + files_[it->second.first].source);
  }
  files_.push_back(std::move(file));
  return {};
}

Result<TensorStore> TensorStore::open_file(const std::filesystem::path& path) {
  auto parsed = read_safetensors_file(path);
  if (!parsed) return parsed.error();
  TensorStore store;
  store.source_ = path.string();
  if (auto st = store.add_file(std::move(parsed.value())); !st) return st.error();
  return store;
}

Result<TensorStore> TensorStore::from_memory(std::span<const unsigned char> bytes, std::string source) {
  auto parsed = parse_safetensors(bytes, std::move(source));
  if (!parsed) return parsed.error();
  TensorStore store;
  store.source_ = parsed->source;
  if (auto st = store.add_file(std::move(parsed.value())); !st) return st.error();
  return store;
}

Result<TensorStore> TensorStore::open_index(const std::filesystem::path& index_path) {
  const std::string source = index_path.string();
  auto text = read_text_file(index_path, std::size_t(64) << 20);
  if (!text) return text.error();
  auto parsed_index = parse_json(text.value(), source);
  if (!parsed_index) return parsed_index.error();
  const json& index = parsed_index.value();
  if (!index.is_object()) return make_error(source + ": not a JSON object");
  const auto wm = index.find("weight_map");
  if (wm == index.end() || !wm->is_object()) return make_error(source + ": missing \"weight_map\" object");
  std::set<std::string> shards;
  for (const auto& [name, shard] : wm->items()) {
    if (!shard.is_string()) return make_error(source + ": weight_map entry " + in_quotes(name) + " is not a file name");
    const auto s = shard.get<std::string>();
    // Shards must be plain file names beside the index: no paths out of the model folder.
    if (s.empty() || s == "." || s == ".." || s.find('/') != std::string::npos || s.find('\\') != std::string::npos)
      return make_error(source + ": weight_map entry " + in_quotes(name) + " names an invalid shard " + in_quotes(s));
    shards.insert(s);
  }
  if (shards.empty()) return make_error(source + ": weight_map is empty");

  TensorStore store;
  store.source_ = source;
  const auto dir = index_path.parent_path();
  for (const auto& s : shards) {
    auto parsed = read_safetensors_file(dir / s);
    if (!parsed) return make_error(source + ": shard " + in_quotes(s) + ": " + parsed.error().message);
    if (auto st = store.add_file(std::move(parsed.value())); !st) return st.error();
  }
  for (const auto& [name, shard] : wm->items()) {
    const auto* t = store.find(name);
    if (!t || t->source != (dir / shard.get<std::string>()).string())
      return make_error(source + ": weight_map puts " + in_quotes(name) + " in " + in_quotes(shard.get<std::string>()) +
                        " but that shard does not contain it");
  }
  return store;
}

Result<TensorStore> TensorStore::open_dir(const std::filesystem::path& dir) {
  if (Status st = check_folder(dir); !st) return st.error();
  // path_exists: a model.safetensors that cannot be examined (a symlink loop, no permission) is
  // reported as such, not as missing.
  auto single = path_exists(dir / "model.safetensors");
  if (!single) return single.error();
  if (single.value()) return open_file(dir / "model.safetensors");
  auto index = path_exists(dir / "model.safetensors.index.json");
  if (!index) return index.error();
  if (index.value()) return open_index(dir / "model.safetensors.index.json");
  std::string hint;
  std::error_code ec;
  if (std::filesystem::exists(dir / "pytorch_model.bin", ec))
    hint = " (pytorch_model.bin is not supported: convert the checkpoint to safetensors)";
  return make_error(dir.string() + ": no model.safetensors or model.safetensors.index.json" + hint);
}

Status TensorStore::check_unchanged() const {
  for (const auto& f : files_)
    if (const auto* file = static_cast<const ReadableFile*>(f.keepalive.get()))
      if (Status st = file->check_unchanged(); !st) return st;
  return {};
}

const SafetensorsTensor* TensorStore::find(std::string_view name) const {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return nullptr;
  return &files_[it->second.first].tensors[it->second.second];
}

std::vector<std::string> TensorStore::names() const {
  std::vector<std::string> out;
  out.reserve(by_name_.size());
  for (const auto& [name, where] : by_name_) out.push_back(name);
  return out;
}

std::string TensorStore::dominant_float_dtype() const {
  std::map<std::string, std::int64_t> elements;
  for (const auto& f : files_)
    for (const auto& t : f.tensors)
      if (t.is_float()) elements[t.dtype] += t.element_count();
  std::string best;
  std::int64_t most = -1;
  for (const auto& [dtype, n] : elements)
    if (n > most) best = dtype, most = n;
  return best;
}

// ---------------------------------------------------------------------------------------------

namespace {

template <class Decode>
void copy_block(const unsigned char* src, std::int64_t src_cols, std::size_t elem_size, std::int64_t row0,
                std::int64_t rows, std::int64_t col0, std::int64_t cols, float* dst, std::ptrdiff_t rs,
                std::ptrdiff_t cs, Decode decode) {
  for (std::int64_t r = 0; r < rows; ++r) {
    const unsigned char* row = src + ((row0 + r) * src_cols + col0) * std::int64_t(elem_size);
    float* out = dst + r * rs;
    for (std::int64_t c = 0; c < cols; ++c) out[c * cs] = decode(row + c * std::int64_t(elem_size));
  }
}

std::uint16_t read16(const unsigned char* p) {
  std::uint16_t h;
  std::memcpy(&h, p, 2);
  return h;
}

// Converts a block held in memory (rows of src_cols elements) by dtype.
void decode_block(const std::string& dtype, const unsigned char* src, std::int64_t src_cols, std::int64_t row0,
                  std::int64_t rows, std::int64_t col0, std::int64_t cols, float* dst, std::ptrdiff_t rs,
                  std::ptrdiff_t cs) {
  if (dtype == "F32")
    copy_block(src, src_cols, 4, row0, rows, col0, cols, dst, rs, cs, [](const unsigned char* p) {
      float f;
      std::memcpy(&f, p, 4);
      return f;
    });
  else if (dtype == "BF16")
    copy_block(src, src_cols, 2, row0, rows, col0, cols, dst, rs, cs,
               [](const unsigned char* p) { return bf16_to_float(read16(p)); });
  else
    copy_block(src, src_cols, 2, row0, rows, col0, cols, dst, rs, cs,
               [](const unsigned char* p) { return f16_to_float(read16(p)); });
}

// Bytes read from a file per pread (rows are batched up to this size).
constexpr std::size_t kReadChunkBytes = std::size_t(4) << 20;

}  // namespace

Status copy_block_as_float(const SafetensorsTensor& t, std::int64_t row0, std::int64_t rows, std::int64_t col0,
                           std::int64_t cols, float* dst, std::ptrdiff_t rs, std::ptrdiff_t cs) {
  if (!t.is_float())
    return make_error(t.source + ": tensor " + in_quotes(t.name) + " has dtype " + t.dtype +
                      ", which is not supported (supported: F32, F16, BF16)");
  const std::int64_t n = t.element_count();
  const std::int64_t src_rows = t.shape.size() >= 2 ? t.shape[0] : 1;
  const std::int64_t src_cols = src_rows ? n / src_rows : 0;
  if (row0 < 0 || rows < 0 || col0 < 0 || cols < 0 || row0 + rows > src_rows || col0 + cols > src_cols)
    return make_error(t.source + ": tensor " + in_quotes(t.name) + ": block outside the tensor's shape " +
                      shape_string(t.shape));
  if (!t.file) {
    decode_block(t.dtype, t.bytes.data(), src_cols, row0, rows, col0, cols, dst, rs, cs);
    return {};
  }
  if (rows == 0 || cols == 0) return {};
  // From the file: pread rows (or pieces of a long row) into a buffer, then convert from it.
  const std::size_t es = safetensors_dtype_size(t.dtype);
  const std::string what = "tensor " + in_quotes(t.name);
  const std::size_t row_bytes = static_cast<std::size_t>(cols) * es;
  const auto offset_of = [&](std::int64_t r, std::int64_t c) {
    return t.file_offset + (static_cast<std::uint64_t>(r) * src_cols + c) * es;
  };
  std::vector<unsigned char> buf;
  if (row_bytes <= kReadChunkBytes) {
    const std::int64_t batch = std::max<std::int64_t>(1, std::int64_t(kReadChunkBytes / row_bytes));
    buf.resize(static_cast<std::size_t>(std::min(batch, rows)) * row_bytes);
    for (std::int64_t r = 0; r < rows; r += batch) {
      const std::int64_t nr = std::min(batch, rows - r);
      if (cols == src_cols) {  // whole rows: one contiguous read
        if (Status st = t.file->read_at(offset_of(row0 + r, 0), buf.data(), nr * row_bytes, what); !st) return st;
      } else {
        for (std::int64_t k = 0; k < nr; ++k)
          if (Status st = t.file->read_at(offset_of(row0 + r + k, col0), buf.data() + k * row_bytes, row_bytes, what);
              !st)
            return st;
      }
      decode_block(t.dtype, buf.data(), cols, 0, nr, 0, cols, dst + r * rs, rs, cs);
    }
    return {};
  }
  const std::int64_t piece = std::int64_t(kReadChunkBytes / es);
  buf.resize(static_cast<std::size_t>(piece) * es);
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; c += piece) {
      const std::int64_t nc = std::min(piece, cols - c);
      if (Status st = t.file->read_at(offset_of(row0 + r, col0 + c), buf.data(), nc * es, what); !st) return st;
      decode_block(t.dtype, buf.data(), nc, 0, 1, 0, nc, dst + r * rs + c * cs, rs, cs);
    }
  return {};
}

}  // namespace tl
