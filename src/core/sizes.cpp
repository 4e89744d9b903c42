#include "core/sizes.hpp"

#include <algorithm>

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

#include "core/error.hpp"

namespace cclbench {

std::optional<uint64_t> parseBytes(std::string_view text) {
  uint64_t value = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr == begin) return std::nullopt;
  std::string suffix(ptr, end);
  for (char& ch : suffix) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  if (suffix.ends_with("IB") || (suffix.size() == 2 && suffix.back() == 'B')) {
    suffix.resize(suffix.size() - (suffix.ends_with("IB") ? 2 : 1));
    if (suffix.empty() || suffix == "B") return std::nullopt;  // "iB", "BB": no unit before it
  }
  int shift = 0;
  if (suffix.empty() || suffix == "B") shift = 0;
  else if (suffix == "K") shift = 10;
  else if (suffix == "M") shift = 20;
  else if (suffix == "G") shift = 30;
  else if (suffix == "T") shift = 40;
  else return std::nullopt;
  if (shift > 0 && value > (std::numeric_limits<uint64_t>::max() >> shift)) return std::nullopt;
  return value << shift;
}

std::string formatBytes(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  uint64_t value = bytes;
  while (unit < 4 && value >= 1024 && value % 1024 == 0) {
    value /= 1024;
    ++unit;
  }
  return std::to_string(value) + " " + kUnits[unit];
}

std::string formatBytesApprox(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (unit < 4 && value >= 1024) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", value, kUnits[unit]);
  return text;
}

std::vector<uint64_t> sweepSizes(const SweepSpec& spec) {
  if (!spec.sizes.empty()) {
    std::vector<uint64_t> sizes = spec.sizes;
    std::sort(sizes.begin(), sizes.end());
    sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
    if (sizes.front() == 0) throw usageError("message sizes must be positive (--sizes)");
    return sizes;
  }
  if (spec.minBytes == 0 || spec.maxBytes == 0) {
    throw usageError("message sizes must be positive (-b " + std::to_string(spec.minBytes) +
                     " -e " + std::to_string(spec.maxBytes) + ")");
  }
  if (spec.minBytes > spec.maxBytes) {
    throw usageError("the smallest size (-b " + formatBytes(spec.minBytes) +
                     ") is above the largest (-e " + formatBytes(spec.maxBytes) + ")");
  }
  const bool byFactor = spec.stepBytes == 0;
  if (byFactor && !(spec.factor > 1.0) && spec.minBytes != spec.maxBytes) {
    throw usageError("the size factor (-f) must be greater than 1, or give a step with -i");
  }
  std::vector<uint64_t> sizes;
  long double size = static_cast<long double>(spec.minBytes);
  while (size <= static_cast<long double>(spec.maxBytes)) {
    sizes.push_back(static_cast<uint64_t>(size));
    if (spec.minBytes == spec.maxBytes) break;
    const long double next = byFactor ? std::floor(size * spec.factor) : size + spec.stepBytes;
    if (next <= size) break;
    size = next;
  }
  return sizes;
}

}  // namespace cclbench
