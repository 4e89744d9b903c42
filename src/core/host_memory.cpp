#include "core/host_memory.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace cclbench {
namespace {

std::optional<std::string> firstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  return line;
}

std::optional<uint64_t> number(const std::optional<std::string>& text) {
  if (!text || text->empty()) return std::nullopt;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(text->c_str(), &end, 10);
  if (end == text->c_str()) return std::nullopt;  // "max", garbage
  return v;
}

std::optional<uint64_t> memAvailable(const std::string& root) {
  std::ifstream in(root + "proc/meminfo");
  std::string key;
  uint64_t kib = 0;
  std::string unit;
  while (in >> key >> kib) {
    std::getline(in, unit);
    if (key == "MemAvailable:") return kib * 1024;
  }
  return std::nullopt;
}

/// What the process's cgroup still allows, if it sets a limit.
std::optional<uint64_t> cgroupRoom(const std::string& root) {
  std::ifstream groups(root + "proc/self/cgroup");
  std::string line, v2Path, v1Path;
  while (std::getline(groups, line)) {
    // "0::/user.slice/..." (v2), "7:memory:/slurm/uid_0/job_12" (v1)
    const auto first = line.find(':');
    const auto second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1);
    const std::string path = line.substr(second + 1);
    if (line.compare(0, first, "0") == 0 && controllers.empty()) v2Path = path;
    std::istringstream names(controllers);
    for (std::string name; std::getline(names, name, ',');) {
      if (name == "memory") v1Path = path;
    }
  }
  std::optional<uint64_t> room;
  auto consider = [&](std::optional<uint64_t> limit, std::optional<uint64_t> used) {
    // v1 reports "no limit" as a huge number (PAGE_COUNTER_MAX pages).
    if (!limit || *limit >= (1ull << 60)) return;
    const uint64_t left = used && *used < *limit ? *limit - *used : 0;
    room = room ? std::min(*room, left) : left;
  };
  if (!v2Path.empty()) {
    const std::string dir = root + "sys/fs/cgroup" + (v2Path == "/" ? "" : v2Path);
    consider(number(firstLine(dir + "/memory.max")), number(firstLine(dir + "/memory.current")));
  }
  if (!v1Path.empty()) {
    const std::string dir = root + "sys/fs/cgroup/memory" + (v1Path == "/" ? "" : v1Path);
    consider(number(firstLine(dir + "/memory.limit_in_bytes")),
             number(firstLine(dir + "/memory.usage_in_bytes")));
  }
  return room;
}

}  // namespace

std::optional<uint64_t> hostMemoryAvailableBytes(const std::string& rootIn) {
  if (const char* fake = std::getenv("CCLBENCH_TEST_HOST_MEMORY"); fake && *fake) {
    return number(std::string(fake));
  }
  const std::string root = rootIn.empty() || rootIn.back() == '/' ? rootIn : rootIn + "/";
  const std::optional<uint64_t> available = memAvailable(root);
  const std::optional<uint64_t> room = cgroupRoom(root);
  if (available && room) return std::min(*available, *room);
  return available ? available : room;
}

std::optional<uint64_t> hostBufferLimitBytes(int localRanks) {
  const std::optional<uint64_t> available = hostMemoryAvailableBytes();
  if (!available) return std::nullopt;
  const uint64_t share = *available / static_cast<uint64_t>(localRanks > 1 ? localRanks : 1);
  constexpr uint64_t kReserve = 64ull << 20;
  const uint64_t usable = share / 10 * 6;
  return usable > kReserve ? usable - kReserve : 0;
}

}  // namespace cclbench
