#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "core/error.hpp"

namespace cclbench {
namespace {

using ::testing::HasSubstr;

const std::string kTopology = std::string(CCLBENCH_FIXTURES) + "/topology";

/// Runs `cclbench topo ARGS` in this process; returns {exit code, stdout}.
std::pair<int, std::string> topo(const std::vector<std::string>& args) {
  ::testing::internal::CaptureStdout();
  const int code = topoCommand(nullptr, nullptr, args);
  return {code, ::testing::internal::GetCapturedStdout()};
}

std::vector<std::string> fixture(const std::string& host, std::vector<std::string> more = {}) {
  std::vector<std::string> args = {"--root", kTopology + "/" + host + "/root", "--canned-commands",
                                   kTopology + "/" + host};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

TEST(TopoCommand, JsonParsesAndCarriesTheFingerprint) {
  const auto [code, out] = topo(fixture("ib-host", {"--json"}));
  EXPECT_EQ(code, 0);
  const nlohmann::json doc = nlohmann::json::parse(out);
  EXPECT_EQ(doc.at("schema"), "cclbench.topo/1");
  EXPECT_EQ(doc.at("fingerprint").get<std::string>().size(), 16u);
  EXPECT_EQ(doc.at("nodes"), 1);
  const nlohmann::json& host = doc.at("host");
  EXPECT_EQ(host.at("hostname"), "gpu-ib-01");
  EXPECT_EQ(host.at("gpus").size(), 8u);
  EXPECT_EQ(host.at("gpus")[0].at("computeCapability"), "9.0");
  EXPECT_EQ(host.at("nics")[1].at("ports")[0].at("health").at("rateGbps"), 200.0);
  EXPECT_THAT(host.at("notes")[0].get<std::string>(),
              HasSubstr("mlx5_1 port 1: rate 200 Gb/s, rated 400 Gb/s: downtrained"));
}

TEST(TopoCommand, TextOfTheInfiniBandHost) {
  const auto [code, out] = topo(fixture("ib-host"));
  EXPECT_EQ(code, 0);
  EXPECT_THAT(out, HasSubstr("host         gpu-ib-01 (kernel 5.15.0-105-generic)\n"));
  EXPECT_THAT(out, HasSubstr("cpu          2 x Intel(R) Xeon(R) Platinum 8480+"));
  EXPECT_THAT(out, HasSubstr("8 x NVIDIA H100 80GB HBM3 (from nvidia-smi; driver 550.54.15)"));
  EXPECT_THAT(out, HasSubstr("nvswitch     yes (4 PCI devices)"));
  EXPECT_THAT(out, HasSubstr("nics         2 RDMA, 1 other"));
  EXPECT_THAT(out, HasSubstr("mlx5_0     ConnectX-7      port 1 InfiniBand ACTIVE 400 Gb/s"));
  EXPECT_THAT(out, HasSubstr("fingerprint  "));
  EXPECT_THAT(out, HasSubstr("  mlx5_1 port 1: rate 200 Gb/s, rated 400 Gb/s: downtrained"));
}

TEST(TopoCommand, SaysSoWithoutGpuOrRdma) {
  const auto [code, out] = topo(fixture("plain-host"));
  EXPECT_EQ(code, 0);
  EXPECT_THAT(out, HasSubstr("gpus         none: "));
  EXPECT_THAT(out, HasSubstr("nics         no RDMA NIC, 1 other"));
  EXPECT_THAT(out, HasSubstr("  no RDMA NIC (nothing in /sys/class/infiniband)"));
  const auto [jsonCode, json] = topo(fixture("plain-host", {"--json"}));
  const nlohmann::json doc = nlohmann::json::parse(json);
  EXPECT_EQ(doc.at("host").at("gpuSource"), "none");
  EXPECT_TRUE(doc.at("host").at("gpus").empty());
  EXPECT_THAT(doc.at("host").at("notes")[0].get<std::string>(), HasSubstr("no GPU"));
}

TEST(TopoCommand, FingerprintIsTheSameInTextAndJson) {
  const auto [code, text] = topo(fixture("roce-host"));
  const auto [jsonCode, json] = topo(fixture("roce-host", {"--json"}));
  const std::string fp = nlohmann::json::parse(json).at("fingerprint");
  EXPECT_THAT(text, HasSubstr("fingerprint  " + fp + " (1 node; host hash "));
}

TEST(TopoCommand, HelpAndBadOptions) {
  const auto [code, out] = topo({"--help"});
  EXPECT_EQ(code, 0);
  EXPECT_THAT(out, HasSubstr("cclbench topo --json"));
  EXPECT_THAT(out, ::testing::Not(HasSubstr("--root")));  // test-only options stay hidden
  try {
    topoCommand(nullptr, nullptr, {"--jsn"});
    FAIL() << "expected a usage error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kInvalidUsage);
  }
}

}  // namespace
}  // namespace cclbench
