#include "tuners/process_knobs.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace cclbench::tune {
namespace {

/// A launch whose every size takes `us` x the size's base time (1, 2, 4 us at 1, 2, 4 KiB).
LaunchMeasurement launch(bool tuned, double factor, double atLargest = 0) {
  LaunchMeasurement m;
  m.tuned = tuned;
  for (uint64_t s : {1024u, 2048u, 4096u}) {
    const double base = static_cast<double>(s) / 1024;
    const double f = s == 4096 && atLargest > 0 ? atLargest : factor;
    m.samplesUs[{Collective::kAllReduce, s}] = {base * f, base * f * 1.001, base * f * 0.999};
  }
  return m;
}

TEST(ProcessKnobs, ParsesKnownKnobsWithOrWithoutThePrefix) {
  const auto knobs = parseProcessKnobs("NTHREADS,NCCL_BUFFSIZE,NTHREADS");
  ASSERT_EQ(knobs.size(), 2u);
  EXPECT_EQ(knobs[0].variable, "NCCL_NTHREADS");
  EXPECT_EQ(knobs[1].variable, "NCCL_BUFFSIZE");
  EXPECT_EQ(knobs[1].values.size(), 5u);
  EXPECT_THROW(parseProcessKnobs("NTHREADS,ALGO"), Error);
  EXPECT_THROW(parseProcessKnobs(","), Error);
}

TEST(ProcessKnobs, ProposesTheFastestValueThatIsSlowerNowhere) {
  const std::vector<LaunchMeasurement> ref = {launch(false, 1.0), launch(false, 1.0)};
  std::map<std::string, double> screened;
  // 0.7x everywhere but 1.2x at the largest size: faster in the mean, slower somewhere.
  const std::map<std::string, LaunchMeasurement> values = {
      {"a", launch(true, 0.7, 1.2)}, {"b", launch(true, 0.9)}, {"c", launch(true, 1.01)}};
  EXPECT_EQ(proposeValue(ref, values, 0.03, screened), "b");
  EXPECT_NEAR(screened.at("b"), 1 / 0.9, 1e-3);
  EXPECT_GT(screened.at("a"), screened.at("b")) << "a is faster in the mean, and still not proposed";
  EXPECT_EQ(proposeValue(ref, {{"c", launch(true, 1.01)}}, 0.03, screened), "") << "within noise";
}

TEST(ProcessKnobs, ValidationKeepsOnlyWhatEveryLaunchConfirms) {
  double speedup = 0;
  std::string why;
  EXPECT_TRUE(holdsUp({launch(false, 1), launch(true, 0.9), launch(false, 1.01), launch(true, 0.91)}, 0.03,
                      speedup, why)) << why;
  EXPECT_NEAR(speedup, 1.005 / 0.905, 0.01);
  // One fast reference launch (the machine's fast state) as fast as a value launch: dropped.
  EXPECT_FALSE(holdsUp({launch(false, 1), launch(true, 0.9), launch(false, 0.89), launch(true, 0.91)}, 0.03,
                       speedup, why));
  EXPECT_FALSE(holdsUp({launch(false, 1), launch(true, 0.99)}, 0.03, speedup, why));
  EXPECT_NE(why.find("below the threshold"), std::string::npos) << why;
  EXPECT_FALSE(holdsUp({launch(false, 1), launch(true, 0.8, 1.3)}, 0.03, speedup, why));
  EXPECT_NE(why.find("slower"), std::string::npos) << why;
}

}  // namespace
}  // namespace cclbench::tune
