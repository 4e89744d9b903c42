#pragma once
#include <string>
#include <vector>

namespace cclbench {

/// `cclbench run ...`: self-launches local ranks outside a launcher, otherwise runs this rank.
/// Returns the process exit code. `argv0` is this binary; `args` follow "run".
int runCommand(int* argc, char*** argv, const std::vector<std::string>& args);

}  // namespace cclbench
