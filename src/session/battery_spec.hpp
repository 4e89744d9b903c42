#pragma once
/// The battery spec of `cclbench accept` and `cclbench nightly` (issues 9 and 10): a TOML file
/// naming checks (a collective, a scope of hosts, sizes, floors), read by one parser for both.
///
///   name = "rack-acceptance"
///   ranks_per_host = 1
///   timeout = 120                    # seconds for any step (as -T)
///   [expect]
///   fingerprint = "any"              # "same": all hosts alike; or a `cclbench topo` fingerprint
///   [[check]]
///   name = "host pairs"
///   collective = "sendrecv"
///   scope = "pairs"                  # all | pairs | host
///   sizes = "4M"                     # "1M:16M" as -b:-e, factor 2
///   min_fraction_of_median = 0.7     # and/or min_busbw (GB/s at the largest size),
///                                    # min_fraction_of_baseline with baseline = "run:ID" | "baseline:TAG"
///   # optional: parallel, backend, fabric, datatype, ranks_per_host
///   [nightly]                        # nightly's own table: accept ignores it
///
/// Unknown keys, wrong types and impossible values are Error(kInvalidUsage) naming the key and
/// its line.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/collective.hpp"
#include "core/dtype.hpp"

namespace cclbench {

enum class CheckScope { kAll, kPairs, kHost };
const char* name(CheckScope s);

struct CheckSpec {
  std::string name;
  Collective collective = Collective::kAllReduce;
  CheckScope scope = CheckScope::kAll;
  uint64_t minBytes = 0, maxBytes = 0;     ///< the sweep, factor 2
  std::optional<double> minBusbw;          ///< GB/s at the largest size
  std::optional<double> minFractionOfMedian;    ///< of the median job of the same check
  std::optional<double> minFractionOfBaseline;  ///< of the baseline's figure
  std::string baseline;                    ///< "run:ID" or "baseline:TAG"
  bool parallel = true;                    ///< a scope's groups at once
  std::string backend = "mpi";
  std::string fabric;                      ///< "" = the library's choice
  DType dtype = DType::kFloat;
  int ranksPerHost = 0;                    ///< 0: the spec's
  bool allPairs = false;                   ///< run --all-pairs (matrix --np): every pair of ranks
  int line = 0;                            ///< where its [[check]] starts
};

/// `[nightly]`: what `cclbench nightly` needs beyond the checks (accept ignores it).
struct NightlySpec {
  int baselineRuns = 7;        ///< the baseline: the last N nights of this spec and fingerprint
  double threshold = 0.03;     ///< the smallest slowdown worth a verdict
  std::string report;          ///< HTML report ("": results/nightly/<spec>/report.html)
  std::string prometheus;      ///< textfile-collector file ("": none)
  std::string junit;           ///< JUnit XML ("": none)
  std::string summary;         ///< Markdown summary ("": beside the report, summary.md)
};

struct BatterySpec {
  std::string name;
  int ranksPerHost = 1;
  double timeoutSeconds = 120;
  std::string expectFingerprint = "any";   ///< any, same, or 16 hex digits
  std::vector<CheckSpec> checks;
  bool hasNightly = false;                 ///< a [nightly] table is present
  NightlySpec nightly;                     ///< its values (defaults when absent)
  /// A check's ranks per host (its own, else the spec's).
  int ranksPerHostOf(const CheckSpec& c) const { return c.ranksPerHost > 0 ? c.ranksPerHost : ranksPerHost; }
};

/// Parses a spec; `source` names it in errors. Throws Error(kInvalidUsage).
BatterySpec parseBatterySpec(const std::string& text, const std::string& source);

}  // namespace cclbench
