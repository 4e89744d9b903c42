#include "model/nccl_model.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace cclbench::model {
namespace {

constexpr int kBroadcast = 0, kReduce = 1, kAllGather = 2, kReduceScatter = 3, kAllReduce = 4;
enum Hw { kHwNvlink, kHwPci, kHwNet };

// NCCL 2.28.9's tuning constants (tuning.cc), indexed [algorithm][protocol] with protocols
// LL, LL128, Simple. The values are NCCL's; the arrangement is ours.
constexpr double kBaseLatency[kAlgorithms][kProtocols] = {
    {6.8, 14.0, 8.4}, {6.6, 14.0, 8.4}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {8.0, 8.0, 8.0}};
constexpr double kHwLatency[3][kAlgorithms][kProtocols] = {
    {{0.6, 1.25, 4.0}, {0.6, 1.9, 3.4}, {0, 0, 3.7}, {0, 0, 2.8}, {0, 0, 25}, {0, 0, 25}, {0, 0, 4.0}},
    {{1.0, 1.9, 4.0}, {1.0, 2.5, 5.7}, {0, 0, 3.7}, {0, 0, 2.8}, {0, 0, 0}, {0, 0, 0}, {0, 0, 4.0}},
    {{5.0, 8.5, 14}, {2.7, 4.0, 14.0}, {0, 0, 31}, {0, 0, 30}, {0, 0, 18}, {0, 0, 20.9}, {0, 0, 14}}};
// [generation or CPU row][nodes 1 / 2 / 4+]
constexpr double kLlMaxBw[4][3] = {{39.0, 39.0, 20.4}, {87.7, 22.5, 19.0}, {141.0, 45.0, 35.0}, {282.0, 90.0, 70.0}};
constexpr double kRingLl128PerChannel[4][3] = {{20, 20, 20}, {20, 20, 20}, {36.7, 36.7, 36.7}, {2 * 36.7, 34.6, 2 * 36.7}};
constexpr double kTreeLl128PerChannel[4][3] = {{20, 20, 20}, {20, 20, 20}, {36.7, 36.7, 29.0}, {55.6, 31.67, 20.0}};
constexpr double kTreePerChannel[4][3] = {{26.5, 18.5, 10.0}, {24.0, 23.6, 17.8}, {38.7, 41.4, 36.0}, {70.0, 42.8, 24.0}};
constexpr double kNvlsTreePerChannel[4][3] = {{26.5, 18.5, 10.0}, {24.0, 23.6, 17.8}, {0, 57.7, 45.5}, {0, 96.0, 43.8}};
constexpr double kNvlsEfficiency[4] = {0, 0, 0.85, 0.74};
// Tree all-reduce bandwidth correction by log2(bytes / 64), per protocol.
constexpr double kTreeCorrection[kProtocols][24] = {
    {1.0, 1.0, 1.0, 1.0, .9, .8, .7, .7, .7, .7, .6, .5, .4, .4, .5, .6, .7, .8, .9, 1.0, 1.0, 1.0, 1.0, 1.0},
    {1.0, 1.0, 1.0, 1.0, 1.0, .9, .8, .8, .8, .7, .6, .6, .6, .6, .6, .6, .8, .9, .9, .9, .9, 1.0, 1.0, 1.0},
    {.9, .9, .9, .9, .9, .9, .9, .8, .7, .6, .6, .5, .5, .5, .5, .6, .7, .8, .7, .7, .8, .9, .9, .9}};
// NCCL's per-link NVLink bandwidth by generation (topo.h), GB/s.
constexpr double kNvlinkPerLink[4] = {20.0, 20.0, 20.6, 40.1};
constexpr double kPciBw = 12.0;  // NCCL's PCI_BW: below it, ring/simple runs 256 threads
// Bytes per thread before NCCL adds channels and threads (comm.h), per protocol.
constexpr int kThreadThreshold[kProtocols] = {8, 8, 64};

int log2floor(uint64_t v) {
  int l = -1;
  while (v) {
    v >>= 1;
    ++l;
  }
  return l;
}

/// splitmix64: the deviation field's generator (the same numbers on every platform).
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
double unit(uint64_t x) { return static_cast<double>(x >> 11) * 0x1.0p-53; }

}  // namespace

const char* algorithmName(int a) {
  static const char* const names[kAlgorithms] = {"tree", "ring", "collnet_direct", "collnet_chain",
                                                 "nvls", "nvls_tree", "pat"};
  return a >= 0 && a < kAlgorithms ? names[a] : "?";
}
const char* protocolName(int p) {
  static const char* const names[kProtocols] = {"ll", "ll128", "simple"};
  return p >= 0 && p < kProtocols ? names[p] : "?";
}
std::optional<int> parseAlgorithm(const std::string& text) {
  for (int a = 0; a < kAlgorithms; ++a) {
    if (text == algorithmName(a)) return a;
  }
  return std::nullopt;
}
std::optional<int> parseProtocol(const std::string& text) {
  for (int p = 0; p < kProtocols; ++p) {
    if (text == protocolName(p)) return p;
  }
  return std::nullopt;
}

std::optional<int> ncclFunction(Collective c) {
  switch (c) {
    case Collective::kBroadcast: return kBroadcast;
    case Collective::kReduce: return kReduce;
    case Collective::kAllGather: return kAllGather;
    case Collective::kReduceScatter: return kReduceScatter;
    case Collective::kAllReduce: return kAllReduce;
    default: return std::nullopt;
  }
}

NcclModel::NcclModel(Topology t) : topology_(std::move(t)) {
  validate(topology_);
  const Topology& T = topology_;
  const int gen = static_cast<int>(T.gpu);
  const int nodes = T.nodes;
  ranks_ = T.ranks();
  const bool nvlink = T.nvlinkLinks > 0 && T.gpusPerNode > 1;
  // The graph (docs/model.md): the GPU's intra-node bandwidth, the node's network bandwidth per
  // GPU, split over the rings.
  const double intra = nvlink ? T.nvlinkLinks * kNvlinkPerLink[gen] : T.pcieGBps;
  const double net = T.nicsPerNode * T.nicGbps / 8.0 * 0.96;  // NCCL's NET_BW: 12 GB/s per 100G
  channels_ = T.channels > 0 ? T.channels
              : nodes > 1    ? std::clamp(2 * T.nicsPerNode, 2, 32)
              : nvlink       ? 16
                             : 2;
  const int C = channels_;
  const double bwIntra = intra / C;
  const double bwInter = nodes > 1 ? std::min(intra, net) / C : bwIntra;
  const bool nvlsHere = T.nvswitch && nvlink && kNvlsEfficiency[gen] > 0;
  const int nvlsChannels = 16;
  const double nvlsBwIntra = 0.81 * intra / nvlsChannels;  // calibrated: docs/model.md

  const int index2 = nodes <= 2 ? nodes - 1 : 2;
  const int index1 = nodes == 1 ? gen : (T.cpu == CpuVendor::kAmd ? 1 : 0);
  const double llMaxBw = kLlMaxBw[index1][index2];
  const double ppn = static_cast<double>(ranks_) / nodes;
  const int intraHw = nvlink ? kHwNvlink : kHwPci;
  const int hw = nodes == 1 ? intraHw : kHwNet;
  const double netOverhead = T.cpu == CpuVendor::kAmd ? 2.0 : 1.0;

  for (int a = 0; a < kAlgorithms; ++a) {
    for (int p = 0; p < kProtocols; ++p) {
      threads_[a][p] = p == kLL ? 512 : p == kLL128 ? 640 : 512;
    }
  }
  threads_[kRing][kSimple] = bwIntra * C <= kPciBw ? 256 : 512;
  threads_[kPat][kSimple] = 0;  // NCCL never sets it: PAT calls keep every channel

  if (ranks_ <= 1) return;  // one rank: a local copy, nothing is tuned
  for (int f = 0; f < 5; ++f) {
    const int nsteps = f == kAllReduce ? 2 * (ranks_ - 1)
                       : f == kReduceScatter || f == kAllGather ? ranks_ - 1
                                                                : ranks_;
    for (int a = 0; a < kAlgorithms; ++a) {
      if ((f == kBroadcast || f == kReduce) && a != kRing) continue;
      if ((f == kReduceScatter || f == kAllGather) && a != kPat && a != kRing && a != kNvls) continue;
      if (f == kAllReduce && a == kPat) continue;
      if (a == kCollNetDirect || a == kCollNetChain) continue;  // not modelled: never offered
      if (a == kNvls && (!nvlsHere || nodes > 1)) continue;      // multi-node NVLS needs CollNet
      if (a == kNvlsTree && (!nvlsHere || nodes == 1)) continue;
      if (a == kPat && !(nodes == ranks_)) continue;             // PAT: one GPU per node
      for (int p = 0; p < kProtocols; ++p) {
        if ((a == kNvls || a == kNvlsTree || a == kPat) && p != kSimple) continue;
        if (p == kLL128 && !(nvlink || T.gpusPerNode == 1)) continue;  // LL128 needs NVLink inside
        int nCh = C;
        double bw = nodes <= 2 ? bwIntra : bwInter;
        if (a == kNvls || a == kNvlsTree) {
          nCh = nvlsChannels;
          double intraBw = nvlsBwIntra * kNvlsEfficiency[gen] * (nCh - 1) / nCh;
          intraBw *= f == kAllReduce ? 2.0 : (ppn - 1) / ppn;
          const double interBw = (nodes > 1 ? std::min(intra, net) / nCh : intraBw) *
                                 (nodes <= 2 && a == kNvlsTree ? 2 : 1);
          bw = std::min({intraBw, interBw,
                         a == kNvlsTree ? kNvlsTreePerChannel[gen][index2] : std::numeric_limits<double>::max()});
        }
        double busBw = nCh * bw;
        if (a == kRing && p == kLL) busBw = std::min(llMaxBw, busBw * 0.5);
        if (a == kRing && p == kLL128) busBw = std::min(busBw * 0.92, nCh * kRingLl128PerChannel[gen][index2]);
        if (a == kTree && f == kAllReduce) busBw = std::min(busBw * 0.92, nCh * kTreePerChannel[gen][index2]);
        if (a == kTree && p == kLL) busBw = std::min(busBw / 3.8, llMaxBw);
        if (a == kTree && p == kLL128) {
          busBw = std::min(busBw * (nodes == 1 ? 7.0 / 9.0 : 120.0 / 128.0), nCh * kTreeLl128PerChannel[gen][index2]);
        }
        if (a == kPat) busBw *= 0.75;
        if (!(a != kRing && (f == kAllGather || f == kReduceScatter))) {
          busBw *= (a == kRing || a == kNvls || a == kNvlsTree) ? static_cast<double>(ranks_) / nsteps : 0.5;
        }
        bandwidth_[f][a][p] = busBw;

        double lat = kBaseLatency[a][p];
        double intraLat = kHwLatency[intraHw][a][p];
        const double interLat = ppn == 1 ? kHwLatency[kHwNet][kTree][p] : kHwLatency[kHwNet][a][p];
        if (a == kRing) {
          if (f == kReduce || f == kBroadcast) {
            lat += kHwLatency[hw][a][p];  // NCCL's "same channels" case
          } else {
            double overhead = nodes > 1 ? netOverhead * (p == kSimple ? 3 : 1) : 0;
            intraLat = std::max(intraLat, overhead);
            const int interSteps = nodes == 1 ? 0 : f == kAllReduce ? 2 * (nodes - 1) : nodes - 1;
            lat += (nsteps - interSteps) * intraLat + interSteps * interLat;
          }
        } else if (a == kTree) {
          if (f == kAllReduce) lat += 2 * ((ranks_ / nodes - 1) * intraLat + log2floor(nodes) * interLat);
        } else if (a == kNvls) {
          lat = intraLat + (nodes > 1 ? interLat : 0);
        } else if (a == kNvlsTree) {
          lat += intraLat + 2 * log2floor(nodes) * interLat;
        } else if (a == kPat) {
          lat += log2floor(nodes) * (interLat / 3.5) + ranks_ * 2.8;
        }
        latency_[f][a][p] = lat;
      }
    }
  }
}

bool NcclModel::available(Collective c, int a, int p) const {
  const auto f = ncclFunction(c);
  return f && a >= 0 && a < kAlgorithms && p >= 0 && p < kProtocols && bandwidth_[*f][a][p] > 0;
}

std::vector<std::pair<int, int>> NcclModel::pairs(Collective c) const {
  std::vector<std::pair<int, int>> out;
  for (int a = 0; a < kAlgorithms; ++a) {
    for (int p = 0; p < kProtocols; ++p) {
      if (available(c, a, p)) out.emplace_back(a, p);
    }
  }
  return out;
}

double NcclModel::callLatencyUs(int f, int a, int p, uint64_t bytes) const {
  double lat = latency_[f][a][p];
  if (a == kRing && p == kSimple && topology_.nodes > 1 && f == kAllReduce &&
      bytes / (static_cast<uint64_t>(channels_) * ranks_) >= 64) {
    lat *= topology_.gpu == GpuGeneration::kVolta ? 1.9 : 1.4;  // NCCL's ring plateau
  }
  return lat;
}

double NcclModel::estimateUs(Collective c, int a, int p, uint64_t bytes) const {
  if (!available(c, a, p)) return -1;
  const int f = *ncclFunction(c);
  double bw = bandwidth_[f][a][p];
  const int logSize = log2floor(bytes >> 6);
  if (a == kTree && f == kAllReduce && logSize >= 0 && logSize < 23) bw *= kTreeCorrection[p][logSize];
  return callLatencyUs(f, a, p, bytes) + static_cast<double>(bytes) / (1000.0 * bw);
}

int NcclModel::callChannels(int a, int p, uint64_t bytes) const {
  if (a == kNvls || a == kNvlsTree) return std::min(16, channels_);
  const int threads = threads_[a][p];
  if (threads == 0) return channels_;
  const uint64_t threshold = static_cast<uint64_t>(kThreadThreshold[p]) * (a == kRing && p == kLL ? ranks_ : 1);
  int nc = channels_;
  while (nc > 1 && bytes < static_cast<uint64_t>(nc) * threads * threshold) --nc;
  return nc;
}

double NcclModel::timeUs(Collective c, int a, int p, int channels, uint64_t bytes) const {
  const double estimate = estimateUs(c, a, p, bytes);
  if (estimate < 0 || channels <= 0) return estimate;
  // NCCL's own count is where the call saturates: fewer channels stretch the transfer, more add
  // latency (1% of the latency term per extra channel) and no bandwidth.
  const int f = *ncclFunction(c);
  const int natural = callChannels(a, p, bytes);
  const int used = std::clamp(channels, 1, channels_);
  const double lat = callLatencyUs(f, a, p, bytes);
  const double transfer = estimate - lat;
  return lat * (1 + 0.01 * std::max(0, used - natural)) +
         transfer * std::max(1.0, static_cast<double>(natural) / used);
}

Choice NcclModel::choice(Collective c, uint64_t bytes) const {
  Choice best;
  double bestEstimate = -1;
  for (const auto& [a, p] : pairs(c)) {
    const double e = estimateUs(c, a, p, bytes);
    if (bestEstimate < 0 || e < bestEstimate) {
      bestEstimate = e;
      best.algorithm = a;
      best.protocol = p;
    }
  }
  if (bestEstimate < 0) return best;
  best.channels = callChannels(best.algorithm, best.protocol, bytes);
  best.us = timeUs(c, best.algorithm, best.protocol, 0, bytes);
  return best;
}

double SimulatedNccl::deviation(Collective c, int a, int p, int channels, uint64_t bytes) const {
  const uint64_t key = mix(seed_ ^ mix(static_cast<uint64_t>(static_cast<int>(c)) * 64 + a * 4 + p));
  const double offset = (unit(mix(key + 1)) - 0.5) * 0.24;  // -12% .. +12% for the whole pair
  const double amplitude = unit(mix(key + 2)) * 0.20;      // up to +-20% along the sizes
  const double period = 5 + unit(mix(key + 3)) * 7;         // one wave every 5 to 12 doublings
  const double phase = unit(mix(key + 4)) * 6.283185307179586;
  const double x = std::log2(static_cast<double>(std::max<uint64_t>(bytes, 1)));
  double logFactor = offset + amplitude * std::sin(6.283185307179586 * x / period + phase);
  const int used = channels > 0 ? channels : model_.callChannels(a, p, bytes);
  // Up to +-4%, smooth in log2(channels): a count near NCCL's own can be a little better.
  const double chAmplitude = unit(mix(key + 5)) * 0.04;
  const double chPhase = unit(mix(key + 6)) * 6.283185307179586;
  logFactor += chAmplitude * std::sin(1.3 * std::log2(static_cast<double>(used)) + chPhase);
  return std::exp(logFactor);
}

double SimulatedNccl::trueUs(Collective c, int a, int p, int channels, uint64_t bytes) const {
  const double t = model_.timeUs(c, a, p, channels, bytes);
  return t < 0 ? t : t * deviation(c, a, p, channels, bytes);
}

double SimulatedNccl::defaultUs(Collective c, uint64_t bytes) const {
  const Choice ch = model_.choice(c, bytes);
  return trueUs(c, ch.algorithm, ch.protocol, 0, bytes);
}

}  // namespace cclbench::model
