#pragma once
/// Search strategies over a knob space, for one collective and its sizes.
///
/// exhaustive: every valid candidate at every size, at full effort: the reference.
/// race: the default measured first (three or more batches where an iteration is cheap, two
/// where it takes 3 ms or more; no data check) at every size, the reference of everything that
/// follows; a screening of the seeds (one batch each, no data check) at every size (every other
/// one where one iteration takes over 20 ms, the rest seeded from their neighbours); a candidate
/// is dropped for a size once its confidence interval lies entirely above the best one's (with a
/// margin while there are too few samples for an interval: 15% for one or two, 10% up to five);
/// ordered knobs (segment sizes) move by coordinate descent from each family's best where it is
/// within 1.5x of the leader, each step measured like the screening where it was proposed; the
/// last round tops every survivor up to five batches with the data check (the default too,
/// unless the best is already decisively faster) wherever something other than the default
/// leads or a contender is unmeasured, one launch per candidate; where the space switches
/// candidates per call (NCCL's plugin, Open MPI's communicators, the model), batches cost no
/// launch: the last round measures to the full effort's precision within 70% of its size budget,
/// one trial per candidate and size, size by size with each size's leader first, and a case
/// stops, after five batches at the earliest, once its interval lies above the best one before
/// it (Effort::outpaced, `run --stop-outpaced`); then every candidate a screening batch pruned,
/// where that batch is within 5% of the leader's final figure, gets one trial at that effort (a
/// leader's lucky first batch prunes a near-tie). Its intervals decide the rules;
/// validation then re-measures them. The default is never dropped.

#include <optional>
#include <string>
#include <vector>

#include "tuners/space.hpp"
#include "tuners/trials.hpp"

namespace cclbench::tune {

enum class Strategy { kExhaustive, kRace };
const char* name(Strategy s);
std::optional<Strategy> parseStrategy(const std::string& text);

struct SearchOptions {
  Strategy strategy = Strategy::kRace;
  double budgetSeconds = 0;  ///< trial seconds the search may spend; 0 = no limit
  Effort full;               ///< what exhaustive and the race's final round use
  /// The race's first trial, the default's, the reference of every pruning (the validation's
  /// launches check the default's data): 2 ms batches until 6 ms of them, at least two: three
  /// or more per size where an iteration is cheap, two where it takes 3 ms or more.
  Effort first{.samples = 0, .batchSeconds = 0.002, .sizeBudgetSeconds = 0.006, .precision = 0.002,
               .check = false, .minSamples = 2};
  /// Every other look before the last round: the seeds' screening and each descent step.
  Effort screening{1, 0.001, 0.05, 0.05, false};
  Effort last{5, 0.005, 0.25, 0.01};         ///< the race's last round
  int maxDescentSteps = 4;   ///< descent rounds at most before the last one
  /// Where candidates switch inside one launch, the last round's cases stop once outpaced by
  /// this much (Effort::outpaced; negative: never).
  double outpaced = 0.0;
  /// The smallest speedup worth a rule: where the best is faster than the default by more than
  /// this with separate intervals, the race's last round measures the default no more.
  double threshold = 0.03;
};

/// Everything measured for one candidate, pooled over its trials.
struct CandidateRecord {
  Candidate candidate;
  std::map<uint64_t, Measured> sizes;
  std::vector<std::string> runIds;
  bool failed = false;
  std::string failure;
};

struct SearchOutcome {
  Collective collective = Collective::kAllReduce;
  std::vector<uint64_t> sizes;
  std::vector<CandidateRecord> candidates;  ///< the default first
  std::map<uint64_t, std::size_t> best;     ///< per size: lowest median among those measured
  /// Sizes asked for that the default's launch did not measure (they round down to 0 elements
  /// per rank at this rank count): left out of `sizes` and of every rule.
  std::vector<uint64_t> unmeasured;
  double trialSeconds = 0;
  int trials = 0;
  bool cutShort = false;  ///< the budget ran out
  const CandidateRecord& defaultRecord() const { return candidates.front(); }
};

/// Runs the strategy. A trial that fails marks its candidate failed (excluded from every size)
/// and the search goes on; a failing default fails the whole search (throws Error).
SearchOutcome search(const KnobSpace& space, TrialRunner& runner, Collective collective,
                     const std::vector<uint64_t>& sizes, const SearchOptions& options);

}  // namespace cclbench::tune
