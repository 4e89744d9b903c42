#pragma once
/// The results database schema and its migrations. PRAGMA user_version holds the version; each
/// migration moves the database one version forward inside a transaction. A database newer
/// than this binary knows is refused, never modified.

#include "store/sqlite.hpp"

namespace cclbench::store {

/// The schema version this binary writes.
int currentSchemaVersion();

/// The database's version (0 for a new, empty file).
int schemaVersion(sql::Database& db);

/// Brings `db` up to `target` (default: current). Throws Error(kInvalidUsage) when the database
/// is newer than this binary.
void migrate(sql::Database& db, int target = -1);

}  // namespace cclbench::store
