/// `cclbench run`: parses its arguments; the session layer runs the measurement.
#include "cli/run_command.hpp"

#include "cli/run_options.hpp"
#include "session/run.hpp"

namespace cclbench {

int runCommand(int* argc, char*** argv, const std::vector<std::string>& args) {
  return runMeasurement(argc, argv, [&args](const Environment& env, bool printHelp) {
    return parseRunOptions(args, env, printHelp);
  });
}

}  // namespace cclbench
