#pragma once
/// The canonical result records (JSON Lines): a run header, one record per measured case, and a
/// trailer. Every other output (table, CSV, database rows) derives from these, and this file is
/// the one place that writes and reads them: toJson(x) and xFromJson(j) for every record type,
/// with fromJson(toJson(x)) == x for every field. Keys a reader does not know are kept in `extra`
/// and written back, so a record passes through any cclbench whole.
/// The schema is documented in results/README.md; bump kRecordSchemaVersion when a field is
/// removed or redefined (adding a field does not).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/collective.hpp"
#include "core/run_config.hpp"
#include "core/stats.hpp"

namespace cclbench {

inline constexpr int kRecordSchemaVersion = 1;
inline constexpr const char* kRecordSchemaName = "cclbench.record";

/// Which ranks of one host ran, and on which cores each was bound.
struct HostEntry {
  std::string host;
  std::vector<int> ranks;
  std::vector<std::string> cpus;  ///< one cpu list ("0-3") per rank, same order
  bool operator==(const HostEntry&) const = default;
};

struct RunHeader {
  std::string runId;
  std::string toolVersion;
  std::string gitRevision;
  std::string startUtc;
  std::vector<std::string> commandLine;
  std::string launcher;           ///< openmpi, pmi, slurm, torchrun, threads
  std::string launcherInterface;  ///< how ranks were wired up: pmix, pmi2, orte... ("" unknown)
  int ranks = 0;
  std::vector<HostEntry> hosts;
  std::string backend;
  std::map<std::string, std::string> libraryVersions;
  std::map<std::string, std::string> environment;  ///< NCCL_*, UCX_*, OMPI_*, SLURM_* ...
  nlohmann::json config = nlohmann::json::object();
  Aggregation aggregation = Aggregation::kMax;
  std::string fingerprint;  ///< topology fingerprint of every node of the run ("" if unknown)
  nlohmann::json topology;  ///< {fingerprint, nodes, host: rank 0's host in full, notes}
  nlohmann::json transport; ///< NCCL: fabric asked, environment set, transports seen, verdict
  /// MPI: the thread level asked of MPI_Init_thread and the one the library provided.
  std::string mpiThreadRequested;
  std::string mpiThreadProvided;
  /// {oversubscribed, hosts: [{host, ranks, cores}], yield_when_idle}; null when not checked.
  nlohmann::json oversubscription;
  std::vector<std::string> tags;                ///< also stored as the run's tags in the database
  std::map<std::string, std::string> labels;    ///< key=value labels, likewise
  nlohmann::json extra = nlohmann::json::object();  ///< keys this version does not know
  bool operator==(const RunHeader&) const = default;
};

/// Single-iteration timing (per-iteration mode), combined across ranks per iteration.
struct PerIterationStats {
  std::size_t count = 0;
  double p50Us = 0;
  double p99Us = 0;
  double minUs = 0;
  double maxUs = 0;
  bool operator==(const PerIterationStats&) const = default;
};

/// How the iterations per batch were chosen (absent with a fixed -n).
struct CalibrationInfo {
  double batchSeconds = 0;  ///< the agreed (slowest rank's) time of the batch that was accepted
  int probes = 0;           ///< batches timed to get there (the warm-up not counted)
  bool operator==(const CalibrationInfo&) const = default;
};

struct CaseRecord {
  Collective collective = Collective::kAllReduce;
  DType dtype = DType::kFloat;
  RedOp op = RedOp::kNone;
  int root = -1;
  Placement placement = Placement::kOutOfPlace;
  uint64_t sizeBytes = 0;  ///< the table's size column (actual bytes)
  uint64_t count = 0;      ///< the table's count column
  int ranks = 0;
  Aggregation aggregation = Aggregation::kMax;
  int iterationsPerBatch = 0;
  std::vector<double> samplesUs;  ///< every combined batch time, per iteration, in us
  stats::Summary timeUs;          ///< summary of samplesUs
  double algBandwidthGBps = 0;    ///< from the median time
  double busBandwidthGBps = 0;
  bool checked = false;
  uint64_t wrong = 0;  ///< wrong elements summed over ranks
  int slowestRank = -1;
  double slowestRankMedianUs = 0;
  std::string stopReason;  ///< precision, budget, fixed, max-batches
  std::optional<PerIterationStats> perIteration;
  std::optional<CalibrationInfo> calibration;
  std::vector<std::vector<double>> perRankSamplesUs;  ///< only on request (and with --all-pairs)
  /// --all-pairs: which round of the circle method this case is (-1: the run's one pair) and the
  /// pairs of ranks it measured at once; each pair's figure is in its ranks' perRankSamplesUs.
  int pairRound = -1;
  std::vector<std::pair<int, int>> pairs;
  /// NCCL's algorithm/protocol for this collective and size, from an untimed probe with TUNING
  /// logging (--capture-algorithms / --algorithms FILE); empty when unknown.
  std::string ncclAlgorithm;
  std::string ncclProtocol;
  int ncclChannels = 0;
  /// Tuning: the settings this case ran with, knob -> value (empty outside a tune).
  std::map<std::string, std::string> candidate;
  /// NCCL forced through cclbench's tuner plugin: whether NCCL asked the tuner on this case's
  /// calls and the forced pair was applied (false: never asked, as with one rank, or marked
  /// unavailable); unset when nothing was forced.
  std::optional<bool> candidateHonoured;
  nlohmann::json extra = nlohmann::json::object();  ///< keys this version does not know
  bool operator==(const CaseRecord&) const = default;
};

/// One table row: the out-of-place and in-place records of one (type, op, size).
struct RowRecords {
  std::optional<CaseRecord> outOfPlace;
  std::optional<CaseRecord> inPlace;
};

struct Trailer {
  std::string runId;
  /// complete; incomplete (cut short: a failure or an imported source without its end);
  /// interrupted (a signal ended it)
  std::string status;
  int exitCode = 0;
  std::string message;
  std::size_t cases = 0;
  uint64_t wrongTotal = 0;
  std::string endUtc;
  double wallSeconds = 0;
  nlohmann::json extra = nlohmann::json::object();  ///< keys this version does not know
  bool operator==(const Trailer&) const = default;
};

nlohmann::json toJson(const HostEntry& e);
nlohmann::json toJson(const RunHeader& h);
nlohmann::json toJson(const CaseRecord& r, const std::string& runId);
nlohmann::json toJson(const Trailer& t);

/// Readers. Each throws Error(kInvalidUsage) naming the missing or bad field; numbers must be
/// finite and in range (a time of 'nan' or a size of 1e30 is refused, never stored as 0).
HostEntry hostEntryFromJson(const nlohmann::json& j);
RunHeader runHeaderFromJson(const nlohmann::json& j);
CaseRecord caseRecordFromJson(const nlohmann::json& j);
Trailer trailerFromJson(const nlohmann::json& j);

/// The record type of one JSON Lines line: "run", "case" or "end".
std::string recordType(const nlohmann::json& j);

/// Current UTC time as 2026-11-26T09:52:38Z.
std::string utcNow();

}  // namespace cclbench
