#pragma once
/// What a tune measured, seen from its runs: per collective, every candidate's time by size
/// (its trials pooled), the best candidate per size, and the validation's verdict where the
/// tune validated a configuration (its default and tuned launches pooled and compared).
/// Built from the records alone (the candidate each case ran with, the purpose label of each
/// launch), so a report can be made of any tune in the database, finished or not.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analysis/compare.hpp"
#include "core/record.hpp"

namespace cclbench::analysis {

/// One launch of a tune: what it was for (the `purpose` label: trial, validation-default,
/// validation-tuned) and its cases.
struct TuneLaunch {
  std::string purpose;
  std::vector<CaseRecord> cases;
};

struct CandidateTimes {
  std::map<std::string, std::string> knobs;  ///< empty: the default
  std::string description;                   ///< "default", "algorithm=4 segsize=8192"
  std::map<uint64_t, stats::Summary> sizes;  ///< pooled over its trials
  bool isDefault() const { return knobs.empty(); }
};

/// The validation of one size: the tuned configuration against the default.
struct ValidatedSize {
  double defaultUs = 0;
  double tunedUs = 0;
  double speedup = 0;  ///< defaultUs / tunedUs
  std::optional<double> speedupLow;
  std::optional<double> speedupHigh;
  std::string verdict;  ///< of the tuned side: faster, slower, no change
};

struct TuneCollectiveView {
  Collective collective = Collective::kAllReduce;
  std::vector<uint64_t> sizes;               ///< ascending
  std::vector<CandidateTimes> candidates;    ///< the default first, then in order of first trial
  std::map<uint64_t, std::size_t> best;      ///< per size: lowest median among the candidates
  std::map<uint64_t, ValidatedSize> validated;
};

/// The views of a tune's launches, one per collective in the order first measured. Cases of
/// other datatypes, ops or placements than the first trial's are left out of a collective's
/// view (a tune measures one of each).
std::vector<TuneCollectiveView> tuneViews(const std::vector<TuneLaunch>& launches,
                                          const CompareOptions& options = {});

/// "default" or the knobs as "k=v k=v".
std::string describeCandidate(const std::map<std::string, std::string>& knobs);

/// A record made of several records of one case: their samples pooled, the summary and the
/// bandwidths recomputed from the pooled median (the first record gives everything else).
CaseRecord pooledCase(const std::vector<const CaseRecord*>& records);

}  // namespace cclbench::analysis
