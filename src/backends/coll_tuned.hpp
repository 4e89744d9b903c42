#pragma once
/// Open MPI's coll/tuned component: its names for cclbench's collectives (the MCA variables
/// coll_tuned_<name>_algorithm[_segmentsize] and the ids of a dynamic rules file), and the knobs
/// of a tuning candidate ("algorithm", "segsize"). The MPI backend forces candidates with them;
/// the tuner's Open MPI space and its rules-file emitter name the same variables.

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/collective.hpp"

namespace cclbench {

struct CollTunedNames {
  Collective collective;
  const char* mcaName;  ///< allreduce, allgather, reduce_scatter_block (MPI_Reduce_scatter_block) ...
  int rulesId;          ///< its id in a dynamic rules file (FACTS section 7)
};

/// The collectives coll/tuned can force; nullopt for the others (send/recv, point-to-point).
std::optional<CollTunedNames> collTunedNames(Collective c);

inline constexpr const char* kCollTunedAlgorithm = "algorithm";
inline constexpr const char* kCollTunedSegment = "segsize";

/// A candidate's values for coll_tuned_<name>_algorithm and _segmentsize: {0, 0} (Open MPI's own
/// choice) for empty knobs. Throws Error(kInvalidUsage) naming a knob it does not know or a value
/// that is not a number.
struct CollTunedSetting {
  int algorithm = 0;
  int segmentBytes = 0;
};
CollTunedSetting collTunedSetting(const std::map<std::string, std::string>& knobs);

}  // namespace cclbench
