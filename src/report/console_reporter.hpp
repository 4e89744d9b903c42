#pragma once
/// The console table: the first 13 columns and the two footer lines exactly as nccl-tests prints
/// them (scripts parse them), then cclbench's own columns and summary lines.

#include <cstdio>
#include <memory>

#include "report/reporter.hpp"

namespace cclbench {

std::unique_ptr<Reporter> createConsoleReporter(std::FILE* out);

/// nccl-tests' number formatting: %.2f, then fewer decimals, then exponent, to fit `width`.
std::string fitNumber(double value, int width);

}  // namespace cclbench
