#pragma once
/// From measurements to rules, and rules to the ones that hold up.
///
/// decide(): a size gets a rule only where its best candidate beats the default by at least the
/// threshold and their confidence intervals do not overlap; adjacent sizes with the same winner
/// merge into one range; elsewhere the default stays.
///
/// validate(): the emitted configuration against the default in interleaved launches (default,
/// tuned, default, tuned ...). A size keeps its rule only when the tuned launches are faster in
/// the pooled comparison (significant and beyond the threshold) and every tuned launch's median
/// is below every default launch's (so a launch that ran in a slower state of the machine cannot
/// make a rule look good); rules shrink to the sizes that hold up.

#include <string>
#include <vector>

#include "core/collective.hpp"
#include "tuners/search.hpp"

namespace cclbench::tune {

/// One size of a rule, as searched and as validated.
struct RuleSize {
  uint64_t bytes = 0;
  double searchDefaultUs = 0;  ///< medians found by the search
  double searchTunedUs = 0;
  double defaultUs = 0;        ///< medians of the validation launches (pooled)
  double tunedUs = 0;
  double speedup = 0;          ///< defaultUs / tunedUs (validated); 0 before validation
  double speedupLow = 0;       ///< 95% bootstrap interval of the speedup
  double speedupHigh = 0;
  bool kept = false;
  std::string reason;          ///< why it was dropped
};

struct Rule {
  Collective collective = Collective::kAllReduce;
  Candidate candidate;
  std::string description;  ///< the space's name for the candidate
  std::vector<RuleSize> sizes;
  std::vector<std::string> trialRunIds;
  uint64_t minBytes() const { return sizes.front().bytes; }
  uint64_t maxBytes() const { return sizes.back().bytes; }
};

/// The rules a search supports (see above). `threshold` 0.03 = 3%.
std::vector<Rule> decide(const SearchOutcome& outcome, const KnobSpace& space, double threshold);

/// What one validation launch measured: per (collective, size), its batch times.
struct LaunchMeasurement {
  bool tuned = false;
  std::string runId;
  std::map<std::pair<Collective, uint64_t>, std::vector<double>> samplesUs;
};

/// Marks each rule size kept or dropped from the launches (see above), then splits every rule
/// into the ranges of consecutive kept sizes; returns the rules that keep at least one size
/// (dropped sizes stay in `dropped` for the record).
std::vector<Rule> validate(std::vector<Rule> proposed, const std::vector<LaunchMeasurement>& launches,
                           double threshold, std::vector<Rule>& dropped);

}  // namespace cclbench::tune
