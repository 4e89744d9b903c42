#pragma once
/// What `cclbench report` shows, from the runs its operands name: the runs (the first is the
/// baseline), each later run compared with it, and, for a tune (tune:ID), the tune's view
/// (every candidate's time by size, the winners, the validated speedup) with the validation's
/// default and tuned launches pooled into one run each.

#include <string>
#include <vector>

#include "report/html_report.hpp"
#include "session/run_sources.hpp"

namespace cclbench {

/// Throws Error(kInvalidUsage) naming an operand that names no run.
ReportInput reportInput(RunSources& sources, const std::vector<std::string>& operands,
                        const std::string& title);

}  // namespace cclbench
