#include "history_synth.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <random>

namespace cclbench::bench {
namespace {

constexpr int64_t kFirstStartEpoch = 1735711200;  // 2025-01-01T06:00:00Z
constexpr int64_t kSecondsBetweenRuns = 8 * 3600;

std::string utcText(int64_t epoch) {
  const std::time_t t = static_cast<std::time_t>(epoch);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

/// What one host of the cluster looks like, in the shape provenance.cpp writes (rank 0's host).
nlohmann::json hostTopology(const std::string& hostname, int cluster) {
  nlohmann::json gpus = nlohmann::json::array();
  nlohmann::json nics = nlohmann::json::array();
  for (int g = 0; g < 8; ++g) {
    gpus.push_back({{"index", g},
                    {"name", cluster == 2 ? "NVIDIA H200" : "NVIDIA H100 80GB HBM3"},
                    {"pci", "0000:" + std::to_string(0x18 + 0x10 * g) + ":00.0"},
                    {"numa", g / 4},
                    {"memory_mib", cluster == 2 ? 143771 : 81559},
                    {"nvlinks", 18},
                    {"pcie_gen", 5},
                    {"pcie_width", 16}});
    nics.push_back({{"name", "mlx5_" + std::to_string(g)},
                    {"link", "InfiniBand"},
                    {"rate_gbps", 400},
                    {"numa", g / 4},
                    {"pci", "0000:" + std::to_string(0x1a + 0x10 * g) + ":00.0"}});
  }
  return {{"hostname", hostname},
          {"cpu",
           {{"model", "Intel(R) Xeon(R) Platinum 8480+"},
            {"sockets", 2},
            {"cores", 112},
            {"numa_nodes", 2}}},
          {"gpus", gpus},
          {"nics", nics},
          {"nvswitch", true},
          {"nvswitch_pci_devices", 4},
          {"gpu_source", "nvml"},
          {"software",
           {{"driver", "570.124.06"},
            {"cuda_driver", "12.8"},
            {"kernel", "5.15.0-131-generic"},
            {"nccl", "2.28.9"}}}};
}

/// Time of one operation in us: latency plus bytes over the bus bandwidth of the cluster.
double modelTimeUs(Collective c, uint64_t bytes, int ranks, int cluster) {
  const double latencyUs = c == Collective::kAllToAll ? 40 : c == Collective::kAllReduce ? 25 : 18;
  const double busGBps = (cluster == 2 ? 450.0 : 360.0) * (c == Collective::kSendRecv ? 0.5 : 1.0);
  return latencyUs + static_cast<double>(bytes) * busBandwidthFactor(c, ranks) / (busGBps * 1e3);
}

/// The topology fingerprints of the three clusters runs are spread over.
const std::vector<std::string>& synthFingerprints() {
  static const std::vector<std::string> kFingerprints = {"3f9a1c0d5e7b2a64", "b81e44c2907d13fa",
                                                         "5c0d2e9f61a8b377"};
  return kFingerprints;
}

/// 7 runs in 10 are nightly; the rest tuning and acceptance runs.
std::string tagOf(int index) {
  const int kind = index % 10;
  return kind < 7 ? "nightly" : kind < 9 ? "tuning" : "acceptance";
}

int newestNightly(int runs) {
  int index = runs - 1;
  while (index > 0 && tagOf(index) != "nightly") --index;
  return index;
}

}  // namespace

const std::vector<Collective>& synthCollectives() {
  static const std::vector<Collective> kCollectives = {
      Collective::kAllReduce, Collective::kAllGather, Collective::kReduceScatter,
      Collective::kBroadcast, Collective::kReduce,    Collective::kAllToAll,
      Collective::kSendRecv};
  return kCollectives;
}

SynthRun synthRun(const SynthOptions& o, int index) {
  std::mt19937_64 rng(o.seed * 1000003u + static_cast<uint64_t>(index));
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::normal_distribution<double> gauss(0.0, 1.0);
  // 60% of runs on the first cluster, 25% and 15% on the others.
  const int slot = (index * 7) % 20;
  const int cluster = slot < 12 ? 0 : slot < 17 ? 1 : 2;
  const std::string fingerprint = synthFingerprints()[static_cast<std::size_t>(cluster)];
  const std::string tag = tagOf(index);
  const int64_t start =
      kFirstStartEpoch + index * kSecondsBetweenRuns + static_cast<int64_t>(unit(rng) * 600);
  const std::string clusterName = std::string("cluster-") + static_cast<char>('a' + cluster);

  SynthRun run;
  RunHeader& h = run.header;
  char uid[64];
  std::snprintf(uid, sizeof uid, "%s-%04d-%08llx", utcText(start).c_str(), index,
                static_cast<unsigned long long>(rng() & 0xffffffffu));
  h.runId = uid;
  h.toolVersion = "0.1.0";
  h.gitRevision = "a0031c5587c3";
  h.startUtc = utcText(start);
  h.commandLine = {"cclbench", "run", "-c", "all", "-b", "8", "-e", "4G", "-f", "2", "--tag", tag};
  h.launcher = "openmpi";
  h.ranks = o.ranks;
  const int perHost = 8;
  for (int node = 0; node * perHost < o.ranks; ++node) {
    HostEntry e{clusterName + "-n" + std::to_string(100 + (index * 2 + node) % 64), {}, {}};
    for (int r = node * perHost; r < std::min(o.ranks, (node + 1) * perHost); ++r) {
      e.ranks.push_back(r);
      e.cpus.push_back(std::to_string((r % perHost) * 14) + "-" +
                       std::to_string((r % perHost) * 14 + 13));
    }
    h.hosts.push_back(e);
  }
  h.backend = "nccl";
  h.libraryVersions = {{"nccl", "2.28.9"}, {"cuda_runtime", "12.8"}, {"cuda_driver", "12.8"}};
  h.environment = {{"NCCL_DEBUG", "WARN"},
                   {"NCCL_IB_HCA", "mlx5"},
                   {"NCCL_SOCKET_IFNAME", "eth0"},
                   {"OMPI_COMM_WORLD_SIZE", std::to_string(o.ranks)},
                   {"CUDA_VISIBLE_DEVICES", "0,1,2,3,4,5,6,7"}};
  h.config = {{"collectives", "all"},
              {"min_bytes", 8},
              {"max_bytes", 8ull << (o.sizes - 1)},
              {"step_factor", 2},
              {"dtype", "float"},
              {"placement", "out"},
              {"precision", 0.01},
              {"min_batches", o.minSamples},
              {"max_batches", o.maxSamples},
              {"check", true}};
  h.aggregation = Aggregation::kMax;
  h.fingerprint = fingerprint;
  h.topology = {{"fingerprint", fingerprint},
                {"nodes", h.hosts.size()},
                {"host", hostTopology(h.hosts[0].host, cluster)},
                {"notes", nlohmann::json::array()}};
  run.meta.tags = {tag};
  run.meta.labels = {{"cluster", clusterName}, {"job", std::to_string(880000 + index)}};

  const double runDrift = std::exp(0.015 * gauss(rng));
  // The newest nightly run (what latest:nightly picks): all-gather of 1 MiB and more 8% slower.
  const bool regressed = index == newestNightly(o.runs);
  std::uniform_int_distribution<int> sampleCount(o.minSamples, o.maxSamples);
  for (Collective c : synthCollectives()) {
    const CollectiveInfo& ci = info(c);
    for (int s = 0; s < o.sizes; ++s) {
      CaseRecord r;
      r.collective = c;
      r.dtype = DType::kFloat;
      r.op = ci.reduces ? RedOp::kSum : RedOp::kNone;
      r.root = ci.rooted ? 0 : -1;
      r.placement = Placement::kOutOfPlace;
      r.sizeBytes = uint64_t{8} << s;
      r.count = r.sizeBytes / 4;
      r.ranks = o.ranks;
      r.aggregation = Aggregation::kMax;
      double timeUs = modelTimeUs(c, r.sizeBytes, o.ranks, cluster) * runDrift;
      if (regressed && c == Collective::kAllGather && r.sizeBytes >= (1u << 20)) timeUs *= 1.08;
      r.iterationsPerBatch = std::clamp(static_cast<int>(20000.0 / timeUs), 1, 1000);
      const int n = sampleCount(rng);
      for (int k = 0; k < n; ++k) {
        const double outlier = unit(rng) < 0.05 ? 1.0 + 0.3 * unit(rng) : 1.0;
        r.samplesUs.push_back(timeUs * std::exp(0.02 * gauss(rng)) * outlier);
      }
      r.timeUs = stats::summarize(r.samplesUs);
      r.algBandwidthGBps = algorithmBytes(c, r.sizeBytes) / r.timeUs.median / 1e3;
      r.busBandwidthGBps = r.algBandwidthGBps * busBandwidthFactor(c, o.ranks);
      r.checked = true;
      r.slowestRank = static_cast<int>(rng() % static_cast<uint64_t>(o.ranks));
      r.slowestRankMedianUs = r.timeUs.median;
      r.stopReason = n == o.maxSamples ? "max-batches" : "precision";
      run.cases.push_back(std::move(r));
    }
  }
  run.trailer = {h.runId,
                 "complete",
                 0,
                 "",
                 run.cases.size(),
                 0,
                 utcText(start + 2400 + static_cast<int64_t>(unit(rng) * 300)),
                 2400.0};
  return run;
}

}  // namespace cclbench::bench
