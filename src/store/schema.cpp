#include "store/schema.hpp"

#include <string>
#include <vector>

#include "core/error.hpp"

namespace cclbench::store {
namespace {

/// Migration N (1-based) takes a database from version N-1 to N. Never edit a released entry:
/// add a new one.
const std::vector<const char*> kMigrations = {
    // 1: runs, their tags, measured cases with their samples (little-endian doubles, us).
    R"sql(
    CREATE TABLE runs (
      id INTEGER PRIMARY KEY,
      run_uid TEXT NOT NULL UNIQUE,
      status TEXT NOT NULL,
      source TEXT NOT NULL,
      source_file TEXT,
      started_utc TEXT,
      ended_utc TEXT,
      tool_version TEXT,
      git_revision TEXT,
      command_line TEXT,
      launcher TEXT,
      ranks INTEGER,
      hosts TEXT,
      backend TEXT,
      libraries TEXT,
      environment TEXT,
      config TEXT,
      aggregation TEXT,
      fingerprint TEXT,
      exit_code INTEGER,
      message TEXT,
      writer_host TEXT,
      writer_pid INTEGER);
    CREATE TABLE run_tags (
      run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
      tag TEXT NOT NULL,
      PRIMARY KEY (run_id, tag));
    CREATE TABLE cases (
      id INTEGER PRIMARY KEY,
      run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
      collective TEXT NOT NULL, dtype TEXT NOT NULL, redop TEXT NOT NULL, root INTEGER,
      placement TEXT NOT NULL, size_bytes INTEGER NOT NULL, count INTEGER, ranks INTEGER,
      aggregation TEXT, iterations_per_batch INTEGER, batches INTEGER,
      median_us REAL, min_us REAL, max_us REAL, ci_low_us REAL, ci_high_us REAL, cv REAL,
      algbw_gbps REAL, busbw_gbps REAL, checked INTEGER, wrong INTEGER, slowest_rank INTEGER,
      stop_reason TEXT, p50_us REAL, p99_us REAL, samples BLOB);
    CREATE INDEX cases_by_run ON cases(run_id);
    CREATE INDEX runs_by_time ON runs(started_utc);
    )sql",
    // 2: free-form labels, the topology description, lookups by fingerprint and by case key.
    R"sql(
    CREATE TABLE run_labels (
      run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
      key TEXT NOT NULL,
      value TEXT NOT NULL,
      PRIMARY KEY (run_id, key));
    ALTER TABLE runs ADD COLUMN topology TEXT;
    CREATE INDEX runs_by_fingerprint ON runs(fingerprint, started_utc);
    CREATE INDEX cases_by_key ON cases(collective, dtype, redop, placement, size_bytes);
    )sql",
    // 3: the canonical records, whole (core/record.hpp): the columns above are indexes and
    // summaries; these hold every field, so what `export` writes is what `run` wrote. A case's
    // samples stay in `samples` (exact doubles) and are left out of its record. Rows written
    // before version 3 have NULL here and are read from the columns.
    R"sql(
    ALTER TABLE runs ADD COLUMN header_record TEXT;
    ALTER TABLE runs ADD COLUMN end_record TEXT;
    ALTER TABLE cases ADD COLUMN record TEXT;
    )sql",
};

}  // namespace

int currentSchemaVersion() { return static_cast<int>(kMigrations.size()); }

int schemaVersion(sql::Database& db) {
  sql::Statement s(db, "PRAGMA user_version");
  return s.step() ? static_cast<int>(s.integer(0)) : 0;
}

void migrate(sql::Database& db, int target) {
  if (target < 0) target = currentSchemaVersion();
  const int version = schemaVersion(db);
  if (version > currentSchemaVersion()) {
    throw usageError("database " + db.path() + " has schema version " + std::to_string(version) +
                     ", newer than this cclbench understands (" +
                     std::to_string(currentSchemaVersion()) + "): use a newer cclbench");
  }
  for (int next = version + 1; next <= target; ++next) {
    sql::Transaction tx(db);
    // Another writer may have migrated while we waited for the lock.
    if (schemaVersion(db) >= next) continue;
    db.exec(kMigrations[static_cast<std::size_t>(next - 1)]);
    db.exec("PRAGMA user_version = " + std::to_string(next));
    tx.commit();
  }
}

}  // namespace cclbench::store
