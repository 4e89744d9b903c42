#pragma once
/// Sinks for records: each output format implements this small interface (run context once,
/// then tables of rows, then the end of the run). Only rank 0 creates reporters.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analysis/run_verdict.hpp"
#include "core/record.hpp"

namespace cclbench {

/// What a table is about (one per collective).
struct TableInfo {
  Collective collective;
  bool hasInPlace;                     ///< false: in-place columns show N/A
  std::vector<uint64_t> skippedBytes;  ///< sizes too small for this collective on this many ranks
  std::vector<std::string> notes;      ///< one line each, printed above the table
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

}  // namespace cclbench
