#pragma once
/// The immutable configuration of one `cclbench run`, parsed once from the command line.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/collective.hpp"
#include "core/dtype.hpp"
#include "core/redop.hpp"
#include "core/sizes.hpp"

namespace cclbench {

/// How per-rank batch times become one time (nccl-tests' -a codes).
enum class Aggregation { kRank0 = 0, kMean = 1, kMin = 2, kMax = 3 };
const char* name(Aggregation a);
/// "rank0", "mean", "min", "max"; nullopt otherwise.
std::optional<Aggregation> parseAggregation(std::string_view text);

enum class Placement { kOutOfPlace, kInPlace };
const char* name(Placement p);
/// "out" or "in"; nullopt otherwise.
std::optional<Placement> parsePlacement(std::string_view text);

struct RunConfig {
  std::vector<Collective> collectives;
  SweepSpec sweep;
  std::vector<DType> dtypes;
  std::vector<RedOp> ops;
  int root = 0;
  bool outOfPlace = true;
  bool inPlace = true;

  // Timing: -w, -n, --samples and the adaptive stopping rule.
  int warmupIterations = 1;
  int iterationsPerBatch = 0;  ///< 0: calibrated so a batch lasts batchSeconds
  int batches = 0;             ///< 0: adaptive until precision or sizeBudgetSeconds
  int minBatches = 5;
  int maxBatches = 1000;
  double batchSeconds = 0.005;
  double sizeBudgetSeconds = 0.25;
  double precision = 0.01;  ///< target relative half-width of the median's 95% CI
  Aggregation aggregation = Aggregation::kMax;
  bool perIteration = false;  ///< also time single iterations (p50/p99)
  int perIterationCount = 100;
  bool perRankTimes = false;

  int checkIterations = 1;  ///< -c: 0 disables data checks
  double timeoutSeconds = 300;
  std::optional<double> minBusBandwidth;  ///< GB/s at each collective's largest size

  std::string backend = "auto";  ///< auto, mpi, nccl, ucx
  bool cudaGraph = false;        ///< NCCL: time CUDA-graph launches of the captured loop
  std::string fabric;            ///< NCCL: nvlink, pcie, shm, ib, roce, socket ("" = NCCL's choice)
  bool deviceBuffers = false;    ///< MPI: --memory device (CUDA-aware MPI only)
  bool transportCheck = true;
  std::string algorithmProbeFile;  ///< NCCL: time nothing; one call per case, write NCCL's choices
  std::string algorithmsFile;      ///< NCCL: attach the choices of an earlier probe to the records
  bool captureAlgorithms = false;  ///< single-process NCCL: run the probe first, automatically    ///< NCCL: INFO log + probe to record transports (needed by fabric)
  int registration = 0;          ///< NCCL buffers: 0 cudaMalloc, 1 registered, 2 symmetric
  int peerA = 0;                 ///< point-to-point pair
  int peerB = 1;
  int window = 64;  ///< messages in flight for bw and bibw

  // Outputs (rank 0 only; not part of the configuration hash).
  std::string jsonlPath;  ///< empty: results/cclbench-<time>.jsonl
  bool writeJsonl = true;
  std::string csvPath;
  std::string dbPath;  ///< empty: $CCLBENCH_DB or results/cclbench.db
  bool writeDb = true;
  std::vector<std::string> tags;                ///< nightly, acceptance, tuning ...
  std::vector<std::pair<std::string, std::string>> labels;  ///< free-form key=value
  bool progress = true;

  int testCorruptRank = -1;  ///< hidden test switch: this rank corrupts one output element
};

/// Checks what can be checked without knowing the world; throws Error(kInvalidUsage).
void validate(const RunConfig& config);

/// Checks what depends on the rank count (root, point-to-point pair); throws Error.
void validateForWorld(const RunConfig& config, int nranks);

/// The measurement-relevant part of the configuration, as recorded in every run header.
nlohmann::json toJson(const RunConfig& config);

/// A hash of toJson(config): ranks compare it at start-up to catch divergent arguments.
uint64_t configurationHash(const RunConfig& config);

/// FNV-1a, 64 bits.
uint64_t fnv1a(const std::string& text, uint64_t seed = 0xcbf29ce484222325ull);

}  // namespace cclbench
