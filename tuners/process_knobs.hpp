#pragma once
/// NCCL's process-frozen knobs (`tune --backend nccl --process-knobs NTHREADS,BUFFSIZE,...`):
/// settings NCCL reads once per process (NCCL_NTHREADS, NCCL_BUFFSIZE, NCCL_MIN_CTAS ...), so
/// each value is one fresh launch, and one value holds for every size of the job. Knobs are
/// tuned one after another, each on top of the values kept before it. A value is proposed when
/// it is faster than the reference (the plugin with the kept rules and knobs, this knob unset) by
/// the threshold in the geometric mean over every collective and size, and slower by
/// more than the threshold at none; it is kept when interleaved launches (reference, value,
/// reference, value ...) confirm both, every value launch's geometric mean beating every
/// reference launch's.

#include <map>
#include <string>
#include <vector>

#include "tuners/decide.hpp"

namespace cclbench::tune {

struct ProcessKnob {
  std::string variable;             ///< NCCL_BUFFSIZE
  std::vector<std::string> values;  ///< what is tried, NCCL's default among them where it has one
};

/// Parses "NTHREADS,BUFFSIZE" (with or without NCCL_); throws Error(kInvalidUsage) for a knob
/// this list does not know: NTHREADS BUFFSIZE MIN_CTAS MAX_CTAS NCHANNELS_PER_NET_PEER.
std::vector<ProcessKnob> parseProcessKnobs(const std::string& list);

/// The outcome for one knob.
struct ProcessKnobOutcome {
  std::string variable;
  std::map<std::string, double> screened;  ///< value -> geometric-mean speedup over the reference
  std::string proposed;                    ///< "" when no value qualified
  std::string kept;                        ///< "" when none held up
  double speedup = 0;                      ///< validated geometric-mean speedup of `kept`
  std::string reason;                      ///< why nothing was kept
};

/// Geometric mean over every (collective, size) of reference median / candidate median, and the
/// worst such ratio. Both measured from the pooled samples of the launches given.
struct Speedup {
  double geomean = 0;
  double worst = 0;
};
Speedup speedupOf(const std::vector<LaunchMeasurement>& reference,
                  const std::vector<LaunchMeasurement>& candidate);

/// The value to propose from screening launches (one per value), or "" (see above).
std::string proposeValue(const std::vector<LaunchMeasurement>& reference,
                         const std::map<std::string, LaunchMeasurement>& byValue, double threshold,
                         std::map<std::string, double>& screened);

/// Whether interleaved validation launches confirm the proposal (see above); `why` says why not.
bool holdsUp(const std::vector<LaunchMeasurement>& launches, double threshold, double& speedup,
             std::string& why);

}  // namespace cclbench::tune
