#pragma once
/// Message sizes: parsing with 1024-based K/M/G/T suffixes and the -b/-e/-f/-i sweep.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cclbench {

/// Parses "8", "64K", "1M", "2G", "1T" (also "64KB", "64KiB", any case); nullopt if malformed,
/// negative or overflowing.
std::optional<uint64_t> parseBytes(std::string_view text);

/// "1 KiB", "256 MiB", "8 B": exact binary units where they fit, bytes otherwise.
std::string formatBytes(uint64_t bytes);

/// "131.1 GiB": the largest binary unit, one decimal (for messages about memory).
std::string formatBytesApprox(uint64_t bytes);

/// How a sweep steps from the smallest size to the largest.
struct SweepSpec {
  uint64_t minBytes = 0;
  uint64_t maxBytes = 0;
  double factor = 0;      ///< multiply by this (> 1) ...
  uint64_t stepBytes = 0; ///< ... or add this (> 0); exactly one of the two is set
  std::vector<uint64_t> sizes;  ///< --sizes: exactly these (then the fields above are unused)
};

/// The sizes of a sweep, smallest first: min, then min x factor (or + step) while <= max; or the
/// explicit list, sorted without repeats. Throws Error(kInvalidUsage) on an impossible spec
/// (zero sizes, min > max, no step).
std::vector<uint64_t> sweepSizes(const SweepSpec& spec);

}  // namespace cclbench
