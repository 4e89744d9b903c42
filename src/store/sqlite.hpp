#pragma once
/// A thin RAII layer over the SQLite C API: connections, prepared statements, transactions.
/// Every failure becomes a cclbench::Error naming the database file and the statement.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace cclbench::sql {

class Database;

/// A prepared statement; bind parameters by 1-based index, step through rows.
class Statement {
 public:
  Statement(Database& db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, int64_t value);
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view text);
  Statement& bindBlob(int index, const void* data, std::size_t bytes);
  Statement& bindNull(int index);
  Statement& bindOptional(int index, const std::optional<std::string>& text);

  /// Advances to the next row; false when done.
  bool step();
  /// Runs a statement that returns no rows, then resets it for reuse.
  void run();
  void reset();

  int64_t integer(int column) const;
  double real(int column) const;
  std::string text(int column) const;
  std::vector<char> blob(int column) const;
  bool isNull(int column) const;

 private:
  Database& db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string sql_;
};

class Database {
 public:
  enum class Access {
    kCreate,     ///< read and write, created when missing
    kReadOnly,   ///< read only (another process may still write: WAL files are used)
    kImmutable,  ///< read only, on a file nothing writes (a read-only mount): no WAL files
  };
  /// Opens the database at `path`; throws Error(kInvalidUsage) if it cannot.
  Database(const std::string& path, Access access);
  Database(const std::string& path, bool create)
      : Database(path, create ? Access::kCreate : Access::kReadOnly) {}
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void exec(std::string_view sql);
  int64_t lastInsertId() const;
  const std::string& path() const { return path_; }
  sqlite3* handle() const { return db_; }
  /// Throws Error with `what` and SQLite's message.
  [[noreturn]] void fail(const std::string& what) const;

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

/// BEGIN IMMEDIATE on construction (takes the write lock up front, so concurrent writers wait
/// for the busy timeout instead of failing mid-transaction); ROLLBACK unless commit() was called.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  void commit();

 private:
  Database& db_;
  bool done_ = false;
};

}  // namespace cclbench::sql
