#pragma once
/// Runs named on the command line (compare, report): the operand grammar, and loading the runs an
/// operand names from the results database (opened on first use) or from files.
///
/// Grammar: all digits or run:ID = a run in the database (run:UID takes a run uid too);
/// file:PATH or an existing path = every run in a results file (readResultsFile);
/// latest[:TAG] = the newest run (tagged TAG) of this topology fingerprint;
/// baseline[:TAG][~N] = the N (default 5) newest such runs;
/// tune:ID = every run of a tune (label tune=ID), tune:ID:default and tune:ID:tuned = its
/// validation launches of the default and of the tuned configuration; matrix:ID = every run of a
/// `cclbench matrix` (label matrix=ID). Digits and the words latest/baseline
/// win over file names; file: and run: remove any doubt. "This topology fingerprint" is the one
/// given, else the newest run's (tagged TAG, if given).

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/record.hpp"

namespace cclbench {

enum class OperandKind { kRun, kFile, kLatest, kBaseline, kTune, kMatrix };

struct Operand {
  std::string text;
  OperandKind kind = OperandKind::kRun;
  std::string value;  ///< run id or uid, file path, tune or matrix id
  std::string purpose;  ///< tune: "" (every run), validation-default, validation-tuned
  std::optional<std::string> tag;
  int count = 1;  ///< runs a baseline takes
};

/// Throws Error(kInvalidUsage) naming the operand when it cannot be read.
Operand parseOperand(const std::string& text);

/// One run as loaded for a command.
struct ResolvedRun {
  std::string label;  ///< "run 42", "run 7 (incomplete)", "a.jsonl #2"
  int64_t id = 0;     ///< database id; 0 for runs read from files
  RunHeader header;
  std::string status;
  std::string source;
  std::string fingerprint;
  std::vector<std::string> tags;
  std::map<std::string, std::string> labels;
  std::vector<CaseRecord> cases;
};

/// Which topology fingerprint an operand's runs were picked from, and why.
struct FingerprintNote {
  std::string operand;
  std::string fingerprint;
  std::string origin;
};

/// --db, else $CCLBENCH_DB, else results/cclbench.db (also in builds without SQLite).
std::string resultsDatabasePath(const std::string& option);

class RunSources {
 public:
  /// `fingerprint` empty: latest/baseline use the newest run's.
  RunSources(std::string databasePath, std::string fingerprint);
  ~RunSources();
  RunSources(const RunSources&) = delete;
  RunSources& operator=(const RunSources&) = delete;

  /// The runs `op` names: one for a run id or latest, up to N for a baseline (leaving out
  /// `exclude`), every run of a file. Throws Error(kInvalidUsage) when nothing matches, and
  /// Error(kNotAvailable) for database operands in a build without SQLite.
  std::vector<ResolvedRun> resolve(const Operand& op, const std::set<int64_t>& exclude = {});

  /// Database runs resolved so far (a baseline resolved last can leave them out).
  const std::set<int64_t>& runIds() const { return runIds_; }
  const std::vector<FingerprintNote>& notes() const { return notes_; }
  const std::string& databasePath() const;

 private:
  class History;
  std::vector<ResolvedRun> fileRuns(const Operand& op);
  std::vector<ResolvedRun> selection(const Operand& op, const std::set<int64_t>& exclude);
  std::string fingerprintFor(const Operand& op);

  std::unique_ptr<History> history_;
  std::string fingerprint_;
  std::set<int64_t> runIds_;
  std::vector<FingerprintNote> notes_;
};

}  // namespace cclbench
