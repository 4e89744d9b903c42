#pragma once
/// Errors and exit codes shared by every layer (the table of docs/ARCHITECTURE.md and README).

#include <stdexcept>
#include <string>

namespace cclbench {

/// cclbench's exit codes: a superset of nccl-tests' codes.
enum class ExitCode : int {
  kOk = 0,
  kInternal = 1,
  kCudaError = 2,
  kLibraryError = 3,  ///< NCCL, MPI or UCX returned an error
  kTimeout = 4,
  kNotAvailable = 5,  ///< no GPU, backend not built, fewer devices than asked
  kInvalidUsage = 6,
  kWrongData = 7,  ///< wrong elements, or bandwidth under a requested floor
  kRegression = 8,
  kFabricMismatch = 9,
};

/// The one exception type that crosses layer boundaries: a message for humans plus the exit code
/// the process should end with. Messages are one line and say what to do where possible.
class Error : public std::runtime_error {
 public:
  Error(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ExitCode code() const { return code_; }

 private:
  ExitCode code_;
};

/// Shorthand for the most common error: bad arguments or input.
inline Error usageError(const std::string& message) {
  return Error(ExitCode::kInvalidUsage, message);
}

}  // namespace cclbench
