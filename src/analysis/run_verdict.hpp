#pragma once
/// The pass/fail verdict of a run's tables: wrong elements and the busbw floor (--min-busbw,
/// NCCL_TESTS_MIN_BW) at each collective's largest size, plus nccl-tests' footer average.

#include <cstdint>
#include <optional>
#include <string>

#include "core/record.hpp"

namespace cclbench {

/// The verdict of one table, for footers and gates.
struct TableSummary {
  Collective collective;
  uint64_t wrong = 0;
  double averageBusBandwidth = 0;      ///< nccl-tests' mean of every busbw value
  std::optional<double> busBwFloor;    ///< requested floor, if any
  double largestBusBandwidth = 0;  ///< lowest busbw among rows at the largest size (out-of-place if run)
  uint64_t largestBytes = 0;
  bool belowFloor = false;
  bool failed() const { return wrong > 0 || belowFloor; }
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

/// One line saying why a table failed ("allreduce: 3 wrong elements", "... under the floor").
std::string failureMessage(const TableSummary& summary);

}  // namespace cclbench
