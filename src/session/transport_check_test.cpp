#include "session/transport_check.hpp"

#include "core/error.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace cclbench {
namespace {

const char* kNcclVariables[] = {"NCCL_DEBUG", "NCCL_DEBUG_SUBSYS", "NCCL_DEBUG_FILE", "NCCL_NET",
                                "NCCL_P2P_DISABLE", "NCCL_SHM_DISABLE", "NCCL_IB_DISABLE",
                                "NCCL_IB_GID_INDEX", "NCCL_P2P_LEVEL"};

/// Restores a clean NCCL environment around each test (the code under test calls setenv).
class TransportCheckTest : public ::testing::Test {
 protected:
  void SetUp() override { clear(); }
  void TearDown() override { clear(); }
  static void clear() {
    for (const char* v : kNcclVariables) unsetenv(v);
  }
  std::string folder(const std::string& name) {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("cclbench-transport-" + std::to_string(getpid()) + "-" + name);
    std::filesystem::remove_all(dir);
    return dir.string();
  }
  static std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
  }
};

TEST_F(TransportCheckTest, SocketFabricSetsItsVariablesAndOwnsTheDebugLog) {
  NcclSessionSettings config;
  const std::string fabric = "socket";
  const std::string dir = folder("socket");
  const TransportSetup setup = prepareNcclEnvironment(fabric, config, dir, {});
  EXPECT_TRUE(setup.cclbenchOwnsDebug);
  EXPECT_TRUE(std::filesystem::is_directory(dir));
  EXPECT_EQ(env("NCCL_NET"), "Socket");
  EXPECT_EQ(env("NCCL_P2P_DISABLE"), "1");
  EXPECT_EQ(env("NCCL_SHM_DISABLE"), "1");
  EXPECT_EQ(env("NCCL_DEBUG"), "INFO");
  EXPECT_EQ(env("NCCL_DEBUG_SUBSYS"), "INIT,NET,GRAPH");  // no TUNING: nothing per call
  EXPECT_EQ(env("NCCL_DEBUG_FILE"), dir + "/nccl-debug.%h.%p.log");
}

TEST_F(TransportCheckTest, TheUsersOwnVariablesWin) {
  setenv("NCCL_NET", "IB", 1);
  setenv("NCCL_DEBUG", "WARN", 1);
  NcclSessionSettings config;
  const std::string fabric = "socket";
  const TransportSetup setup =
      prepareNcclEnvironment(fabric, config, folder("user"), {{"NCCL_NET", "IB"}, {"NCCL_DEBUG", "WARN"}});
  EXPECT_EQ(env("NCCL_NET"), "IB");
  EXPECT_EQ(env("NCCL_DEBUG"), "WARN");
  EXPECT_FALSE(setup.cclbenchOwnsDebug);
  EXPECT_NE(setup.note.find("may be incomplete"), std::string::npos);
  const auto kept = setup.fabricEnvironment->keptFromUser();
  EXPECT_EQ(kept.at("NCCL_NET"), "IB");
}

TEST_F(TransportCheckTest, NoFabricOnlySetsTheDebugLog) {
  const TransportSetup setup = prepareNcclEnvironment("", NcclSessionSettings{}, folder("none"), {});
  EXPECT_FALSE(setup.fabric);
  EXPECT_EQ(env("NCCL_NET"), "");
  EXPECT_EQ(env("NCCL_DEBUG"), "INFO");
}

TEST_F(TransportCheckTest, AnUnknownFabricIsAUsageError) {
  NcclSessionSettings config;
  const std::string fabric = "wifi";
  EXPECT_THROW(prepareNcclEnvironment(fabric, config, folder("bad"), {}), Error);
}

TEST_F(TransportCheckTest, ReadsThisProcesssLogAndCatchesTheFallbackToSockets) {
  NcclSessionSettings config;
  const std::string fabric = "ib";
  const std::string dir = folder("mismatch");
  const TransportSetup setup = prepareNcclEnvironment(fabric, config, dir, {});
  // What NCCL would have written for this process, and another process's file to ignore.
  const std::filesystem::path fixtures = CCLBENCH_FIXTURES;
  std::filesystem::copy_file(fixtures / "nccl-logs/ib-fell-back-to-socket-2node.log",
                             dir + "/nccl-debug.node01." + std::to_string(getpid()) + ".log");
  const TransportCheck check = checkTransport(setup);
  ASSERT_TRUE(check.logFound);
  ASSERT_TRUE(check.verification);
  EXPECT_FALSE(check.verification->ok);
  const nlohmann::json j = transportJson(setup, check);
  EXPECT_EQ(j["fabric"], "ib");
  EXPECT_EQ(j["nccl_debug"], "cclbench");
  EXPECT_FALSE(j["verification"]["ok"].get<bool>());
}

TEST_F(TransportCheckTest, IgnoresOtherProcessesLogs) {
  NcclSessionSettings config;
  const std::string fabric = "ib";
  const std::string dir = folder("others");
  const TransportSetup setup = prepareNcclEnvironment(fabric, config, dir, {});
  const std::filesystem::path fixtures = CCLBENCH_FIXTURES;
  std::filesystem::copy_file(fixtures / "nccl-logs/ib-fell-back-to-socket-2node.log",
                             dir + "/nccl-debug.node02.999999999.log");
  EXPECT_FALSE(checkTransport(setup).logFound);
}

TEST_F(TransportCheckTest, NoLogMeansNothingFoundAndNoVerdictAgainstTheRun) {
  NcclSessionSettings config;
  const std::string fabric = "shm";
  const TransportSetup setup = prepareNcclEnvironment(fabric, config, folder("empty"), {});
  const TransportCheck check = checkTransport(setup);
  EXPECT_FALSE(check.logFound);
  ASSERT_TRUE(check.verification);
  EXPECT_TRUE(check.verification->ok);
  EXPECT_TRUE(check.verification->verificationIncomplete);
}

}  // namespace
}  // namespace cclbench
