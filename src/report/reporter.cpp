#include "report/reporter.hpp"

#include <algorithm>

namespace cclbench {

TableTally::TableTally(Collective collective, std::optional<double> floor) {
  summary_.collective = collective;
  summary_.busBwFloor = floor;
}

void TableTally::add(const RowRecords& row) {
  for (const auto* record : {&row.outOfPlace, &row.inPlace}) {
    if (!*record) continue;
    summary_.wrong += (*record)->wrong;
    busBwSum_ += (*record)->busBandwidthGBps;
    ++busBwCount_;
  }
  const CaseRecord& main = row.outOfPlace ? *row.outOfPlace : *row.inPlace;
  // The floor applies to every row (type, op) at the largest size: keep the lowest of them.
  if (main.sizeBytes > summary_.largestBytes || !haveLargest_) {
    haveLargest_ = true;
    summary_.largestBytes = main.sizeBytes;
    summary_.largestBusBandwidth = main.busBandwidthGBps;
  } else if (main.sizeBytes == summary_.largestBytes) {
    summary_.largestBusBandwidth = std::min(summary_.largestBusBandwidth, main.busBandwidthGBps);
  }
}

TableSummary TableTally::summary() const {
  TableSummary s = summary_;
  s.averageBusBandwidth = busBwCount_ ? busBwSum_ / static_cast<double>(busBwCount_) : 0;
  s.belowFloor = s.busBwFloor && s.largestBusBandwidth < *s.busBwFloor;
  return s;
}

}  // namespace cclbench
