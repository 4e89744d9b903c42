#pragma once
/// Element types, with nccl-tests' names and the aliases people type.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cclbench {

enum class DType {
  kInt8,
  kUint8,
  kInt32,
  kUint32,
  kInt64,
  kUint64,
  kHalf,
  kFloat,
  kDouble,
  kBfloat16,
  kFp8E4M3,
  kFp8E5M2,
};

/// What the engine and the checkers need to know about a type.
struct DTypeInfo {
  DType type;
  const char* name;  ///< nccl-tests' spelling, used in tables and records
  std::size_t bytes;
  bool isFloat;
  bool isSigned;
};

const DTypeInfo& info(DType type);
inline const char* name(DType type) { return info(type).name; }
inline std::size_t sizeOf(DType type) { return info(type).bytes; }

/// Parses a type name or alias (fp16, bf16, fp32, fp64, e4m3, e5m2...); nullopt if unknown.
std::optional<DType> parseDType(std::string_view text);

/// The types `-d all` means: nccl-tests' ten (fp8 only where a backend asks for it).
std::vector<DType> standardDTypes();

/// Calls `fn` with a value of the unsigned integer type as wide as one element of `type`
/// (uint8_t .. uint64_t): code that moves or compares element bits picks its width once.
template <typename Fn>
auto byElementBits(DType type, Fn&& fn) {
  switch (sizeOf(type)) {
    case 1: return fn(uint8_t{});
    case 2: return fn(uint16_t{});
    case 4: return fn(uint32_t{});
    default: return fn(uint64_t{});
  }
}

/// Every accepted spelling, for help texts and error messages.
std::string dtypeSpellings();

}  // namespace cclbench
