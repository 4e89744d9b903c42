#include "core/host_memory.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace cclbench {
namespace {

namespace fs = std::filesystem;

class HostMemory : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("cclbench-mem-" + std::to_string(::getpid()));
    fs::create_directories(root_ / "proc/self");
    write("proc/meminfo", "MemTotal:       24000000 kB\nMemFree:  1000 kB\nMemAvailable:   20000000 kB\n");
    ::unsetenv("CCLBENCH_TEST_HOST_MEMORY");
  }
  void TearDown() override { fs::remove_all(root_); }
  void write(const std::string& path, const std::string& text) {
    fs::create_directories((root_ / path).parent_path());
    std::ofstream(root_ / path) << text;
  }
  std::optional<uint64_t> available() { return hostMemoryAvailableBytes(root_.string()); }
  fs::path root_;
};

TEST_F(HostMemory, MemAvailableWithoutACgroupLimit) {
  write("proc/self/cgroup", "0::/user.slice\n");
  write("sys/fs/cgroup/user.slice/memory.max", "max\n");
  EXPECT_EQ(available(), 20000000ull * 1024);
}

TEST_F(HostMemory, ACgroupV2LimitCapsIt) {
  write("proc/self/cgroup", "0::/system.slice/slurmstepd.scope/job_7\n");
  write("sys/fs/cgroup/system.slice/slurmstepd.scope/job_7/memory.max", "3221225472\n");
  write("sys/fs/cgroup/system.slice/slurmstepd.scope/job_7/memory.current", "1073741824\n");
  EXPECT_EQ(available(), 2ull << 30);
}

TEST_F(HostMemory, ACgroupV1LimitCapsItAndItsNoLimitValueDoesNot) {
  write("proc/self/cgroup", "12:pids:/x\n7:memory:/slurm/uid_0/job_12\n1:name=systemd:/x\n");
  write("sys/fs/cgroup/memory/slurm/uid_0/job_12/memory.limit_in_bytes", "1073741824\n");
  write("sys/fs/cgroup/memory/slurm/uid_0/job_12/memory.usage_in_bytes", "73741824\n");
  EXPECT_EQ(available(), 1000000000ull);
  write("sys/fs/cgroup/memory/slurm/uid_0/job_12/memory.limit_in_bytes", "9223372036854771712\n");
  EXPECT_EQ(available(), 20000000ull * 1024);
}

TEST_F(HostMemory, OverUsedIsNothingLeftAndNothingReadableIsUnknown) {
  write("proc/self/cgroup", "0::/\n");
  write("sys/fs/cgroup/memory.max", "100\n");
  write("sys/fs/cgroup/memory.current", "200\n");
  EXPECT_EQ(available(), 0u);
  fs::remove_all(root_ / "proc");
  fs::remove_all(root_ / "sys");
  EXPECT_EQ(available(), std::nullopt);
}

TEST_F(HostMemory, TheTestOverride) {
  ::setenv("CCLBENCH_TEST_HOST_MEMORY", "536870912", 1);
  EXPECT_EQ(available(), 512ull << 20);
  ::unsetenv("CCLBENCH_TEST_HOST_MEMORY");
}

TEST(HostMemoryHere, ThisMachineAnswers) {
  const auto here = hostMemoryAvailableBytes();
  ASSERT_TRUE(here.has_value());
  EXPECT_GT(*here, 16ull << 20);
}

}  // namespace
}  // namespace cclbench
