#pragma once
/// `cclbench run` options: CLI11 definitions and their translation into the typed RunOptions
/// (session/run_options.hpp). Parsing only: the rules between options are checked by the
/// session's validateRunOptions.

#include <string>
#include <vector>

#include "core/environment.hpp"
#include "session/run_options.hpp"

namespace cclbench {

/// Parses `args` (everything after "run"). `env` supplies NCCL_TESTS_MIN_BW. `printHelp` says
/// whether this process prints --help (only rank 0 does). Throws Error(kInvalidUsage) with one
/// line when a value cannot be read.
RunOptions parseRunOptions(const std::vector<std::string>& args, const Environment& env,
                           bool printHelp);

}  // namespace cclbench
