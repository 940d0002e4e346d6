#include "core/io/npy.h"

#include <cstring>
#include <limits>
#include <regex>

#include "core/io/file_util.h"
#include "core/util/assert.h"
#include "core/util/half.h"

namespace tl {

std::int64_t NpyArray::size() const {
  std::int64_t n = 1;
  for (auto s : shape) n *= s;
  return n;
}

double NpyArray::at(std::initializer_list<std::int64_t> index) const {
  TL_DEBUG_ASSERT(index.size() == shape.size(), "NpyArray::at: wrong number of indices");
  std::int64_t off = 0;
  std::size_t k = 0;
  for (auto i : index) off = off * shape[k++] + i;
  return data[static_cast<std::size_t>(off)];
}

namespace {

template <class T>
T load(const unsigned char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

}  // namespace

Result<NpyArray> parse_npy(std::span<const unsigned char> b, std::string_view source_name) {
  const std::string src(source_name);
  if (b.size() < 10 || std::memcmp(b.data(), "\x93NUMPY", 6) != 0)
    return make_error(src + ": not a .npy file (bad magic)");
  const int major = b[6];
  std::size_t header_len, header_start;
  if (major == 1) {
    header_len = load<std::uint16_t>(b.data() + 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (b.size() < 12) return make_error(src + ": truncated header");
    header_len = load<std::uint32_t>(b.data() + 8);
    header_start = 12;
  } else {
    return make_error(src + ": unsupported .npy version " + std::to_string(major));
  }
  if (header_len > b.size() - header_start)
    return make_error(src + ": header length " + std::to_string(header_len) + " beyond the file");
  std::string header(reinterpret_cast<const char*>(b.data() + header_start), header_len);

  static const std::regex descr_re("'descr'\\s*:\\s*'([^']*)'");
  static const std::regex order_re("'fortran_order'\\s*:\\s*(True|False)");
  static const std::regex shape_re("'shape'\\s*:\\s*\\(([^)]*)\\)");
  std::smatch m;
  NpyArray a;
  if (!std::regex_search(header, m, descr_re)) return make_error(src + ": header has no 'descr'");
  a.dtype = m[1];
  if (!std::regex_search(header, m, order_re)) return make_error(src + ": header has no 'fortran_order'");
  if (m[1] == "True") return make_error(src + ": Fortran-order arrays are not supported");
  if (!std::regex_search(header, m, shape_re)) return make_error(src + ": header has no 'shape'");
  std::string dims = m[1];
  std::int64_t count = 1;
  std::size_t pos = 0;
  while (pos < dims.size()) {
    while (pos < dims.size() && (dims[pos] == ' ' || dims[pos] == ',')) ++pos;
    if (pos >= dims.size()) break;
    std::size_t end = pos;
    while (end < dims.size() && std::isdigit(static_cast<unsigned char>(dims[end]))) ++end;
    if (end == pos || end - pos > 12) return make_error(src + ": bad shape '(" + dims + ")'");
    std::int64_t d = std::stoll(dims.substr(pos, end - pos));
    if (d > 0 && count > std::numeric_limits<std::int64_t>::max() / d)
      return make_error(src + ": shape overflows");
    count *= d;
    a.shape.push_back(d);
    pos = end;
  }

  const std::string& t = a.dtype;
  std::size_t item;
  if (t == "<f4" || t == "<i4" || t == "<u4") item = 4;
  else if (t == "<f8" || t == "<i8" || t == "<u8") item = 8;
  else if (t == "<f2" || t == "<i2" || t == "<u2") item = 2;
  else if (t == "|u1" || t == "|i1" || t == "|b1") item = 1;
  else return make_error(src + ": unsupported dtype '" + t + "'");

  const std::size_t data_start = header_start + header_len;
  const std::size_t avail = b.size() - data_start;
  if (static_cast<std::uint64_t>(count) > avail / item)
    return make_error(src + ": data truncated (" + std::to_string(count) + " elements of " + std::to_string(item) +
                      " bytes declared, " + std::to_string(avail) + " bytes present)");
  a.data.resize(static_cast<std::size_t>(count));
  const unsigned char* p = b.data() + data_start;
  for (std::int64_t i = 0; i < count; ++i, p += item) {
    double v;
    if (t == "<f4") v = load<float>(p);
    else if (t == "<f8") v = load<double>(p);
    else if (t == "<f2") v = f16_to_float(load<std::uint16_t>(p));
    else if (t == "<i4") v = load<std::int32_t>(p);
    else if (t == "<u4") v = load<std::uint32_t>(p);
    else if (t == "<i8") v = static_cast<double>(load<std::int64_t>(p));
    else if (t == "<u8") v = static_cast<double>(load<std::uint64_t>(p));
    else if (t == "<i2") v = load<std::int16_t>(p);
    else if (t == "<u2") v = load<std::uint16_t>(p);
    else if (t == "|i1") v = static_cast<std::int8_t>(*p);
    else v = *p;
    a.data[static_cast<std::size_t>(i)] = v;
  }
  return a;
}

Result<NpyArray> read_npy(const std::filesystem::path& path) {
  auto f = read_binary_file(path);
  if (!f) return f.error();
  return parse_npy(f.value(), path.string());
}

std::vector<unsigned char> serialize_npy(std::span<const std::int64_t> shape, std::span<const double> data,
                                         NpyType type) {
  std::string dims;
  for (auto s : shape) dims += std::to_string(s) + ", ";
  if (shape.size() > 1) dims.resize(dims.size() - 2);
  std::string header = std::string("{'descr': '") + (type == NpyType::Float32 ? "<f4" : "<f8") +
                       "', 'fortran_order': False, 'shape': (" + dims + "), }";
  const std::size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header.push_back('\n');
  std::vector<unsigned char> out;
  const std::size_t item = type == NpyType::Float32 ? 4 : 8;
  out.reserve(10 + header.size() + data.size() * item);
  const unsigned char magic[8] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  out.insert(out.end(), magic, magic + 8);
  const std::uint16_t hl = static_cast<std::uint16_t>(header.size());
  out.push_back(static_cast<unsigned char>(hl & 0xff));
  out.push_back(static_cast<unsigned char>(hl >> 8));
  out.insert(out.end(), header.begin(), header.end());
  for (double v : data) {
    unsigned char buf[8];
    if (type == NpyType::Float32) {
      float f = static_cast<float>(v);
      std::memcpy(buf, &f, 4);
    } else {
      std::memcpy(buf, &v, 8);
    }
    out.insert(out.end(), buf, buf + item);
  }
  return out;
}

Status write_npy(const std::filesystem::path& path, std::span<const std::int64_t> shape, std::span<const double> data,
                 NpyType type, Overwrite overwrite) {
  return write_file_atomic(path, serialize_npy(shape, data, type), overwrite);
}

}  // namespace tl
