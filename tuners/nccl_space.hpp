#pragma once
/// NCCL as a knob space: per collective, the (algorithm, protocol) pairs the NCCL in use offers
/// (NVLS, NVLS tree, PAT and CollNet only where it offers them), and a channel count walked by
/// coordinate descent. Candidates are applied per call, inside one communicator, by cclbench's
/// tuner plugin in forcing mode (or by the model's simulated NCCL); the knobs are "algorithm"
/// and "protocol" as the plugin config spells them ("nvls_tree", "ll128") and "channels".
///
/// Channels: a pair without "channels" keeps NCCL's own per-call count (which depends on the
/// size); descent starts from it at one channel, the middle of the ladder and the communicator's
/// count, then walks the ladder 1, 2, 4 ... up to the communicator's count one step at a time.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tuners/space.hpp"

namespace cclbench::tune {

using NcclPair = std::pair<std::string, std::string>;  ///< (algorithm, protocol)

/// The channel counts a tune of real NCCL forces at most (NCCL's collective channels on one
/// communicator are at most 32 on the machines of FACTS section 10, 64 with NVLS doubling).
inline constexpr int kNcclMaxChannels = 32;

/// Every pair NCCL 2.28 can offer for each of `collectives` on some machine (tuning.cc's static
/// rules: broadcast and reduce ring only; all-gather and reduce-scatter ring, NVLS, CollNet
/// direct and PAT; all-reduce everything but PAT; NVLS, NVLS tree, CollNet and PAT with Simple
/// only). What this machine's NCCL does not offer fails its first trial (the plugin finds the pair
/// unavailable) and leaves the search. Collectives NCCL's tuner is not asked about get none.
std::map<Collective, std::vector<NcclPair>> ncclPairsAtMost(const std::vector<Collective>& collectives);

class NcclSpace final : public KnobSpace {
 public:
  /// `pairs`: what NCCL offers per collective; `maxChannels`: the communicator's channels;
  /// `source`: where the pairs came from (NCCL's TUNING table, the model ...).
  NcclSpace(std::map<Collective, std::vector<NcclPair>> pairs, int maxChannels, std::string source);

  std::string name() const override { return "nccl"; }
  Application application() const override { return Application::kPerCase; }
  bool tunes(Collective c) const override;
  std::vector<Candidate> candidates(Collective c) const override;
  std::vector<Candidate> seeds(Collective c) const override;
  std::vector<Candidate> neighbours(Collective c, const Candidate& from) const override;
  /// Nothing per launch: NCCL candidates are forced per call.
  LaunchSettings launchSettings(Collective c, const Candidate& candidate) const override;
  std::string describe(Collective c, const Candidate& candidate) const override;

  const std::string& source() const override { return source_; }
  int maxChannels() const { return maxChannels_; }
  /// The channel counts descent walks, ascending.
  const std::vector<int>& channelLadder() const { return ladder_; }

 private:
  std::map<Collective, std::vector<NcclPair>> pairs_;
  int maxChannels_;
  std::string source_;
  std::vector<int> ladder_;
};

}  // namespace cclbench::tune
