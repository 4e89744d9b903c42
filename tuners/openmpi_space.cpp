#include "tuners/openmpi_space.hpp"

#include <algorithm>
#include <sstream>

#include "core/sizes.hpp"
#include "core/subprocess.hpp"

namespace cclbench::tune {
namespace {


/// Algorithms that take coll_tuned_<collective>_algorithm_segmentsize (Open MPI 4.1's
/// *_intra_do_this pass a segment size to these; the others ignore it).
bool segmentedAlgorithm(const std::string& collective, int id) {
  if (collective == "allreduce") return id == 5;           // segmented ring
  if (collective == "bcast") return id >= 2 && id <= 7;    // chain .. knomial
  if (collective == "reduce") return id >= 2 && id <= 6;   // chain .. in-order binary
  if (collective == "gather") return id == 3;              // linear_sync (first segment)
  return false;
}

Candidate candidateOf(const OpenMpiAlgorithm& a, std::optional<uint64_t> segment) {
  Candidate c;
  c.knobs[kCollTunedAlgorithm] = std::to_string(a.id);
  if (segment) c.knobs[kCollTunedSegment] = std::to_string(*segment);
  return c;
}

constexpr uint64_t kMiddleSegment = 128 << 10;
constexpr uint64_t kLargestSegment = 1 << 20;

}  // namespace

const std::vector<uint64_t>& openMpiSegmentSizes() {
  static const std::vector<uint64_t> sizes = {8 << 10, 32 << 10, 128 << 10, 512 << 10, 1 << 20, 0};
  return sizes;
}

std::map<std::string, std::vector<OpenMpiAlgorithm>> parseOmpiInfoAlgorithms(
    const std::string& parsable) {
  // mca:coll:tuned:param:coll_tuned_allreduce_algorithm:enumerator:value:4:ring
  const std::string prefix = "mca:coll:tuned:param:coll_tuned_";
  const std::string marker = "_algorithm:enumerator:value:";
  std::map<std::string, std::vector<OpenMpiAlgorithm>> out;
  std::istringstream lines(parsable);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(prefix, 0) != 0) continue;
    const auto at = line.find(marker);
    if (at == std::string::npos || at < prefix.size()) continue;
    const std::string collective = line.substr(prefix.size(), at - prefix.size());
    const std::string rest = line.substr(at + marker.size());
    const auto colon = rest.find(':');
    if (colon == std::string::npos) continue;
    int id = 0;
    try {
      id = std::stoi(rest.substr(0, colon));
    } catch (const std::exception&) {
      continue;
    }
    if (id <= 0) continue;  // 0 is "ignore": the library's own choice, the default candidate
    out[collective].push_back({id, rest.substr(colon + 1), segmentedAlgorithm(collective, id)});
  }
  for (auto& [name, list] : out) {
    std::sort(list.begin(), list.end(),
              [](const OpenMpiAlgorithm& a, const OpenMpiAlgorithm& b) { return a.id < b.id; });
  }
  return out;
}

std::map<std::string, std::vector<OpenMpiAlgorithm>> builtInOpenMpiAlgorithms() {
  const std::map<std::string, std::vector<std::string>> names = {
      {"allreduce", {"basic_linear", "nonoverlapping", "recursive_doubling", "ring",
                     "segmented_ring", "rabenseifner"}},
      {"allgather", {"linear", "bruck", "recursive_doubling", "ring", "neighbor", "two_proc"}},
      {"reduce_scatter_block", {"basic_linear", "recursive_doubling", "recursive_halving",
                                "butterfly"}},
      {"bcast", {"basic_linear", "chain", "pipeline", "split_binary_tree", "binary_tree",
                 "binomial", "knomial", "scatter_allgather", "scatter_allgather_ring"}},
      {"reduce", {"linear", "chain", "pipeline", "binary", "binomial", "in-order_binary",
                  "rabenseifner"}},
      {"alltoall", {"linear", "pairwise", "modified_bruck", "linear_sync", "two_proc"}},
      {"gather", {"basic_linear", "binomial", "linear_sync"}},
  };
  std::map<std::string, std::vector<OpenMpiAlgorithm>> out;
  for (const auto& [collective, list] : names) {
    for (std::size_t i = 0; i < list.size(); ++i) {
      const int id = static_cast<int>(i) + 1;
      out[collective].push_back({id, list[i], segmentedAlgorithm(collective, id)});
    }
  }
  return out;
}

OpenMpiSpace::OpenMpiSpace(std::map<std::string, std::vector<OpenMpiAlgorithm>> algorithms,
                           std::string source, Application application)
    : algorithms_(std::move(algorithms)), source_(std::move(source)), application_(application) {}

const std::vector<OpenMpiAlgorithm>& OpenMpiSpace::algorithms(Collective c) const {
  static const std::vector<OpenMpiAlgorithm> none;
  const auto k = collTunedNames(c);
  if (!k) return none;
  const auto it = algorithms_.find(k->mcaName);
  return it == algorithms_.end() ? none : it->second;
}

bool OpenMpiSpace::tunes(Collective c) const { return !algorithms(c).empty(); }

std::vector<Candidate> OpenMpiSpace::candidates(Collective c) const {
  std::vector<Candidate> out{Candidate{}};
  for (const OpenMpiAlgorithm& a : algorithms(c)) {
    if (!a.segmented) {
      out.push_back(candidateOf(a, std::nullopt));
      continue;
    }
    for (uint64_t s : openMpiSegmentSizes()) out.push_back(candidateOf(a, s));
  }
  return out;
}

std::vector<Candidate> OpenMpiSpace::seeds(Collective c) const {
  std::vector<Candidate> out{Candidate{}};
  for (const OpenMpiAlgorithm& a : algorithms(c)) {
    if (!a.segmented) {
      out.push_back(candidateOf(a, std::nullopt));
      continue;
    }
    // No segmentation, the middle segment size and the largest: descent walks from each. With the
    // first two only, the largest (1 MiB, the winner at 4-128 KiB and 64 MiB of the recorded
    // table) was rarely reached in time: over 60 replayed seeds the race landed within 3% of
    // exhaustive's pick at 91.2% of the sizes; with it, 96.2% at the same trial time (0.262 of
    // exhaustive's, per communicator; per launch 88.8% -> 92.6%, 0.282 -> 0.278). Every segment
    // size seeded (no walk) did less well: 95.5% and 91.6%.
    for (uint64_t s : {uint64_t{0}, kMiddleSegment, kLargestSegment}) out.push_back(candidateOf(a, s));
  }
  return out;
}

std::vector<Candidate> OpenMpiSpace::neighbours(Collective, const Candidate& from) const {
  const auto it = from.knobs.find(kCollTunedSegment);
  if (it == from.knobs.end()) return {};
  const std::vector<uint64_t>& sizes = openMpiSegmentSizes();
  const auto at = std::find(sizes.begin(), sizes.end(), std::stoull(it->second));
  if (at == sizes.end()) return {};
  std::vector<Candidate> out;
  const auto index = static_cast<std::size_t>(at - sizes.begin());
  for (std::size_t n : {index - 1, index + 1}) {
    if (n >= sizes.size()) continue;  // index - 1 wraps around below 0
    Candidate c = from;
    c.knobs[kCollTunedSegment] = std::to_string(sizes[n]);
    out.push_back(c);
  }
  return out;
}

LaunchSettings OpenMpiSpace::launchSettings(Collective c, const Candidate& candidate) const {
  LaunchSettings s;
  const auto k = collTunedNames(c);
  if (candidate.isDefault() || !k) return s;
  const std::string base = std::string("coll_tuned_") + k->mcaName + "_algorithm";
  s.mca.push_back({"coll_tuned_use_dynamic_rules", "1"});
  s.mca.push_back({base, candidate.knobs.at(kCollTunedAlgorithm)});
  if (const auto seg = candidate.knobs.find(kCollTunedSegment); seg != candidate.knobs.end()) {
    s.mca.push_back({base + "_segmentsize", seg->second});
  }
  return s;
}

std::string OpenMpiSpace::describe(Collective c, const Candidate& candidate) const {
  if (candidate.isDefault()) return "default";
  const int id = std::stoi(candidate.knobs.at(kCollTunedAlgorithm));
  std::string text = "algorithm " + std::to_string(id);
  for (const OpenMpiAlgorithm& a : algorithms(c)) {
    if (a.id == id) text = a.name;
  }
  if (const auto seg = candidate.knobs.find(kCollTunedSegment); seg != candidate.knobs.end()) {
    const uint64_t bytes = std::stoull(seg->second);
    text += bytes == 0 ? " unsegmented" : " seg " + formatBytes(bytes);
  }
  return text;
}

std::unique_ptr<OpenMpiSpace> installedOpenMpiSpace(Application application) {
  const CommandOutput info =
      runCommand({"ompi_info", "--param", "coll", "tuned", "--level", "9", "--parsable"}, 30);
  auto parsed = info.status == 0 ? parseOmpiInfoAlgorithms(info.out)
                                 : std::map<std::string, std::vector<OpenMpiAlgorithm>>{};
  if (!parsed.empty()) return std::make_unique<OpenMpiSpace>(std::move(parsed), "ompi_info", application);
  return std::make_unique<OpenMpiSpace>(
      builtInOpenMpiAlgorithms(),
      "the built-in Open MPI 4.1 table (ompi_info " +
          std::string(info.status < 0 ? "is not on PATH" : "listed no coll/tuned algorithms") + ")",
      application);
}

}  // namespace cclbench::tune
