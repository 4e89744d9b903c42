#include "backends/coll_tuned.hpp"

#include <charconv>
#include <climits>

#include "core/error.hpp"

namespace cclbench {
namespace {

const CollTunedNames kNames[] = {
    {Collective::kAllReduce, "allreduce", 2},
    {Collective::kAllGather, "allgather", 0},
    {Collective::kReduceScatter, "reduce_scatter_block", 13},
    {Collective::kBroadcast, "bcast", 7},
    {Collective::kReduce, "reduce", 11},
    {Collective::kAllToAll, "alltoall", 3},
    {Collective::kGather, "gather", 9},
};

int knobValue(const std::string& knob, const std::string& text) {
  long long value = -1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0 || value > INT_MAX) {
    throw usageError("the Open MPI knob " + knob + " needs a whole number from 0, not '" + text + "'");
  }
  return static_cast<int>(value);
}

}  // namespace

std::optional<CollTunedNames> collTunedNames(Collective c) {
  for (const CollTunedNames& n : kNames) {
    if (n.collective == c) return n;
  }
  return std::nullopt;
}

CollTunedSetting collTunedSetting(const std::map<std::string, std::string>& knobs) {
  CollTunedSetting s;
  for (const auto& [knob, value] : knobs) {
    if (knob == kCollTunedAlgorithm) {
      s.algorithm = knobValue(knob, value);
    } else if (knob == kCollTunedSegment) {
      s.segmentBytes = knobValue(knob, value);
    } else {
      throw usageError("an Open MPI candidate has the knobs algorithm and segsize, not '" + knob + "'");
    }
  }
  if (!knobs.empty() && s.algorithm == 0) {
    throw usageError("an Open MPI candidate needs the knob algorithm (1 or more)");
  }
  return s;
}

}  // namespace cclbench
