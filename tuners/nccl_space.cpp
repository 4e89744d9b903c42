#include "tuners/nccl_space.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace cclbench::tune {
namespace {

Candidate pairCandidate(const NcclPair& p) { return {{{"algorithm", p.first}, {"protocol", p.second}}}; }

Candidate withChannels(const Candidate& c, int channels) {
  Candidate out = c;
  out.knobs["channels"] = std::to_string(channels);
  return out;
}

}  // namespace

std::map<Collective, std::vector<NcclPair>> ncclPairsAtMost(const std::vector<Collective>& collectives) {
  const std::vector<NcclPair> ring = {{"ring", "ll"}, {"ring", "ll128"}, {"ring", "simple"}};
  std::map<Collective, std::vector<NcclPair>> out;
  for (Collective c : collectives) {
    std::vector<NcclPair> pairs;
    switch (c) {
      case Collective::kBroadcast:
      case Collective::kReduce: pairs = ring; break;
      case Collective::kAllGather:
      case Collective::kReduceScatter:
        pairs = ring;
        pairs.insert(pairs.end(), {{"nvls", "simple"}, {"collnet_direct", "simple"}, {"pat", "simple"}});
        break;
      case Collective::kAllReduce:
        pairs = {{"tree", "ll"}, {"tree", "ll128"}, {"tree", "simple"}};
        pairs.insert(pairs.end(), ring.begin(), ring.end());
        pairs.insert(pairs.end(), {{"collnet_direct", "simple"}, {"collnet_chain", "simple"},
                                   {"nvls", "simple"}, {"nvls_tree", "simple"}});
        break;
      default: continue;
    }
    out[c] = std::move(pairs);
  }
  return out;
}

NcclSpace::NcclSpace(std::map<Collective, std::vector<NcclPair>> pairs, int maxChannels,
                     std::string source)
    : pairs_(std::move(pairs)), maxChannels_(maxChannels), source_(std::move(source)) {
  if (maxChannels_ < 1) throw usageError("NCCL's channel count must be 1 or more");
  for (int c = 1; c < maxChannels_; c *= 2) ladder_.push_back(c);
  ladder_.push_back(maxChannels_);
}

bool NcclSpace::tunes(Collective c) const {
  const auto it = pairs_.find(c);
  return it != pairs_.end() && !it->second.empty();
}

std::vector<Candidate> NcclSpace::candidates(Collective c) const {
  std::vector<Candidate> out{Candidate{}};
  if (!tunes(c)) return out;
  for (const NcclPair& p : pairs_.at(c)) {
    out.push_back(pairCandidate(p));
    for (int ch : ladder_) out.push_back(withChannels(pairCandidate(p), ch));
  }
  return out;
}

std::vector<Candidate> NcclSpace::seeds(Collective c) const {
  std::vector<Candidate> out{Candidate{}};
  if (!tunes(c)) return out;
  for (const NcclPair& p : pairs_.at(c)) out.push_back(pairCandidate(p));
  return out;
}

std::vector<Candidate> NcclSpace::neighbours(Collective, const Candidate& from) const {
  if (from.isDefault()) return {};
  const auto ch = from.knobs.find("channels");
  Candidate pair = from;
  pair.knobs.erase("channels");
  if (ch == from.knobs.end()) {  // NCCL's own count: one channel, half and all of the communicator's
    std::vector<Candidate> out;
    for (std::size_t i : {std::size_t{0}, ladder_.size() / 2, ladder_.size() - 1}) {
      if (out.empty() || out.back().knobs.at("channels") != std::to_string(ladder_[i])) {
        out.push_back(withChannels(pair, ladder_[i]));
      }
    }
    return out;
  }
  const auto at = std::find(ladder_.begin(), ladder_.end(), std::stoi(ch->second));
  if (at == ladder_.end()) return {};
  std::vector<Candidate> out;
  if (at != ladder_.begin()) out.push_back(withChannels(pair, *(at - 1)));
  if (at + 1 != ladder_.end()) out.push_back(withChannels(pair, *(at + 1)));
  return out;
}

LaunchSettings NcclSpace::launchSettings(Collective, const Candidate&) const { return {}; }

std::string NcclSpace::describe(Collective, const Candidate& c) const {
  if (c.isDefault()) return "default";
  std::string text = c.knobs.at("algorithm") + "/" + c.knobs.at("protocol");
  if (const auto ch = c.knobs.find("channels"); ch != c.knobs.end()) text += " " + ch->second + "ch";
  return text;
}

}  // namespace cclbench::tune
