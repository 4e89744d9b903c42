#pragma once
/// `cclbench tune --plan`: what a tune would search and an estimate of its wall time, without
/// running anything (for an operator deciding whether to spend a large reservation on it).
/// Candidate counts come from the knob space; times, where a topology is described, from a dry
/// run of the very same search against the model of NCCL (docs/model.md), else as bounds.

#include <string>
#include <vector>

#include "tuners/space.hpp"
#include "tuners/tune.hpp"

namespace cclbench::tune {

/// Prints the plan of `o` over `space` to stdout. `launchSeconds`: what one launch costs before
/// it measures (job start, communicator init); 0 for the model (no launches).
void printTunePlan(const TuneOptions& o, const KnobSpace& space, double launchSeconds);

}  // namespace cclbench::tune
