#pragma once
/// Saves a run into the results database as it goes: created as running, each table row's
/// cases committed when the row finishes, marked complete at the end. A killed run keeps what it
/// finished and never looks complete.

#include <memory>
#include <string>

#include "report/reporter.hpp"
#include "store/result_store.hpp"

namespace cclbench {

/// Opens (creating or migrating) the database now, so a bad path fails before measuring.
/// A network filesystem warning goes to stderr once. A write that fails later (a full disk)
/// is said once on stderr, naming `recordsFile` (the run's JSON Lines file, "" when none) as
/// where the run is still kept and how to import it; the measurement goes on.
std::unique_ptr<Reporter> createStoreReporter(const std::string& path, RunMeta meta,
                                              const std::string& recordsFile);

}  // namespace cclbench
