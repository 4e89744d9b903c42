#include "analysis/run_verdict.hpp"

#include <algorithm>
#include <cstdio>

#include "core/sizes.hpp"

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

std::string failureMessage(const TableSummary& s) {
  char text[256];
  if (s.wrong) {
    std::snprintf(text, sizeof text, "%s: %llu wrong elements", name(s.collective),
                  static_cast<unsigned long long>(s.wrong));
  } else {
    std::snprintf(text, sizeof text, "%s: busbw %.2f GB/s at %s is under the floor %.2f GB/s",
                  name(s.collective), s.largestBusBandwidth, formatBytes(s.largestBytes).c_str(),
                  s.busBwFloor.value_or(0));
  }
  return text;
}

}  // namespace cclbench
