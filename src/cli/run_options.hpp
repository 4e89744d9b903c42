#pragma once
/// `cclbench run` options: CLI11 definitions and their translation into the immutable RunConfig.

#include <optional>
#include <string>
#include <vector>

#include "core/environment.hpp"
#include "core/run_config.hpp"

namespace cclbench {

struct RunOptions {
  RunConfig config;
  std::optional<int> np;  ///< --np: ranks to self-launch (outside a launcher)
  bool helpShown = false; ///< --help was asked for and printed
  std::vector<std::string> argsWithoutNp;  ///< what each self-launched rank gets
};

/// Parses `args` (everything after "run"). `env` supplies NCCL_TESTS_MIN_BW. `printHelp` says
/// whether this process prints --help (only rank 0 does). Throws Error(kInvalidUsage) with one
/// line on any bad input; validate(config) has been applied.
RunOptions parseRunOptions(const std::vector<std::string>& args, const Environment& env,
                           bool printHelp);

}  // namespace cclbench
