#pragma once
/// How much host memory this process can still get: the kernel's MemAvailable, capped by the
/// memory limit of the process's cgroup (v2 memory.max - memory.current, or v1's
/// memory.limit_in_bytes - memory.usage_in_bytes), as a container or a Slurm job sees it.

#include <cstdint>
#include <optional>
#include <string>

namespace cclbench {

/// `root` is where /proc and /sys are found ("/" normally; a folder of fake files in tests).
/// $CCLBENCH_TEST_HOST_MEMORY (bytes, tests only) replaces the answer. nullopt when nothing
/// can be read.
std::optional<uint64_t> hostMemoryAvailableBytes(const std::string& root = "/");

/// The buffer bytes one of `localRanks` ranks on this host may take: 60% of its share of what is
/// available, less 64 MiB (the library's own copies and the other ranks' growth need the rest).
std::optional<uint64_t> hostBufferLimitBytes(int localRanks);

}  // namespace cclbench
