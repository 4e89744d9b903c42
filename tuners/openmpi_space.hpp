#pragma once
/// Open MPI's coll/tuned component as a knob space: per collective, the algorithms the installed
/// Open MPI offers (asked with `ompi_info --param coll tuned --level 9 --parsable`), and segment
/// sizes for the algorithms that pipeline in segments. A candidate is applied either per launch
/// (`coll_tuned_use_dynamic_rules 1` and `coll_tuned_<collective>_algorithm[_segmentsize]` in the
/// MCA environment) or, inside one launch, per communicator: Open MPI 4.1 lets MPI_T change the
/// algorithm and segment size after MPI_Init, and a communicator created afterwards uses them
/// (dynamic rules must be on from MPI_Init; the MPI backend's forceCandidate).

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backends/coll_tuned.hpp"
#include "tuners/space.hpp"

namespace cclbench::tune {

struct OpenMpiAlgorithm {
  int id = 0;          ///< the value of coll_tuned_<collective>_algorithm
  std::string name;    ///< ompi_info's name (ring, segmented_ring ...)
  bool segmented = false;  ///< takes coll_tuned_<collective>_algorithm_segmentsize
  bool operator==(const OpenMpiAlgorithm&) const = default;
};

/// Algorithms per MCA collective name from `ompi_info --param coll tuned --level 9 --parsable`
/// ("ignore", 0, is left out). Empty when the text holds none.
std::map<std::string, std::vector<OpenMpiAlgorithm>> parseOmpiInfoAlgorithms(
    const std::string& parsable);

/// The segment sizes searched for segmented algorithms in the order descent walks them: smallest
/// first, then 0 (no segmentation: the whole message as one segment, beyond the largest).
const std::vector<uint64_t>& openMpiSegmentSizes();

class OpenMpiSpace final : public KnobSpace {
 public:
  /// `algorithms` as parseOmpiInfoAlgorithms returns them; `source` says where they came from.
  /// `application`: per case (coll/tuned's variables written through MPI_T, a fresh
  /// communicator per candidate: the MPI backend's --candidates) or per launch (MCA environment).
  OpenMpiSpace(std::map<std::string, std::vector<OpenMpiAlgorithm>> algorithms,
               std::string source, Application application);

  std::string name() const override { return "openmpi-coll-tuned"; }
  Application application() const override { return application_; }
  bool tunes(Collective c) const override;
  std::vector<Candidate> candidates(Collective c) const override;
  std::vector<Candidate> seeds(Collective c) const override;
  std::vector<Candidate> neighbours(Collective c, const Candidate& from) const override;
  LaunchSettings launchSettings(Collective c, const Candidate& candidate) const override;
  std::string describe(Collective c, const Candidate& candidate) const override;

  /// "ompi_info" or why the built-in table (FACTS section 7, Open MPI 4.1) was used instead.
  const std::string& source() const override { return source_; }
  const std::vector<OpenMpiAlgorithm>& algorithms(Collective c) const;

 private:
  std::map<std::string, std::vector<OpenMpiAlgorithm>> algorithms_;
  std::string source_;
  Application application_;
};

/// The space of the Open MPI on PATH: ompi_info's answer, else the built-in 4.1 table.
std::unique_ptr<OpenMpiSpace> installedOpenMpiSpace(Application application);

/// The built-in table (Open MPI 4.1's coll/tuned, as FACTS section 7 lists it).
std::map<std::string, std::vector<OpenMpiAlgorithm>> builtInOpenMpiAlgorithms();

}  // namespace cclbench::tune
