#pragma once
/// Reduction operations, with nccl-tests' names.

#include <optional>
#include <string_view>
#include <vector>

namespace cclbench {

enum class RedOp { kNone, kSum, kProd, kMin, kMax, kAvg, kPreMulSum };

const char* name(RedOp op);
/// Parses sum, prod, min, max, avg, mulsum (alias premulsum); nullopt if unknown.
std::optional<RedOp> parseRedOp(std::string_view text);
/// What `-o all` means on a backend without pre-multiplied sum.
std::vector<RedOp> standardRedOps();

}  // namespace cclbench
