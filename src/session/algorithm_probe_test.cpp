#include "session/algorithm_probe.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/error.hpp"

namespace cclbench {
namespace {

TEST(AlgorithmProbe, ReadsNcclsChoicesFromARealTuningLog) {
  const NcclLogSummary log = parseNcclLogFile(std::string(CCLBENCH_REAL_OUTPUT) +
                                              "/nccl-info-tuning-rtx5090-2rank-socket.log");
  const AlgorithmChoices choices = choicesFromLog(log);
  // The log's README: LL up to 16384 B and SIMPLE from 32768 B, always RING, for Broadcast.
  ASSERT_TRUE(choices.count({"broadcast", 16384}));
  EXPECT_EQ(choices.at({"broadcast", 16384}).algorithm, "RING");
  EXPECT_EQ(choices.at({"broadcast", 16384}).protocol, "LL");
  ASSERT_TRUE(choices.count({"broadcast", 32768}));
  EXPECT_EQ(choices.at({"broadcast", 32768}).protocol, "SIMPLE");
  EXPECT_GT(choices.at({"broadcast", 32768}).channels, 0);
  for (const auto& [key, choice] : choices) EXPECT_EQ(key.first, "broadcast");
}

TEST(AlgorithmProbe, AttachesTheMatchingChoiceToARecord) {
  AlgorithmChoices choices;
  choices[{"allreduce", 4096}] = {"TREE", "LL128", 4};
  choices[{"allgather", 1024}] = {"RING", "LL", 2};  // NCCL logs per-rank bytes for all-gather
  CaseRecord ar;
  ar.collective = Collective::kAllReduce;
  ar.sizeBytes = 4096;
  ar.count = 1024;
  attachAlgorithm(choices, ar);
  EXPECT_EQ(ar.ncclAlgorithm, "TREE");
  EXPECT_EQ(ar.ncclProtocol, "LL128");
  EXPECT_EQ(ar.ncclChannels, 4);
  CaseRecord ag;
  ag.collective = Collective::kAllGather;
  ag.sizeBytes = 4096;  // total over 4 ranks
  ag.count = 256;       // per rank: 1024 bytes of float
  attachAlgorithm(choices, ag);
  EXPECT_EQ(ag.ncclAlgorithm, "RING");
  CaseRecord none;
  none.collective = Collective::kAllReduce;
  none.sizeBytes = 8;
  none.count = 2;
  attachAlgorithm(choices, none);
  EXPECT_TRUE(none.ncclAlgorithm.empty());
  EXPECT_FALSE(toJson(none, "r").contains("nccl_choice"));
  EXPECT_EQ(toJson(ar, "r")["nccl_choice"]["algorithm"], "TREE");
}

TEST(AlgorithmProbe, ReadsAProbeFileAndRejectsGarbage) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("cclbench-algo-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string good = (dir / "good.json").string();
  std::ofstream(good) << R"({"schema":"cclbench.algorithms","schema_version":1,"choices":[)"
                         R"({"collective":"allreduce","bytes":8,"algorithm":"RING","protocol":"LL","channels":1}]})";
  const AlgorithmChoices choices = readAlgorithmChoices(good);
  ASSERT_EQ(choices.size(), 1u);
  EXPECT_EQ(choices.at({"allreduce", 8}).protocol, "LL");
  const std::string bad = (dir / "bad.json").string();
  std::ofstream(bad) << "not json";
  EXPECT_THROW(readAlgorithmChoices(bad), Error);
  EXPECT_THROW(readAlgorithmChoices((dir / "missing.json").string()), Error);
}

}  // namespace
}  // namespace cclbench
