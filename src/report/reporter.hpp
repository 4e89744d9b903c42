#pragma once
/// Sinks for records: each output format implements this small interface (run context once,
/// then tables of rows, then the end of the run). Only rank 0 creates reporters.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/record.hpp"

namespace cclbench {

/// What a table is about (one per collective).
struct TableInfo {
  Collective collective;
  bool hasInPlace;                     ///< false: in-place columns show N/A
  std::vector<uint64_t> skippedBytes;  ///< sizes too small for this collective on this many ranks
  std::vector<std::string> notes;      ///< one line each, printed above the table
};

/// One table row: the out-of-place and in-place records of one (type, op, size).
struct RowRecords {
  std::optional<CaseRecord> outOfPlace;
  std::optional<CaseRecord> inPlace;
};

/// The verdict of one table, for footers and gates.
struct TableSummary {
  Collective collective;
  uint64_t wrong = 0;
  double averageBusBandwidth = 0;      ///< nccl-tests' mean of every busbw value
  std::optional<double> busBwFloor;    ///< requested floor, if any
  double largestBusBandwidth = 0;  ///< lowest busbw among rows at the largest size (out-of-place if run)
  uint64_t largestBytes = 0;
  bool belowFloor = false;
};

class Reporter {
 public:
  virtual ~Reporter() = default;
  virtual void beginRun(const RunHeader& header) = 0;
  virtual void beginTable(const TableInfo& table) = 0;
  virtual void row(const RowRecords& row) = 0;
  virtual void endTable(const TableSummary& summary) = 0;
  /// Called once at the end, also when the run failed after it began.
  virtual void endRun(const Trailer& trailer) = 0;
};

/// Forwards every event to several reporters in order.
class ReporterList final : public Reporter {
 public:
  void add(std::unique_ptr<Reporter> reporter) { reporters_.push_back(std::move(reporter)); }
  void beginRun(const RunHeader& h) override { for (auto& r : reporters_) r->beginRun(h); }
  void beginTable(const TableInfo& t) override { for (auto& r : reporters_) r->beginTable(t); }
  void row(const RowRecords& row) override { for (auto& r : reporters_) r->row(row); }
  void endTable(const TableSummary& s) override { for (auto& r : reporters_) r->endTable(s); }
  void endRun(const Trailer& t) override { for (auto& r : reporters_) r->endRun(t); }

 private:
  std::vector<std::unique_ptr<Reporter>> reporters_;
};

/// Accumulates rows into a table's summary (footer values and the busbw floor verdict).
class TableTally {
 public:
  TableTally(Collective collective, std::optional<double> floor);
  void add(const RowRecords& row);
  TableSummary summary() const;

 private:
  TableSummary summary_;
  double busBwSum_ = 0;
  std::size_t busBwCount_ = 0;
  bool haveLargest_ = false;
};

}  // namespace cclbench
