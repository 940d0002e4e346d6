#include "core/gpu/spirv_reflection.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace tl::gpu {
namespace {

// SPIR-V opcodes, decorations and storage classes used below (SPIR-V 1.6 specification).
constexpr std::uint32_t kMagic = 0x07230203;
constexpr std::uint32_t OpExecutionMode = 16, OpExecutionModeId = 331, OpTypeInt = 21, OpTypeFloat = 22,
                        OpTypeVector = 23, OpTypeArray = 28, OpTypeStruct = 30, OpTypePointer = 32,
                        OpConstant = 43, OpVariable = 59, OpDecorate = 71, OpMemberDecorate = 72;
constexpr std::uint32_t ExecutionModeLocalSize = 17, ExecutionModeLocalSizeId = 38;
constexpr std::uint32_t DecorationArrayStride = 6, DecorationBinding = 33, DecorationDescriptorSet = 34,
                        DecorationOffset = 35;
constexpr std::uint32_t StorageClassUniform = 2, StorageClassPushConstant = 9, StorageClassStorageBuffer = 12;

struct TypeInfo {
  std::uint32_t opcode = 0;
  std::vector<std::uint32_t> operands;  // words after the result id
};

}  // namespace

Result<ShaderInterface> reflect_compute_shader(std::span<const std::uint32_t> words) {
  if (words.size() < 5 || words[0] != kMagic) return make_error("SPIR-V: bad header");
  ShaderInterface out;
  std::unordered_map<std::uint32_t, TypeInfo> types;
  std::unordered_map<std::uint32_t, std::uint32_t> constants;
  std::unordered_map<std::uint32_t, std::uint32_t> array_strides;
  std::unordered_map<std::uint64_t, std::uint32_t> member_offsets;  // (struct << 32 | member)
  std::unordered_map<std::uint32_t, std::uint32_t> bindings, sets;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> variables;  // (pointer type, storage class)
  std::vector<std::uint32_t> variable_ids;
  std::optional<std::array<std::uint32_t, 3>> local_size_ids;  // resolved once constants are known

  for (std::size_t at = 5; at < words.size();) {
    const std::uint32_t count = words[at] >> 16, opcode = words[at] & 0xffff;
    if (count == 0 || at + count > words.size()) return make_error("SPIR-V: truncated instruction");
    std::span<const std::uint32_t> op = words.subspan(at + 1, count - 1);
    switch (opcode) {
      case OpExecutionMode:
        if (op.size() >= 5 && op[1] == ExecutionModeLocalSize) out.local_size = {op[2], op[3], op[4]};
        break;
      case OpExecutionModeId:  // glslc emits this for SPIR-V 1.6 targets
        if (op.size() >= 5 && op[1] == ExecutionModeLocalSizeId) local_size_ids = {op[2], op[3], op[4]};
        break;
      case OpTypeInt:
      case OpTypeFloat:
      case OpTypeVector:
      case OpTypeArray:
      case OpTypeStruct:
      case OpTypePointer:
        if (!op.empty()) types[op[0]] = TypeInfo{opcode, {op.begin() + 1, op.end()}};
        break;
      case OpConstant:
        if (op.size() >= 3) constants[op[1]] = op[2];
        break;
      case OpVariable:
        if (op.size() >= 3) {
          variables.emplace_back(op[0], op[2]);
          variable_ids.push_back(op[1]);
        }
        break;
      case OpDecorate:
        if (op.size() >= 3) {
          if (op[1] == DecorationBinding) bindings[op[0]] = op[2];
          if (op[1] == DecorationDescriptorSet) sets[op[0]] = op[2];
          if (op[1] == DecorationArrayStride) array_strides[op[0]] = op[2];
        }
        break;
      case OpMemberDecorate:
        if (op.size() >= 4 && op[2] == DecorationOffset)
          member_offsets[(std::uint64_t(op[0]) << 32) | op[1]] = op[3];
        break;
      default:
        break;
    }
    at += count;
  }

  if (local_size_ids) {
    for (int i = 0; i < 3; ++i) {
      auto c = constants.find((*local_size_ids)[i]);
      if (c == constants.end()) return make_error("SPIR-V: LocalSizeId names no constant");
      out.local_size[i] = c->second;
    }
  }

  // Size in bytes of a type as laid out by the decorations (explicit layout: push constants).
  std::function<Result<std::uint32_t>(std::uint32_t, int)> size_of = [&](std::uint32_t id,
                                                                         int depth) -> Result<std::uint32_t> {
    auto it = types.find(id);
    if (it == types.end() || depth > 16) return make_error("SPIR-V: unknown type in push constants");
    const TypeInfo& t = it->second;
    switch (t.opcode) {
      case OpTypeInt:
      case OpTypeFloat:
        return t.operands.at(0) / 8;
      case OpTypeVector: {
        auto c = size_of(t.operands.at(0), depth + 1);
        if (!c.ok()) return c;
        return *c * t.operands.at(1);
      }
      case OpTypeArray: {
        auto len = constants.find(t.operands.at(1));
        auto stride = array_strides.find(id);
        if (len == constants.end() || stride == array_strides.end())
          return make_error("SPIR-V: push-constant array without length or stride");
        return len->second * stride->second;
      }
      case OpTypeStruct: {
        std::uint32_t end = 0;
        for (std::uint32_t m = 0; m < t.operands.size(); ++m) {
          auto off = member_offsets.find((std::uint64_t(id) << 32) | m);
          if (off == member_offsets.end()) return make_error("SPIR-V: push-constant member without offset");
          auto s = size_of(t.operands[m], depth + 1);
          if (!s.ok()) return s;
          end = std::max(end, off->second + *s);
        }
        return end;
      }
      default:
        return make_error("SPIR-V: unsupported type in push constants");
    }
  };

  for (std::size_t v = 0; v < variables.size(); ++v) {
    const auto [pointer_type, storage] = variables[v];
    const std::uint32_t id = variable_ids[v];
    if (storage == StorageClassPushConstant) {
      auto ptr = types.find(pointer_type);
      if (ptr == types.end() || ptr->second.opcode != OpTypePointer)
        return make_error("SPIR-V: push-constant variable without pointer type");
      auto size = size_of(ptr->second.operands.at(1), 0);
      if (!size.ok()) return size.error();
      out.push_constant_bytes = *size;
    } else if (storage == StorageClassUniform) {
      return make_error("SPIR-V: uniform buffer (kernels take storage buffers and push constants only)");
    } else if (storage == StorageClassStorageBuffer) {
      auto b = bindings.find(id);
      auto s = sets.find(id);
      if (b == bindings.end()) continue;
      if (s != sets.end() && s->second != 0)
        return make_error("SPIR-V: binding in descriptor set " + std::to_string(s->second) +
                          " (only set 0 is used)");
      out.binding_count = std::max(out.binding_count, b->second + 1);
    }
  }
  return out;
}

}  // namespace tl::gpu
