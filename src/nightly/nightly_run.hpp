#pragma once
/// The `cclbench nightly` driver: options as cli/ parsed them -> the battery's jobs (tag nightly,
/// labels spec=, check=, hosts=, night=), their records imported into the results database under
/// an exclusive lock, the night judged, the outputs written whole, the alert command run.

#include <optional>
#include <string>
#include <vector>

namespace cclbench::nightly {

struct NightlyOptions {
  std::string specPath;
  std::vector<std::string> hosts;  ///< --hosts
  std::string hostfile;            ///< --hostfile
  std::optional<int> np;           ///< local ranks without hosts (default 2)
  std::string database;            ///< --db (may live on NFS or Lustre: imports are locked)
  std::string folder;              ///< --out (default results/nightly/<spec>-<night>/)
  std::string onRegression;        ///< --on-regression CMD (through /bin/sh, summary on stdin)
  double lockTimeoutSeconds = 600; ///< --lock-timeout
  int maxConcurrent = 64;          ///< --max-jobs
};

/// Runs one night; returns the exit code (Error for invalid specs and options).
int runNightly(const NightlyOptions& o, const std::string& executable);

/// Holds an exclusive lock on `path` + ".lock" (flock; created if missing), waiting at most
/// `timeoutSeconds`: the database's writers from every host take turns, on shared storage where
/// SQLite's own locking cannot be trusted. Throws Error(kTimeout) when it cannot get it.
class DatabaseLock {
 public:
  DatabaseLock(const std::string& path, double timeoutSeconds);
  ~DatabaseLock();
  DatabaseLock(const DatabaseLock&) = delete;
  DatabaseLock& operator=(const DatabaseLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace cclbench::nightly
