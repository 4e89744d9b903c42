#include "core/environment.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

namespace cclbench {
namespace {

const Environment kFixture{{"NCCL_DEBUG", "INFO"},       {"NCCL_ALGO", "Ring"}, {"UCX_TLS", "rc"},
                           {"PATH", "/usr/bin"},         {"MY_NCCL_X", "1"},    {"NCCL", "bare"},
                           {"OMPI_COMM_WORLD_RANK", "3"}};

TEST(FilterByPrefix, KeepsOnlyNamesStartingWithAPrefix) {
  const Environment kept = filterByPrefix(kFixture, {"NCCL_", "UCX_"});
  const Environment expected{{"NCCL_DEBUG", "INFO"}, {"NCCL_ALGO", "Ring"}, {"UCX_TLS", "rc"}};
  EXPECT_EQ(kept, expected);
}

TEST(FilterByPrefix, EmptyPrefixListKeepsNothing) {
  EXPECT_TRUE(filterByPrefix(kFixture, {}).empty());
}

TEST(FilterByPrefix, OverlappingPrefixesKeepAVariableOnce) {
  const Environment kept = filterByPrefix(kFixture, {"OMPI_", "OMPI_COMM_"});
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept.at("OMPI_COMM_WORLD_RANK"), "3");
}

TEST(IntVariable, ReadsWholeIntegersOnly) {
  const Environment env{{"A", "42"},  {"B", "-3"},          {"C", ""}, {"D", "4x"}, {"E", " 4"},
                        {"F", "4.0"}, {"G", "99999999999"}, {"H", "0"}};
  EXPECT_EQ(intVariable(env, "A"), 42);
  EXPECT_EQ(intVariable(env, "B"), -3);
  EXPECT_EQ(intVariable(env, "C"), std::nullopt);
  EXPECT_EQ(intVariable(env, "D"), std::nullopt);
  EXPECT_EQ(intVariable(env, "E"), std::nullopt);
  EXPECT_EQ(intVariable(env, "F"), std::nullopt);
  EXPECT_EQ(intVariable(env, "G"), std::nullopt);  // does not fit an int
  EXPECT_EQ(intVariable(env, "H"), 0);
  EXPECT_EQ(intVariable(env, "UNSET"), std::nullopt);
}

TEST(ProcessEnvironment, SeesVariablesOfThisProcess) {
  ASSERT_EQ(setenv("CCLBENCH_ENV_TEST_VALUE", "a=b=c", 1), 0);
  const Environment env = processEnvironment();
  ASSERT_TRUE(env.contains("CCLBENCH_ENV_TEST_VALUE"));
  EXPECT_EQ(env.at("CCLBENCH_ENV_TEST_VALUE"), "a=b=c");  // split at the first '=' only
  unsetenv("CCLBENCH_ENV_TEST_VALUE");
  EXPECT_FALSE(processEnvironment().contains("CCLBENCH_ENV_TEST_VALUE"));
}

}  // namespace
}  // namespace cclbench
