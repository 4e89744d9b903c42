/// Built without SQLite (the GPU machines have no -dev packages): the history commands say so.

#include <cstdio>

#include "cli/commands.hpp"
#include "core/error.hpp"

namespace cclbench {
namespace {

int unavailable(const char* what) {
  std::fprintf(stderr, "cclbench: error: %s needs the results database, and this cclbench was "
                       "built without SQLite (install libsqlite3-dev and rebuild)\n", what);
  return static_cast<int>(ExitCode::kNotAvailable);
}

}  // namespace

int runsCommand(int*, char***, const std::vector<std::string>&) { return unavailable("runs"); }
int exportCommand(int*, char***, const std::vector<std::string>&) { return unavailable("export"); }
int importCommand(int*, char***, const std::vector<std::string>&) { return unavailable("import"); }
int nightlyCommand(int*, char***, const std::vector<std::string>&) { return unavailable("nightly"); }
int pruneCommand(int*, char***, const std::vector<std::string>&) { return unavailable("prune"); }

}  // namespace cclbench
