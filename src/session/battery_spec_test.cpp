#include "session/battery_spec.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace cclbench {
namespace {

// The example of issue 9, as written.
constexpr const char* kExample = R"(name = "rack-acceptance"
ranks_per_host = 1
timeout = 120            # seconds for any step (as -T)

[expect]                 # optional: the fingerprint or fields every host must show
fingerprint = "any"      # or a cclbench topo fingerprint; "same" = all hosts alike

[[check]]
name = "all-hosts allreduce"
collective = "allreduce"
scope = "all"            # one job over every host
sizes = "1M:16M"         # as -b:-e (factor 2)
min_busbw = 0.05         # GB/s at the largest size

[[check]]
name = "host pairs"
collective = "sendrecv"
scope = "pairs"          # disjoint pairs of hosts at once
sizes = "4M"
min_fraction_of_median = 0.7   # a pair below 0.7 x the median pair fails
)";

TEST(BatterySpec, TheIssuesExampleReadsAsWritten) {
  const BatterySpec s = parseBatterySpec(kExample, "rack.toml");
  EXPECT_EQ(s.name, "rack-acceptance");
  EXPECT_EQ(s.ranksPerHost, 1);
  EXPECT_DOUBLE_EQ(s.timeoutSeconds, 120);
  EXPECT_EQ(s.expectFingerprint, "any");
  EXPECT_FALSE(s.hasNightly);
  ASSERT_EQ(s.checks.size(), 2u);
  const CheckSpec& all = s.checks[0];
  EXPECT_EQ(all.collective, Collective::kAllReduce);
  EXPECT_EQ(all.scope, CheckScope::kAll);
  EXPECT_EQ(all.minBytes, 1u << 20);
  EXPECT_EQ(all.maxBytes, 16u << 20);
  EXPECT_DOUBLE_EQ(*all.minBusbw, 0.05);
  EXPECT_EQ(all.line, 8);
  const CheckSpec& pairs = s.checks[1];
  EXPECT_EQ(pairs.collective, Collective::kSendRecv);
  EXPECT_EQ(pairs.scope, CheckScope::kPairs);
  EXPECT_EQ(pairs.minBytes, pairs.maxBytes);
  EXPECT_DOUBLE_EQ(*pairs.minFractionOfMedian, 0.7);
  EXPECT_TRUE(pairs.parallel);
  EXPECT_EQ(pairs.backend, "mpi");
  EXPECT_EQ(s.ranksPerHostOf(pairs), 1);
}

TEST(BatterySpec, NightlysTableIsNotUnknownAndOptionsAreRead) {
  const BatterySpec s = parseBatterySpec(std::string(kExample) + R"(
[[check]]
name = "intra-node"
collective = "allgather"
scope = "host"
sizes = "64M"
ranks_per_host = 8
backend = "nccl"
fabric = "nvlink"
datatype = "bfloat16"
parallel = false
min_fraction_of_baseline = 0.9
baseline = "baseline:rack-7"

[nightly]
baseline_runs = 7
)",
                                         "n.toml");
  EXPECT_TRUE(s.hasNightly);
  EXPECT_EQ(s.nightly.baselineRuns, 7);
  EXPECT_DOUBLE_EQ(s.nightly.threshold, 0.03);
  EXPECT_EQ(s.nightly.prometheus, "");
  const CheckSpec& c = s.checks.at(2);
  EXPECT_EQ(s.ranksPerHostOf(c), 8);
  EXPECT_EQ(c.backend, "nccl");
  EXPECT_EQ(c.fabric, "nvlink");
  EXPECT_EQ(c.dtype, DType::kBfloat16);
  EXPECT_FALSE(c.parallel);
  EXPECT_EQ(c.baseline, "baseline:rack-7");
}

/// Each bad spec: exit 6, the key and the line named.
TEST(BatterySpec, BadSpecsNameTheKeyAndTheLine) {
  const auto fails = [](const std::string& text, const std::string& says) {
    try {
      parseBatterySpec(text, "bad.toml");
      ADD_FAILURE() << "accepted:\n" << text;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::kInvalidUsage);
      EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what() << "\nwanted: " << says;
    }
  };
  const std::string head = "name = \"x\"\n";
  const std::string check = "[[check]]\nname = \"c\"\ncollective = \"allreduce\"\nscope = \"all\"\nsizes = \"1M\"\n";
  fails(head + "tiemout = 5\n" + check + "min_busbw = 1\n", "line 2: unknown key 'tiemout'");
  fails(head + check + "min_busbw = 1\n[nightly]\nbaseline_run = 7\n", "line 9: [nightly] unknown key 'baseline_run'");
  fails(head + check + "min_busbw = 1\n[nightly]\nthreshold = 3\n", "line 9: [nightly] threshold must be above 0");
  fails(head + check + "min_busbw = 1\n[nightly]\nprometheus = 7\n", "[nightly] prometheus must be a string");
  fails(head + check + "min_busbw = 1\nsizez = \"1M\"\n", "line 8: check 1: unknown key 'sizez'");
  fails(head + check, "check 'c': min_busbw or min_fraction_of_median");
  fails(head + check + "min_busbw = \"fast\"\n", "line 7: check 'c': min_busbw must be a number");
  fails(head + check + "min_busbw = -1\n", "min_busbw must be above 0");
  fails(head + check + "min_fraction_of_median = 0.7\n", "scope pairs or host");
  fails(head + "[[check]]\nname = \"c\"\ncollective = \"allscatter\"\nscope = \"all\"\nsizes = \"1M\"\nmin_busbw = 1\n",
        "line 4: check 'c': collective 'allscatter' is unknown");
  fails(head + "[[check]]\nname = \"c\"\ncollective = \"allreduce\"\nscope = \"rack\"\nsizes = \"1M\"\nmin_busbw = 1\n",
        "scope 'rack' is none of all, pairs, host");
  fails(head + "[[check]]\nname = \"c\"\ncollective = \"allreduce\"\nscope = \"all\"\nsizes = \"16M:1M\"\nmin_busbw = 1\n",
        "sizes '16M:1M'");
  fails(head + "[[check]]\nname = \"c\"\ncollective = \"allreduce\"\nscope = \"host\"\nsizes = \"1M\"\nmin_busbw = 1\n",
        "scope host with one rank per host");
  fails(head + check + "min_busbw = 1\n" + check + "min_busbw = 2\n", "check name 'c' is used twice");
  fails(head + check + "min_fraction_of_baseline = 0.9\n", "baseline must be \"run:ID\"");
  fails(head + check + "min_fraction_of_baseline = 1.5\nbaseline = \"run:x\"\n", "must be a fraction");
  fails(head + "timeout = 0\n" + check + "min_busbw = 1\n", "timeout must be above 0");
  fails(head + "[expect]\nfingerprint = \"abc\"\n" + check + "min_busbw = 1\n", "[expect] fingerprint 'abc'");
  fails(head, "at least one [[check]]");
  fails("ranks_per_host = 1\n" + check + "min_busbw = 1\n", "name is required");
  fails(head + check + "min_busbw = 1\nbackend = \"gloo\"\n", "backend 'gloo'");
  fails(head + check + "min_busbw = 1\nfabric = \"carrier-pigeon\"\n", "fabric 'carrier-pigeon'");
  fails("name = [\n", "bad.toml line");
}

}  // namespace
}  // namespace cclbench
