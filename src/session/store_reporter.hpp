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
/// A network filesystem warning goes to stderr once.
std::unique_ptr<Reporter> createStoreReporter(const std::string& path, RunMeta meta);

}  // namespace cclbench
