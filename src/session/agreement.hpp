#pragma once
/// Ranks reaching one verdict: every rank reports its local outcome of a step; all of them get
/// the first failing rank's exit code and message, so they end the same way and only rank 0
/// prints.

#include <optional>
#include <string>

#include "core/bootstrap.hpp"
#include "core/error.hpp"

namespace cclbench {

struct Verdict {
  ExitCode code = ExitCode::kOk;
  std::string message;  ///< one line, with the failing rank and host when it is not rank 0
  bool ok() const { return code == ExitCode::kOk; }
};

/// Collective. `local` is this rank's failure, if any.
Verdict agreeOn(Bootstrap& bootstrap, const std::optional<Error>& local);

/// Collective: fails on every rank whose configuration hash differs from rank 0's.
std::optional<Error> compareWithRankZero(Bootstrap& bootstrap, uint64_t hash);

}  // namespace cclbench
