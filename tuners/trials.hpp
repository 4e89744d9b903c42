#pragma once
/// A trial: one candidate of one collective measured at some sizes, with a given effort. The
/// runner behind it is a real `cclbench run` launch (launch_runner.hpp) or, in tests, an oracle
/// that replays a recorded table; strategies only see this interface.

#include <map>
#include <string>
#include <vector>

#include "core/collective.hpp"
#include "core/stats.hpp"
#include "tuners/space.hpp"

namespace cclbench::tune {

/// How hard one trial measures each size (the run options it maps to).
struct Effort {
  int samples = 0;               ///< --samples: fixed batches; 0 = adaptive (--precision)
  double batchSeconds = 0.005;   ///< --batch-time
  double sizeBudgetSeconds = 0.25;  ///< --size-budget
  double precision = 0.01;       ///< --precision
  /// The data check after the timed batches (-c 1; -c 0 when false). A screening trial leaves it
  /// out: every candidate that survives a screening is measured again with it, so a candidate
  /// that computes wrong data is caught before it can win, and the check of a 256 MiB buffer costs
  /// more than the screening's one batch.
  bool check = true;
  /// --stop-outpaced: where candidates are switched inside one launch, a case stops after its
  /// fewest batches once the low end of its median's interval lies above the high end of the best
  /// case measured before it at the same size in that launch by more than this fraction (it has
  /// lost: more batches would only say by how much). Negative: never.
  double outpaced = -1;
  int minSamples = 5;  ///< --min-samples: the fewest batches when adaptive
  bool operator==(const Effort&) const = default;
};

/// One size of one trial: the combined batch times and their summary.
struct Measured {
  std::vector<double> samplesUs;
  stats::Summary summary;
};

struct TrialRequest {
  Collective collective;
  Candidate candidate;
  std::vector<uint64_t> sizes;  ///< ascending
  Effort effort;
  bool operator==(const TrialRequest&) const = default;
};

struct TrialResult {
  bool ok = true;
  int exitCode = 0;
  std::string failure;  ///< one line when !ok (crash, timeout, wrong data)
  double seconds = 0;   ///< what the trial cost, its launch included
  std::string runId;
  std::map<uint64_t, Measured> sizes;
};

class TrialRunner {
 public:
  virtual ~TrialRunner() = default;
  virtual TrialResult run(const TrialRequest& request) = 0;
  /// The trials of a round, before run() is asked for each of them in this order: a runner that
  /// switches candidates per call may measure them together (one launch) and answer run() from
  /// what it got. Nothing by default.
  virtual void prefetch(const std::vector<TrialRequest>& requests) { (void)requests; }
};

/// Samples pooled into a summary (the median's distribution-free CI among its fields).
Measured measuredOf(std::vector<double> samplesUs);

}  // namespace cclbench::tune
