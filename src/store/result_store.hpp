#pragma once
/// The results history: every run (provenance, fingerprint, tags, labels) and every measured case
/// with its samples, in one SQLite file that concurrent writers on a host can share (WAL, busy
/// timeout, short write transactions).

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/record.hpp"

namespace cclbench {

namespace sql {
class Database;
}

/// How a run entered the history.
/// incomplete: cut short by a failure or a source without its end; interrupted: a signal ended it.
enum class RunStatus { kRunning, kComplete, kIncomplete, kInterrupted };
const char* name(RunStatus status);

/// Tags (nightly, acceptance, tuning ...) and free-form key=value labels of a run.
struct RunMeta {
  std::vector<std::string> tags;
  std::map<std::string, std::string> labels;
};

/// One run as stored (its header fields as far as the source had them).
struct StoredRun {
  int64_t id = 0;
  std::string uid;
  std::string status;  ///< running, complete, incomplete, interrupted
  std::string source;  ///< cclbench, cclbench-jsonl, nccl-tests, nccl-tests-json, osu
  std::string sourceFile;
  RunHeader header;
  std::string fingerprint;
  std::string endUtc;
  int exitCode = 0;
  std::string message;
  std::string writerHost;
  int64_t writerPid = 0;
  RunMeta meta;
  int64_t caseCount = 0;
  /// The end record as the run wrote it; for rows of schema version 2 and older, rebuilt from
  /// the columns. Absent while the run is (or was last seen) running.
  std::optional<Trailer> trailer;
};

/// A stored run as records again: what `cclbench export` writes.
struct RunRecords {
  RunHeader header;
  std::vector<CaseRecord> cases;
  std::optional<Trailer> trailer;  ///< none for a run that never ended
};

struct RunFilter {
  std::optional<std::string> tag;
  std::optional<std::string> fingerprint;
  std::optional<std::string> host;     ///< a host that took part
  std::optional<std::string> backend;
  std::optional<std::string> since;    ///< ISO date/time, inclusive
  std::optional<std::string> until;    ///< ISO date/time, exclusive
  std::optional<std::string> status;
  std::vector<std::pair<std::string, std::string>> labels;  ///< every one must match: key=value
  int limit = 0;                        ///< 0: no limit; newest first
};

class ResultStore {
 public:
  enum class Access {
    kWrite,  ///< opens or creates the database, migrating it to the current schema
    /// Reads an existing database and never changes it (no file is created, no migration); on a
    /// read-only file or mount, where SQLite cannot create its WAL files, it is opened immutable.
    kRead,
  };
  /// Throws Error: kInvalidUsage for a database that is missing (read), newer than this
  /// cclbench, or (read) older than it and not writable here.
  explicit ResultStore(const std::string& path, Access access = Access::kWrite);
  ~ResultStore();
  ResultStore(const ResultStore&) = delete;
  ResultStore& operator=(const ResultStore&) = delete;

  /// Why this path is risky (a network filesystem where SQLite's locking is unsafe), or "".
  const std::string& warning() const { return warning_; }
  const std::string& path() const;

  /// Creates a run with status `status` and returns its id.
  int64_t beginRun(const RunHeader& header, const RunMeta& meta, const std::string& source,
                   const std::string& sourceFile, RunStatus status, const std::string& fingerprint);
  /// Appends cases to a run in one transaction (committed when this returns).
  void addCases(int64_t run, const std::vector<CaseRecord>& cases);
  /// Marks a run complete (or incomplete) with the trailer's verdict.
  void finishRun(int64_t run, const Trailer& trailer, RunStatus status = RunStatus::kComplete);

  /// A whole imported run in one transaction: all of it, or nothing on any error.
  int64_t importRun(const RunHeader& header, const RunMeta& meta, const std::string& source,
                    const std::string& sourceFile, const std::vector<CaseRecord>& cases,
                    const Trailer& trailer, RunStatus status, const std::string& fingerprint);

  /// Several imported runs (one file) in one transaction: all of them, or none. Each keeps its
  /// header's topology fingerprint ("" where the source has none).
  struct Import {
    RunHeader header;
    std::string source;
    std::vector<CaseRecord> cases;
    Trailer trailer;
    RunStatus status;
  };
  std::vector<int64_t> importRuns(const std::vector<Import>& runs, const RunMeta& meta,
                                  const std::string& sourceFile);

  /// Removes every run started before `beforeUtc` (ISO time) except those in `keep`, with its
  /// cases, tags and labels, in one transaction. Returns how many were removed.
  std::size_t pruneRuns(const std::string& beforeUtc, const std::set<int64_t>& keep);

  std::vector<StoredRun> listRuns(const RunFilter& filter);
  std::optional<StoredRun> run(int64_t id);
  std::optional<int64_t> findRun(const std::string& uid);
  std::vector<CaseRecord> cases(int64_t run);
  /// Header, cases and end record of a run, every field as written (throws when there is none).
  RunRecords records(int64_t run);

 private:
  void openForReading(const std::string& path);
  int64_t insertRun(const RunHeader& header, const RunMeta& meta, const std::string& source,
                    const std::string& sourceFile, RunStatus status, const std::string& fingerprint);
  void insertCases(int64_t run, const std::vector<CaseRecord>& cases);
  void updateFinish(int64_t run, const Trailer& trailer, RunStatus status);
  void loadMeta(StoredRun& run);
  std::unique_ptr<sql::Database> db_;
  std::string warning_;
};

/// Names the problem and the fix when `path` lies on NFS, Lustre, CIFS/SMB, GPFS or another
/// network filesystem; "" for local disks.
std::string networkFilesystemWarning(const std::string& path);

}  // namespace cclbench

namespace cclbench {

/// The status to show: a run still marked running whose writer process (on this host) is gone
/// was killed, so it shows as incomplete; elsewhere "running" stays as stored.
std::string displayStatus(const StoredRun& run);

}  // namespace cclbench
