#pragma once
/// A synthetic results history for the history-at-scale benchmark: runs of 7 collectives x N
/// sizes (out-of-place, float) with 10-20 noisy batch samples per case, headers shaped like the
/// ones `cclbench run` writes (hosts, environment, config, topology), several topology
/// fingerprints and tags (nightly, tuning, acceptance). Run i is the same for the same seed,
/// so every write path stores identical data.

#include <cstdint>
#include <string>
#include <vector>

#include "core/record.hpp"
#include "store/result_store.hpp"

namespace cclbench::bench {

struct SynthOptions {
  int runs = 1000;
  int sizes = 30;  ///< 8 B doubling: 30 sizes reach 4 GiB
  int minSamples = 10;
  int maxSamples = 20;
  int ranks = 16;
  uint64_t seed = 20261126;
};

/// One synthetic run: what cclbench run would have produced.
struct SynthRun {
  RunHeader header;
  RunMeta meta;
  std::vector<CaseRecord> cases;  ///< collective-major, sizes ascending (the order run writes)
  Trailer trailer;
};

/// The collectives of the history, in table order.
const std::vector<Collective>& synthCollectives();

/// Run `index` (0-based; later runs start later) of the history.
SynthRun synthRun(const SynthOptions& options, int index);

}  // namespace cclbench::bench
