#include "core/dtype.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace cclbench {
namespace {

constexpr std::array<DTypeInfo, 12> kTypes{{
    {DType::kInt8, "int8", 1, false, true},
    {DType::kUint8, "uint8", 1, false, false},
    {DType::kInt32, "int32", 4, false, true},
    {DType::kUint32, "uint32", 4, false, false},
    {DType::kInt64, "int64", 8, false, true},
    {DType::kUint64, "uint64", 8, false, false},
    {DType::kHalf, "half", 2, true, true},
    {DType::kFloat, "float", 4, true, true},
    {DType::kDouble, "double", 8, true, true},
    {DType::kBfloat16, "bfloat16", 2, true, true},
    {DType::kFp8E4M3, "f8e4m3", 1, true, true},
    {DType::kFp8E5M2, "f8e5m2", 1, true, true},
}};

constexpr std::array<std::pair<std::string_view, DType>, 13> kAliases{{
    {"fp16", DType::kHalf},      {"float16", DType::kHalf},    {"bf16", DType::kBfloat16},
    {"fp32", DType::kFloat},     {"float32", DType::kFloat},   {"fp64", DType::kDouble},
    {"float64", DType::kDouble}, {"char", DType::kInt8},       {"int", DType::kInt32},
    {"e4m3", DType::kFp8E4M3},   {"fp8_e4m3", DType::kFp8E4M3}, {"e5m2", DType::kFp8E5M2},
    {"fp8_e5m2", DType::kFp8E5M2},
}};

}  // namespace

const DTypeInfo& info(DType type) { return kTypes[static_cast<std::size_t>(type)]; }

std::optional<DType> parseDType(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const auto& t : kTypes) {
    if (lower == t.name) return t.type;
  }
  for (const auto& [alias, type] : kAliases) {
    if (lower == alias) return type;
  }
  return std::nullopt;
}

std::vector<DType> standardDTypes() {
  return {DType::kInt8,  DType::kUint8, DType::kInt32, DType::kUint32,  DType::kInt64,
          DType::kUint64, DType::kHalf,  DType::kFloat, DType::kDouble, DType::kBfloat16};
}

std::string dtypeSpellings() {
  std::string out;
  for (const auto& t : kTypes) out += std::string(out.empty() ? "" : ", ") + t.name;
  for (const auto& a : kAliases) out += ", " + std::string(a.first);
  return out;
}

}  // namespace cclbench
