#include "session/algorithm_probe.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/error.hpp"

namespace cclbench {
namespace {

/// A folder of this test process's own for the probe files it writes.
std::filesystem::path scratchFolder() {
  const auto dir = std::filesystem::temp_directory_path() / ("cclbench-algo-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  return dir;
}

TEST(AlgorithmProbe, ReadsNcclsChoicesFromARealTuningLog) {
  const NcclLogSummary log = parseNcclLogFile(std::string(CCLBENCH_REAL_OUTPUT) +
                                              "/nccl-info-tuning-rtx5090-2rank-socket.log");
  const AlgorithmChoices choices = choicesFromLog(log);
  // The log's README: LL up to 16384 B and SIMPLE from 32768 B, always RING, for Broadcast.
  ASSERT_TRUE(choices.count({"", "broadcast", 16384}));
  EXPECT_EQ(choices.at({"", "broadcast", 16384}).algorithm, "RING");
  EXPECT_EQ(choices.at({"", "broadcast", 16384}).protocol, "LL");
  ASSERT_TRUE(choices.count({"", "broadcast", 32768}));
  EXPECT_EQ(choices.at({"", "broadcast", 32768}).protocol, "SIMPLE");
  EXPECT_GT(choices.at({"", "broadcast", 32768}).channels, 0);
  for (const auto& [key, choice] : choices) EXPECT_EQ(std::get<1>(key), "broadcast");
  // The same choices in call order (all 72 choice lines of this log are rank 0's).
  ASSERT_EQ(log.algorithmCalls.size(), 72u);
  std::vector<ProbeCall> calls;
  for (const NcclAlgoChoice& c : log.algorithmCalls) {
    calls.push_back({"", Collective::kBroadcast, c.bytes, c.bytes});
  }
  EXPECT_EQ(choicesOfCalls(calls, log.algorithmCalls), choices);
}

TEST(AlgorithmProbe, AttachesTheMatchingChoiceToARecord) {
  AlgorithmChoices choices;
  choices[{"", "allreduce", 4096}] = {"TREE", "LL128", 4};
  choices[{"", "allgather", 1024}] = {"RING", "LL", 2};  // NCCL logs per-rank bytes for all-gather
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
  const std::filesystem::path dir = scratchFolder();
  const std::string good = (dir / "good.json").string();
  std::ofstream(good) << R"({"schema":"cclbench.algorithms","schema_version":1,"choices":[)"
                         R"({"collective":"allreduce","bytes":8,"algorithm":"RING","protocol":"LL","channels":1}]})";
  const AlgorithmChoices choices = readAlgorithmChoices(good);
  ASSERT_EQ(choices.size(), 1u);
  EXPECT_EQ(choices.at({"", "allreduce", 8}).protocol, "LL");
  const std::string bad = (dir / "bad.json").string();
  std::ofstream(bad) << "not json";
  EXPECT_THROW(readAlgorithmChoices(bad), Error);
  EXPECT_THROW(readAlgorithmChoices((dir / "missing.json").string()), Error);
}

NcclAlgoChoice logged(const std::string& collective, uint64_t bytes, const std::string& algorithm,
                      const std::string& protocol) {
  NcclAlgoChoice c;
  c.collective = collective;
  c.bytes = bytes;
  c.algorithm = algorithm;
  c.protocol = protocol;
  c.channelLo = 0;
  c.channelHi = 1;
  return c;
}

TEST(AlgorithmProbe, CandidatesThatRepeatASizeAreToldApartByTheOrderOfCalls) {
  // Two candidates of all-reduce over 4096 and 8192 B, then an all-gather of 4096 B in total
  // (1024 B per rank, as NCCL logs it); NCCL ran the second candidate's 8192 B as tree/LL, not
  // ring/simple, and logged a broadcast of the application's own in between.
  const std::string ring = candidateKey({{"algorithm", "ring"}, {"protocol", "simple"}});
  const std::string tree = candidateKey({{"algorithm", "tree"}, {"protocol", "ll"}});
  EXPECT_EQ(ring, "algorithm=ring,protocol=simple");
  const std::vector<ProbeCall> calls = {{ring, Collective::kAllReduce, 4096, 4096},
                                        {ring, Collective::kAllReduce, 8192, 8192},
                                        {tree, Collective::kAllReduce, 4096, 4096},
                                        {tree, Collective::kAllReduce, 8192, 8192},
                                        {"", Collective::kAllGather, 4096, 1024}};
  const std::vector<NcclAlgoChoice> log = {
      logged("AllReduce", 4096, "RING", "SIMPLE"), logged("AllReduce", 8192, "RING", "SIMPLE"),
      logged("Broadcast", 64, "RING", "LL"),       logged("AllReduce", 4096, "TREE", "LL"),
      logged("AllReduce", 8192, "RING", "SIMPLE"), logged("AllGather", 1024, "RING", "LL")};
  const AlgorithmChoices choices = choicesOfCalls(calls, log);
  ASSERT_EQ(choices.size(), 5u);
  EXPECT_EQ(choices.at({ring, "allreduce", 8192}).algorithm, "RING");
  EXPECT_EQ(choices.at({tree, "allreduce", 4096}).algorithm, "TREE");
  EXPECT_EQ(choices.at({tree, "allreduce", 8192}).algorithm, "RING");
  EXPECT_EQ(choices.at({"", "allgather", 1024}).protocol, "LL");
  EXPECT_EQ(choices.at({tree, "allreduce", 8192}).channels, 2);

  // The measuring run: each record gets its own candidate's choice, and a forced pair NCCL did
  // not run is seen as such.
  CaseRecord r;
  r.collective = Collective::kAllReduce;
  r.dtype = DType::kFloat;
  r.sizeBytes = 8192;
  r.count = 2048;
  r.candidate = {{"algorithm", "tree"}, {"protocol", "ll"}};
  EXPECT_EQ(probeSawCandidate(r), std::nullopt) << "nothing attached yet";
  attachAlgorithm(choices, r);
  EXPECT_EQ(r.ncclAlgorithm, "RING");
  EXPECT_EQ(probeSawCandidate(r), false);
  r.sizeBytes = 4096;
  r.count = 1024;
  attachAlgorithm(choices, r);
  EXPECT_EQ(probeSawCandidate(r), true);
  r.candidate = {{"channels", "4"}};  // no pair forced: nothing to judge
  EXPECT_EQ(probeSawCandidate(r), std::nullopt);

  // A call NCCL logged nothing for takes nothing, and does not shift the ones after it.
  const AlgorithmChoices partial = choicesOfCalls(
      {{ring, Collective::kAllReduce, 4096, 4096}, {ring, Collective::kSendRecv, 4096, 4096},
       {ring, Collective::kAllReduce, 8192, 8192}},
      {logged("AllReduce", 4096, "RING", "SIMPLE"), logged("AllReduce", 8192, "RING", "LL")});
  ASSERT_EQ(partial.size(), 2u);
  EXPECT_EQ(partial.at({ring, "allreduce", 8192}).protocol, "LL");
}

TEST(AlgorithmProbe, AProbeFileKeepsItsCandidates) {
  const std::string file = (scratchFolder() / "v2.json").string();
  std::ofstream(file) << R"({"schema":"cclbench.algorithms","schema_version":2,"choices":[)"
                         R"({"collective":"allreduce","bytes":8,"algorithm":"TREE","protocol":"LL","channels":1,)"
                         R"("candidate":"algorithm=tree,protocol=ll"},)"
                         R"({"collective":"allreduce","bytes":8,"algorithm":"RING","protocol":"LL","channels":1}]})";
  const AlgorithmChoices choices = readAlgorithmChoices(file);
  ASSERT_EQ(choices.size(), 2u);
  EXPECT_EQ(choices.at({"algorithm=tree,protocol=ll", "allreduce", 8}).algorithm, "TREE");
  EXPECT_EQ(choices.at({"", "allreduce", 8}).algorithm, "RING");
}

}  // namespace
}  // namespace cclbench
