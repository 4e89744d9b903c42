#pragma once
/// What a tune found, as one record: tune.json (schema "cclbench.tune", documented in
/// docs/tune-json.md) is written from it, and every other output (the Open MPI rules file, the
/// Markdown summary, the console table) derives from it.

#include <array>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/record.hpp"
#include "tuners/decide.hpp"
#include "tuners/process_knobs.hpp"
#include "tuners/search.hpp"

namespace cclbench::tune {

inline constexpr const char* kTuneSchemaName = "cclbench.tune";
inline constexpr int kTuneSchemaVersion = 1;

/// One candidate's medians by size, for tables and the report.
struct CandidateSummary {
  std::string description;
  std::map<std::string, std::string> knobs;
  bool failed = false;
  std::string failure;
  std::map<uint64_t, std::array<double, 3>> sizes;  ///< bytes -> {median, ci low, ci high} (us)
};

struct CollectiveTune {
  Collective collective = Collective::kAllReduce;
  std::vector<CandidateSummary> candidates;  ///< the default first
  std::map<uint64_t, std::string> best;      ///< bytes -> the search's best candidate
  std::vector<Rule> rules;                   ///< kept after validation
  std::vector<Rule> dropped;                 ///< proposed, then not confirmed by validation
  std::vector<uint64_t> unmeasured;  ///< sizes that round down to 0 elements per rank here
  double trialSeconds = 0;
  int trials = 0;
  bool cutShort = false;
};

struct TuneResult {
  std::string tuneId;
  std::string createdUtc;
  std::string toolVersion;
  std::string gitRevision;
  std::string backend;      ///< mpi, nccl, model
  bool modelled = false;    ///< the model's simulated NCCL: nothing in it was measured
  std::string space;        ///< openmpi-coll-tuned ...
  std::string spaceSource;  ///< where the space's knobs came from
  /// How candidates reached the library: "case" (switched inside a launch: NCCL's plugin, Open
  /// MPI's coll/tuned variables per communicator) or "launch" (one launch each); "" when unknown.
  std::string spaceApplication;
  std::string strategy;
  double threshold = 0.03;
  double budgetSeconds = 0;
  std::string fingerprint;  ///< topology fingerprint of the tuned machine(s)
  int ranks = 0;
  int nodes = 0;
  std::map<std::string, std::string> libraries;
  DType dtype = DType::kFloat;
  RedOp op = RedOp::kSum;
  Placement placement = Placement::kOutOfPlace;
  std::vector<uint64_t> sizes;
  std::vector<CollectiveTune> collectives;
  std::vector<std::string> trialRunIds;
  std::vector<std::string> validationDefaultRunIds;
  std::vector<std::string> validationTunedRunIds;
  std::vector<ProcessKnobOutcome> processKnobs;  ///< NCCL's process-frozen knobs tried
  std::map<std::string, std::string> files;  ///< what was written: rules, summary ...
  std::map<std::string, std::string> usage;  ///< how a job uses it: mpirun flags, environment
  bool cutShort() const;
};

nlohmann::json toJson(const TuneResult& result);
/// Throws Error(kInvalidUsage) naming the field when the document is not a tune.json.
TuneResult tuneResultFromJson(const nlohmann::json& j);

/// The summary a reader wants: what was searched, what won, the validated speedups, how to use it.
std::string summaryMarkdown(const TuneResult& result);

/// The console table: per collective, size range, winner, default, speedup with its interval,
/// kept or dropped.
std::string consoleSummary(const TuneResult& result);

/// Candidate summaries of a search, with the space's names.
CollectiveTune collectiveTuneOf(const SearchOutcome& outcome, const KnobSpace& space);

}  // namespace cclbench::tune
