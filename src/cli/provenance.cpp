#include "cli/provenance.hpp"

#include <cstring>
#include <random>
#include <unordered_map>

#include "build_info.hpp"
#include "core/environment.hpp"
#include "inspect/topology.hpp"
#include "launch/launch_env.hpp"

namespace cclbench {
namespace {

struct RankPlace {
  char host[96];
  char cpus[160];
};

void copyTruncated(char* dst, std::size_t size, const std::string& src) {
  std::memset(dst, 0, size);
  std::memcpy(dst, src.data(), std::min(size - 1, src.size()));
}

}  // namespace

std::string newRunId() {
  std::string stamp = utcNow();  // 2026-11-26T09:52:38Z
  std::string compact;
  for (char ch : stamp) {
    if (ch != '-' && ch != ':') compact += ch;
  }
  std::random_device device;
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "-%06x", device() & 0xffffffu);
  return compact + suffix;
}

std::string defaultRecordsPath(const std::string& runId) {
  return "results/cclbench-" + runId + ".jsonl";
}

RunHeader collectProvenance(Bootstrap& bootstrap, const Backend& backend, const RunConfig& config,
                            const std::vector<std::string>& commandLine,
                            const std::string& launcher) {
  RankPlace mine{};
  copyTruncated(mine.host, sizeof mine.host, bootstrap.place().host);
  copyTruncated(mine.cpus, sizeof mine.cpus, cpuAffinityList());
  std::vector<char> all;
  bootstrap.gatherToRoot(&mine, sizeof mine, all);

  // One probe per node (the first local rank); 8 bytes per rank reach rank 0.
  HostTopology host;
  uint64_t mineHash = 0;
  if (bootstrap.place().localRank == 0) {
    host = probeThisHost();
    for (const auto& [key, value] : backend.libraryVersions()) host.software[key] = value;
    mineHash = hostHash(host);
  }
  std::vector<char> hashes;
  bootstrap.gatherToRoot(&mineHash, sizeof mineHash, hashes);

  RunHeader h;
  h.toolVersion = build::kVersion;
  h.gitRevision = build::kGitRevision;
  h.startUtc = utcNow();
  h.commandLine = commandLine;
  h.launcher = launcher;
  h.ranks = bootstrap.place().size;
  h.backend = backend.name();
  h.libraryVersions = backend.libraryVersions();
  h.config = toJson(config);
  h.aggregation = config.aggregation;
  h.tags = config.tags;
  h.labels = {config.labels.begin(), config.labels.end()};
  if (bootstrap.place().rank != 0) return h;

  std::vector<uint64_t> perRank(static_cast<std::size_t>(h.ranks));
  std::memcpy(perRank.data(), hashes.data(), perRank.size() * sizeof(uint64_t));
  const auto nodes = std::count_if(perRank.begin(), perRank.end(), [](uint64_t v) { return v != 0; });
  h.fingerprint = combineHostHashes(perRank);
  h.topology = {{"fingerprint", h.fingerprint}, {"nodes", nodes}, {"host", toJson(host)},
                {"notes", healthNotes(host)}};

  h.environment = filterByPrefix(processEnvironment(),
                                 {"NCCL_", "UCX_", "OMPI_", "UCC_", "CCLBENCH_", "CUDA_VISIBLE"});
  const auto* places = reinterpret_cast<const RankPlace*>(all.data());
  std::unordered_map<std::string, std::size_t> hostIndex;
  for (int r = 0; r < h.ranks; ++r) {
    const std::string host = places[r].host;
    const auto [it, added] = hostIndex.emplace(host, h.hosts.size());
    if (added) h.hosts.push_back(HostEntry{host, {}, {}});
    h.hosts[it->second].ranks.push_back(r);
    h.hosts[it->second].cpus.emplace_back(places[r].cpus);
  }
  return h;
}

}  // namespace cclbench
