#pragma once
/// Runs named on the command line, from the results database or from files, with what a report
/// needs of each.

#include <string>
#include <vector>

#include "core/record.hpp"

namespace cclbench {

struct ResolvedRun {
  std::string label;  ///< "run 42", "file a.jsonl", "latest:nightly (run 42)"
  RunHeader header;
  std::string status;
  std::string source;
  std::string fingerprint;
  std::vector<std::string> tags;
  std::vector<CaseRecord> cases;
};

/// Resolves operands: digits or run:ID = a run in the database; an existing path or file:PATH =
/// every run in that file; latest[:TAG] = the newest run (with that tag). `db` empty means
/// $CCLBENCH_DB or results/cclbench.db. Throws Error(kInvalidUsage) naming the bad operand.
std::vector<ResolvedRun> resolveRunOperands(const std::vector<std::string>& operands,
                                            const std::string& db);

}  // namespace cclbench
