#pragma once
/// What one `cclbench run` measures: collectives, sizes, types, timing and checking rules. The
/// engine needs nothing else; backend settings (backends/registry.hpp) and outputs and session
/// settings (session/run_options.hpp) live beside it, not in it.

#include <cstdint>
#include <map>
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

/// The fewest batches after which --stop-outpaced may stop a case (it may stop before
/// --min-samples: losing takes less evidence than a figure to keep). With three batches the
/// median's interval is their range (75% coverage), so a case stops only when all three lie above
/// the bar (the best case's high end): one truly level with the best does so less than one time in
/// eight, one 3% faster less than one time in a thousand at 2% noise per batch.
inline constexpr int kOutpacedMinBatches = 3;

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
  /// --stop-outpaced F (with --candidates; negative: off): an adaptive case stops, after
  /// kOutpacedMinBatches batches at the earliest, once the low end of its median's CI lies more
  /// than F above the high end of the best case already measured at the same size, type, op and
  /// placement in this run (another candidate's): it has lost, and more batches would only say
  /// by how much.
  double stopOutpaced = -1;
  Aggregation aggregation = Aggregation::kMax;
  bool perIteration = false;  ///< also time single iterations (p50/p99)
  int perIterationCount = 100;
  bool perRankTimes = false;
  bool syncEach = false;  ///< OSU's timing: a barrier before every call, each call timed alone

  int checkIterations = 1;  ///< -c: 0 disables data checks
  double timeoutSeconds = 300;
  std::optional<double> minBusBandwidth;  ///< GB/s at each collective's largest size

  int peerA = 0;                 ///< point-to-point pair
  int peerB = 1;
  int window = 64;  ///< messages in flight for bw and bibw
  /// --stream: bw keeps `window` messages in flight without a pause, a new send as soon as one
  /// completes, and acknowledges once per batch (ucx_perftest's tag_bw and the perftest
  /// convention) instead of once per window (osu_bw's).
  bool stream = false;
  /// --all-pairs: latency, bw and bibw between every pair of ranks instead of one pair, in
  /// rounds of disjoint pairs measured at once (circle method); each round is a case of its own
  /// with every rank's times (`cclbench matrix --np`).
  bool allPairs = false;

  int testCorruptRank = -1;  ///< hidden test switch: this rank corrupts one output element
  /// Hidden test switch (CCLBENCH_TEST_CORRUPT_CANDIDATE=KNOB=VALUE): rank 0 corrupts one output
  /// element of every case measured with a candidate that has it (testCorruptRank is set at once
  /// for a run's own --candidate; a --candidates sweep switches per table).
  std::string testCorruptCandidate;
  /// Tuning: the settings this run's launch was made with, knob -> value; stamped into every
  /// case record (the tuner sets it; the settings themselves reach the library by other means).
  std::map<std::string, std::string> candidate;
  /// Tuning (--candidates): one table per entry, each measured with its candidate forced in the
  /// same launch (NCCL: through the tuner plugin in one communicator; MPI: coll/tuned's variables
  /// on a fresh communicator; empty knobs: the library's own choice); the collectives and sizes
  /// above are then ignored.
  struct CandidateSweep {
    Collective collective = Collective::kAllReduce;
    std::map<std::string, std::string> knobs;
    std::vector<uint64_t> sizes;
    bool operator==(const CandidateSweep&) const = default;
  };
  std::vector<CandidateSweep> candidateSweeps;
};

/// Whether `knobs` has the KNOB=VALUE of `knobEqualsValue` (the hidden corrupting switch).
bool hasKnob(const std::map<std::string, std::string>& knobs, const std::string& knobEqualsValue);

/// Reads a --candidates file: a JSON array of {"collective", "candidate": {knob: value},
/// "sizes": [bytes...]}. Throws Error(kInvalidUsage) naming the file and what is wrong.
std::vector<RunConfig::CandidateSweep> parseCandidateSweeps(const std::string& text,
                                                            const std::string& source);

/// Checks what can be checked without knowing the world; throws Error(kInvalidUsage).
void validate(const RunConfig& config);

/// Checks what depends on the rank count (root, point-to-point pair); throws Error.
void validateForWorld(const RunConfig& config, int nranks);

/// The configuration as recorded in every run header (the session adds the backend's part).
nlohmann::json toJson(const RunConfig& config);

/// FNV-1a, 64 bits.
uint64_t fnv1a(const std::string& text, uint64_t seed = 0xcbf29ce484222325ull);

}  // namespace cclbench
