#include "session/run_options.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace cclbench {
namespace {

RunOptions basic() {
  RunOptions o;
  o.config.collectives = {Collective::kAllReduce};
  o.config.dtypes = {DType::kFloat};
  o.config.ops = {RedOp::kSum};
  o.config.sweep.minBytes = 8;
  o.config.sweep.maxBytes = 1024;
  o.config.sweep.factor = 2;
  return o;
}

void expectRefused(const RunOptions& o, const std::string& backend, RankMode mode,
                   const std::string& mentions) {
  try {
    validateRunOptions(o, backend, mode);
    ADD_FAILURE() << "accepted; expected a refusal mentioning " << mentions;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kInvalidUsage);
    EXPECT_NE(std::string(e.what()).find(mentions), std::string::npos) << e.what();
  }
}

TEST(ValidateRunOptions, AcceptsWhatEachBackendSupports) {
  EXPECT_NO_THROW(validateRunOptions(basic(), "mpi", RankMode::kSelfLaunch));
  RunOptions nccl = basic();
  nccl.backend.cudaGraph = true;
  nccl.backend.registration = 1;
  nccl.backend.fabric = "socket";
  nccl.nccl.captureAlgorithms = true;
  EXPECT_NO_THROW(validateRunOptions(nccl, "nccl", RankMode::kThreads));
  RunOptions device = basic();
  device.backend.deviceBuffers = true;
  EXPECT_NO_THROW(validateRunOptions(device, "mpi", RankMode::kLaunched));
  RunOptions ucx = basic();
  ucx.backend.fabric = "tcp";
  ucx.backend.ucxApi = "put";
  EXPECT_NO_THROW(validateRunOptions(ucx, "ucx", RankMode::kSelfLaunch));
  RunOptions mpi = basic();
  mpi.backend.fabric = "shm";
  EXPECT_NO_THROW(validateRunOptions(mpi, "mpi", RankMode::kSelfLaunch));
}

TEST(ValidateRunOptions, BackendSpecificSettingsNeedTheirBackend) {
  RunOptions o = basic();
  o.backend.fabric = "pcie";
  expectRefused(o, "mpi", RankMode::kSelfLaunch, "GPU path");
  expectRefused(o, "ucx", RankMode::kSelfLaunch, "cuda_ipc");
  o.backend.fabric = "cuda_ipc";
  expectRefused(o, "nccl", RankMode::kThreads, "nvlink or pcie");
  o = basic();
  o.backend.ucxApi = "put";
  expectRefused(o, "mpi", RankMode::kSelfLaunch, "UCX backend only");
  o.backend.ucxApi = "get";
  expectRefused(o, "ucx", RankMode::kSelfLaunch, "tag or put");
  o = basic();
  o.backend.cudaGraph = true;
  expectRefused(o, "mpi", RankMode::kSelfLaunch, "NCCL backend only");
  o = basic();
  o.backend.deviceBuffers = true;
  expectRefused(o, "nccl", RankMode::kThreads, "MPI and UCX backends");
  o = basic();
  o.nccl.algorithmsFile = "x.json";
  expectRefused(o, "mpi", RankMode::kLaunched, "need the NCCL backend");
}

TEST(ValidateRunOptions, RulesBetweenOptions) {
  RunOptions o = basic();
  o.backend.fabric = "warp-drive";
  expectRefused(o, "nccl", RankMode::kThreads, "unknown fabric");
  o = basic();
  o.backend.fabric = "shm";
  o.nccl.transportCheck = false;
  expectRefused(o, "nccl", RankMode::kThreads, "--no-transport-check");
  o = basic();
  o.nccl.captureAlgorithms = true;
  expectRefused(o, "nccl", RankMode::kLaunched, "--algorithm-probe FILE");
  o.nccl.algorithmProbeFile = "p.json";
  expectRefused(o, "nccl", RankMode::kThreads, "not both");
  o = basic();
  o.np = 4;
  expectRefused(o, "mpi", RankMode::kLaunched, "drop --np");
  o.np = 0;
  expectRefused(o, "mpi", RankMode::kSelfLaunch, "--np");
  o = basic();
  o.backend.registration = 3;
  expectRefused(o, "nccl", RankMode::kThreads, "-R");
  o = basic();
  o.config.sweep.minBytes = 4096;
  expectRefused(o, "mpi", RankMode::kSelfLaunch, "above");
}

TEST(ConfigJson, HoldsTheMeasurementAndTheBackendsSettings) {
  RunOptions o = basic();
  o.backend.name = "nccl";
  o.backend.cudaGraph = true;
  o.backend.fabric = "shm";
  o.mpiThread = MpiThreadLevel::kMultiple;
  const nlohmann::json j = configJson(o);
  EXPECT_EQ(j.at("backend"), "nccl");
  EXPECT_EQ(j.at("cuda_graph"), true);
  EXPECT_EQ(j.at("fabric"), "shm");
  EXPECT_EQ(j.at("mpi_thread"), "multiple");
  EXPECT_EQ(j.at("max_bytes"), 1024);
  // Outputs are not part of it: ranks writing elsewhere still agree.
  RunOptions other = o;
  other.outputs.reporters = {{"jsonl", "elsewhere.jsonl"}};
  other.outputs.tags = {"x"};
  EXPECT_EQ(configJson(other), j);
}

}  // namespace
}  // namespace cclbench
