#include "session/provenance.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <set>
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

RunHeader collectProvenance(Bootstrap& bootstrap, const Backend& backend,
                            const RunOptions& options,
                            const std::vector<std::string>& commandLine,
                            const std::string& launcher) {
  const RunConfig& config = options.config;
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
  h.config = configJson(options);
  h.aggregation = config.aggregation;
  h.tags = options.outputs.tags;
  h.labels = {options.outputs.labels.begin(), options.outputs.labels.end()};
  if (bootstrap.place().rank != 0) return h;

  std::vector<uint64_t> perRank(static_cast<std::size_t>(h.ranks));
  std::memcpy(perRank.data(), hashes.data(), perRank.size() * sizeof(uint64_t));
  const auto nodes = std::count_if(perRank.begin(), perRank.end(), [](uint64_t v) { return v != 0; });
  h.fingerprint = combineHostHashes(perRank);
  h.topology = {{"fingerprint", h.fingerprint}, {"nodes", nodes}, {"host", toJson(host)},
                {"notes", healthNotes(host)}};

  h.environment = filterByPrefix(processEnvironment(),
                                 {"NCCL_", "UCX_", "OMPI_", "UCC_", "CCLBENCH_", "CUDA_VISIBLE",
                                  "SLURM_"});
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

std::vector<int> parseCpuList(const std::string& list) {
  std::vector<int> cpus;
  std::size_t start = 0;
  while (start < list.size()) {
    const std::size_t end = std::min(list.find(',', start), list.size());
    const std::string part = list.substr(start, end - start);
    int low = 0, high = 0;
    char tail = 0;
    if (std::sscanf(part.c_str(), "%d-%d%c", &low, &high, &tail) == 2 && low >= 0 &&
        high >= low && high - low < 65536) {
      for (int c = low; c <= high; ++c) cpus.push_back(c);
    } else if (std::sscanf(part.c_str(), "%d%c", &low, &tail) == 1 && low >= 0) {
      cpus.push_back(low);
    } else {
      return {};
    }
    start = end + 1;
  }
  return cpus;
}

nlohmann::json oversubscriptionOf(const std::vector<HostEntry>& hosts, const Environment& env) {
  nlohmann::json over = nlohmann::json::array();
  for (const HostEntry& h : hosts) {
    std::set<int> cores;
    bool known = true;
    for (const std::string& list : h.cpus) {
      const std::vector<int> cpus = parseCpuList(list);
      known = known && !cpus.empty();
      cores.insert(cpus.begin(), cpus.end());
    }
    if (known && h.ranks.size() > cores.size() && over.size() < 16) {
      over.push_back({{"host", h.host}, {"ranks", h.ranks.size()}, {"cores", cores.size()}});
    }
  }
  const auto yield = env.find("OMPI_MCA_mpi_yield_when_idle");
  nlohmann::json j = {{"oversubscribed", !over.empty()},
                      {"hosts", over},
                      {"yield_when_idle", yield == env.end() ? nlohmann::json()
                                                             : nlohmann::json(yield->second)}};
  if (yield != env.end()) {
    j["set_by"] = env.count("CCLBENCH_SET_YIELD_WHEN_IDLE") ? "cclbench" : "user";
  }
  return j;
}

std::string oversubscriptionWarning(const nlohmann::json& o) {
  if (!o.value("oversubscribed", false) || o["hosts"].empty()) return "";
  const nlohmann::json& first = o["hosts"][0];
  std::string text = "oversubscribed: " + first["ranks"].dump() + " ranks share " +
                     first["cores"].dump() + " core(s) on " + first["host"].get<std::string>();
  if (o["hosts"].size() > 1) text += " (and other hosts)";
  text += "; busy-polling ranks slow every operation (100x or more), so these figures are not the "
          "machine's";
  const nlohmann::json& yield = o["yield_when_idle"];
  if (yield.is_string() && yield.get<std::string>() != "0") {
    text += std::string("; mpi_yield_when_idle=") + yield.get<std::string>() +
            (o.value("set_by", "") == "cclbench" ? " set by cclbench" : "");
  } else {
    text += "; OMPI_MCA_mpi_yield_when_idle=1 softens it";
  }
  return text;
}

}  // namespace cclbench
