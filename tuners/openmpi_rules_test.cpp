#include "tuners/openmpi_rules.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace cclbench::tune {
namespace {

constexpr int kAllReduce = 2;
constexpr int kAllGather = 0;

TEST(OpenMpiRules, WritesReadsAndDecidesAsOpenMpiDoes) {
  // Ring from 16 MiB to 32 MiB, segmented ring (1 MiB segments) at 64 MiB, tuned at 2 ranks.
  const RulesFile file = rulesFor({{kAllReduce, 16u << 20, 32u << 20, 4, 0},
                                   {kAllReduce, 64u << 20, 64u << 20, 5, 1u << 20},
                                   {kAllGather, 1024, 4096, 2, 0}},
                                  2);
  const std::string text =
      formatRules(file, {"cclbench 0.1.0 (git 7daccf4) 2026-11-30, fingerprint 8fdfbb73d1df77ed"});
  const RulesFile back = parseRules(text);
  EXPECT_EQ(back, file);
  EXPECT_EQ(text.rfind("# cclbench 0.1.0", 0), 0u);
  // At the tuned rank count: the ranges, and Open MPI's own choice around them.
  EXPECT_EQ(lookupAlgorithm(back, kAllReduce, 2, 8u << 20), 0);
  EXPECT_EQ(lookupAlgorithm(back, kAllReduce, 2, 16u << 20), 4);
  EXPECT_EQ(lookupAlgorithm(back, kAllReduce, 2, 32u << 20), 4);
  EXPECT_EQ(lookupAlgorithm(back, kAllReduce, 2, (32u << 20) + 1), 0);
  EXPECT_EQ(lookupAlgorithm(back, kAllReduce, 2, 64u << 20), 5);
  EXPECT_EQ(lookupAlgorithm(back, kAllReduce, 2, 128u << 20), 0);
  EXPECT_EQ(lookupAlgorithm(back, kAllGather, 2, 2048), 2);
  // Other rank counts fall through (the bounding entries): 1, 3 and 1,024 ranks.
  for (int ranks : {1, 3, 4, 1024}) {
    EXPECT_EQ(lookupAlgorithm(back, kAllReduce, ranks, 16u << 20), 0) << ranks;
  }
  EXPECT_EQ(lookupAlgorithm(back, 7, 2, 16u << 20), 0);  // a collective without rules
}

TEST(OpenMpiRules, WithoutBoundingEntriesTheFirstEntryWouldGovernEveryRankCount) {
  // Open MPI's lookup: the largest communicator size <= the job's, else the first entry. That is
  // why rulesFor writes fall-through entries at N - 1 and N + 1.
  RulesFile unbounded{{{kAllReduce, {{2, {{0, 0, 0, 0}, {1024, 4, 0, 0}}}}}}};
  EXPECT_EQ(lookupAlgorithm(unbounded, kAllReduce, 1024, 4096), 4);
  EXPECT_EQ(lookupAlgorithm(unbounded, kAllReduce, 1, 4096), 4);
  const RulesFile bounded = rulesFor({{kAllReduce, 1024, 1u << 30, 4, 0}}, 2);
  EXPECT_EQ(bounded.collectives[0].commSizes.size(), 3u);
  EXPECT_EQ(lookupAlgorithm(bounded, kAllReduce, 1024, 4096), 0);
  EXPECT_EQ(lookupAlgorithm(bounded, kAllReduce, 1, 4096), 0);
  const RulesFile one = rulesFor({{kAllReduce, 1024, 2048, 4, 0}}, 1);
  EXPECT_EQ(one.collectives[0].commSizes.front().ranks, 1);  // no entry at 0 ranks
}

TEST(OpenMpiRules, AdjacentRangesShareABreakpoint) {
  const RulesFile file = rulesFor({{kAllReduce, 1024, 2047, 3, 0}, {kAllReduce, 2048, 4096, 4, 0}}, 4);
  const auto& lines = file.collectives[0].commSizes[1].lines;
  ASSERT_EQ(lines.size(), 4u);  // 0 default, 1024 alg 3, 2048 alg 4, 4097 default
  EXPECT_EQ(lookupAlgorithm(file, kAllReduce, 4, 2047), 3);
  EXPECT_EQ(lookupAlgorithm(file, kAllReduce, 4, 2048), 4);
  EXPECT_EQ(parseRules(formatRules(file, {})), file);
}

void expectRefused(const std::string& text, const std::string& mentions) {
  try {
    parseRules(text);
    ADD_FAILURE() << "accepted:\n" << text;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kInvalidUsage);
    EXPECT_NE(std::string(e.what()).find(mentions), std::string::npos) << e.what();
  }
}

TEST(OpenMpiRules, MalformedFilesAreRefusedWithTheLine) {
  expectRefused("1\n2\n1\n2\n1\n1024 4 0 0\n", "line 6: the first message size must be 0");
  expectRefused("1\n2\n1\n2\n2\n0 0 0 0\n0 4 0 0\n", "message sizes must ascend");
  expectRefused("1\n2\n2\n4\n1\n0 0 0 0\n2\n1\n0 0 0 0\n", "communicator sizes must ascend");
  expectRefused("1\n2\n1\n2\n1\n0 0 zero 0\n", "line 6: 'zero' is not a whole number");
  expectRefused("1\n2\n1\n2\n2\n0 0 0 0\n", "ends before");
  expectRefused("1\n2\n1\n2\n1\n0 0 0 0\n7\n", "numbers after the last collective");
  expectRefused("", "ends before the number of collectives");
  // Numbers no type holds, and values that would wrap an int (found by fuzz_openmpi_rules).
  expectRefused("1\n2\n1\n2\n1\n0 0 0 99999999999999999999\n", "is too large");
  expectRefused("1\n4294967298\n1\n2\n1\n0 0 0 0\n", "collective id 4294967298 is out of range");
  expectRefused("1\n2\n1\n2\n1\n0 4294967300 0 0\n", "algorithm 4294967300 is out of range");
}

}  // namespace
}  // namespace cclbench::tune
