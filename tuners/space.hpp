#pragma once
/// Knob spaces: what a tuner may change for a collective, which settings are valid, and how a
/// setting reaches the library. A space knows its library (Open MPI's coll/tuned here; NCCL's
/// algorithms, protocols and channels next); strategies know nothing of libraries.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/collective.hpp"

namespace cclbench::tune {

/// One setting of a space's knobs (knob -> value); empty = the library's own choice.
struct Candidate {
  std::map<std::string, std::string> knobs;
  bool isDefault() const { return knobs.empty(); }
  bool operator==(const Candidate&) const = default;
  bool operator<(const Candidate& other) const { return knobs < other.knobs; }
};

/// How a candidate reaches the library.
enum class Application {
  kPerLaunch,  ///< frozen at start-up (Open MPI's MCA values, NCCL's process knobs): one launch
  kPerCase,    ///< switchable between calls of one process (NCCL's tuner plugin, forcing mode)
};

/// What one launch needs to apply its candidates.
struct LaunchSettings {
  std::vector<std::pair<std::string, std::string>> mca;  ///< Open MPI MCA name -> value
  std::map<std::string, std::string> environment;         ///< further NAME=VALUE
  bool operator==(const LaunchSettings&) const = default;
};

class KnobSpace {
 public:
  virtual ~KnobSpace() = default;
  /// "openmpi-coll-tuned", "nccl" ...
  virtual std::string name() const = 0;
  virtual Application application() const = 0;
  /// Whether the space has knobs for `c`.
  virtual bool tunes(Collective c) const = 0;
  /// Every valid candidate for `c`, the default first: what an exhaustive search measures.
  virtual std::vector<Candidate> candidates(Collective c) const = 0;
  /// Where a race starts: every candidate with its ordered knobs (segment size...) at their
  /// starting values; the rest is reached by neighbours().
  virtual std::vector<Candidate> seeds(Collective c) const = 0;
  /// The candidates one step from `from` along its ordered knobs (coordinate descent).
  virtual std::vector<Candidate> neighbours(Collective c, const Candidate& from) const = 0;
  /// The settings that apply `candidate` to collective `c` in one launch.
  virtual LaunchSettings launchSettings(Collective c, const Candidate& candidate) const = 0;
  /// A short human name: "default", "ring", "segmented_ring seg 128K".
  virtual std::string describe(Collective c, const Candidate& candidate) const = 0;
  /// Where the space's knobs came from (ompi_info, NCCL's rules, the model ...).
  virtual const std::string& source() const = 0;
};

}  // namespace cclbench::tune
