#pragma once
/// NCCL's own performance model (src/graph/tuning.cc of NCCL 2.28: latencies, per-channel
/// bandwidths, protocol factors, the tree correction; FACTS section 10), written afresh for a
/// described topology, and a seeded "truth" around it for tuning tests at scales no machine here
/// has. Everything it produces is modelled, and every output that shows it says so.
///
/// What NCCL's topology search would find is approximated from the description (docs/model.md):
/// channels, per-channel intra- and inter-node bandwidth, the NVLS graph. CollNet is not modelled
/// (it needs a SHARP-capable network plugin): the model never offers it.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/collective.hpp"
#include "model/topology.hpp"

namespace cclbench::model {

/// NCCL's algorithm and protocol indices (the tuner plugin's cost-table layout).
enum Algorithm { kTree, kRing, kCollNetDirect, kCollNetChain, kNvls, kNvlsTree, kPat };
enum Protocol { kLL, kLL128, kSimple };
inline constexpr int kAlgorithms = 7;
inline constexpr int kProtocols = 3;
/// Spelled as the plugin config spells them ("nvls_tree", "ll128").
const char* algorithmName(int algorithm);
const char* protocolName(int protocol);
std::optional<int> parseAlgorithm(const std::string& text);
std::optional<int> parseProtocol(const std::string& text);

/// NCCL's ncclFunc_t index of a collective its tuner is asked about (broadcast 0, reduce 1,
/// allgather 2, reducescatter 3, allreduce 4); nothing for the rest.
std::optional<int> ncclFunction(Collective c);

/// What NCCL runs for one call.
struct Choice {
  int algorithm = kRing;
  int protocol = kSimple;
  int channels = 0;
  double us = 0;  ///< the model's time of it
};

class NcclModel {
 public:
  explicit NcclModel(Topology topology);

  const Topology& topology() const { return topology_; }
  /// The communicator's channels (what a forced count may go up to).
  int channels() const { return channels_; }

  /// Whether NCCL offers (algorithm, protocol) for `c` here (its bandwidth entry is not 0).
  bool available(Collective c, int algorithm, int protocol) const;
  /// Every offered pair for `c`, in cost-table order.
  std::vector<std::pair<int, int>> pairs(Collective c) const;

  /// NCCL's estimate for one call of `bytes` (total bytes, the size column; numPipeOps 1), in
  /// microseconds; -1 where the pair is not offered.
  double estimateUs(Collective c, int algorithm, int protocol, uint64_t bytes) const;
  /// The channels NCCL uses for that call: fewer than the communicator's while the call is too
  /// small to give every thread its threshold of bytes.
  int callChannels(int algorithm, int protocol, uint64_t bytes) const;
  /// The model's time of the call with `channels` forced (0: NCCL's own count, whose time is the
  /// estimate): fewer channels than NCCL's own count stretch the transfer term by their ratio,
  /// more add 1% of the latency term each and no bandwidth.
  double timeUs(Collective c, int algorithm, int protocol, int channels, uint64_t bytes) const;
  /// What NCCL picks: the lowest estimate among the offered pairs, with its own channel count.
  Choice choice(Collective c, uint64_t bytes) const;

 private:
  /// The latency term of one call (NCCL's ring plateau included).
  double callLatencyUs(int function, int algorithm, int protocol, uint64_t bytes) const;

  Topology topology_;
  int channels_ = 0;
  int ranks_ = 0;
  // [function][algorithm][protocol]: algorithm bandwidth (GB/s, 0 = not offered), latency (us)
  std::array<std::array<std::array<double, kProtocols>, kAlgorithms>, 5> bandwidth_{};
  std::array<std::array<std::array<double, kProtocols>, kAlgorithms>, 5> latency_{};
  std::array<std::array<int, kProtocols>, kAlgorithms> threads_{};
};

/// The model's "truth" for tuning tests: timeUs times a seeded deviation that varies smoothly
/// with the size, per (collective, algorithm, protocol), and a little with the channel count
/// (docs/model.md gives the formula), so that NCCL's own pick is not always the fastest and a
/// search has something real to find. The same seed gives the same field on every machine.
class SimulatedNccl {
 public:
  SimulatedNccl(const NcclModel& model, uint64_t seed) : model_(model), seed_(seed) {}
  const NcclModel& model() const { return model_; }
  uint64_t seed() const { return seed_; }
  /// The true time of the call (channels 0: NCCL's own count).
  double trueUs(Collective c, int algorithm, int protocol, int channels, uint64_t bytes) const;
  /// The true time of what NCCL picks by itself.
  double defaultUs(Collective c, uint64_t bytes) const;
  /// The deviation factor alone.
  double deviation(Collective c, int algorithm, int protocol, int channels, uint64_t bytes) const;

 private:
  const NcclModel& model_;
  uint64_t seed_;
};

}  // namespace cclbench::model
