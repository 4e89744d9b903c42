/// verifyFabric: does an NCCL INFO log show the path that was asked for?

#include <algorithm>
#include <map>
#include <set>

#include "inspect/fabric.hpp"

namespace cclbench {
namespace {

bool oneOf(const std::string& type, std::initializer_list<const char*> types) {
  return std::any_of(types.begin(), types.end(), [&](const char* t) { return type == t; });
}
bool isNvlinkPath(const std::string& type) {
  return oneOf(type, {"NVL", "NVB"});
}
bool isPciePath(const std::string& type) {
  return oneOf(type, {"PIX", "PXB", "PXN", "P2C", "PHB", "SYS"});
}
bool isNetworkFabric(Fabric f) {
  return f == Fabric::kIb || f == Fabric::kRoce || f == Fabric::kTcp;
}
bool isNet(TransportKind k) {
  return k == TransportKind::kNetIb || k == TransportKind::kNetSocket ||
         k == TransportKind::kNetOther;
}

/// Connection lines of `connections` (each collapses its identical lines).
std::size_t lines(const std::vector<const NcclConnection*>& connections) {
  std::size_t n = 0;
  for (const NcclConnection* c : connections) n += c->count;
  return n;
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

/// Up to kMaxEvidenceLines distinct lines, in the order offered.
class Evidence {
 public:
  explicit Evidence(std::vector<std::string>& lines) : lines_(lines) {}
  void add(const std::string& line) {
    if (line.empty() || lines_.size() >= kMaxEvidenceLines) return;
    if (std::find(lines_.begin(), lines_.end(), line) == lines_.end()) lines_.push_back(line);
  }
  /// One line per distinct label first, so each kind of path is shown.
  void addConnections(const std::vector<const NcclConnection*>& connections) {
    std::set<std::string> labels;
    for (const NcclConnection* c : connections) {
      if (labels.insert(c->label()).second) add(c->line);
    }
    for (const NcclConnection* c : connections) add(c->line);
  }

 private:
  std::vector<std::string>& lines_;
};

/// The link layer ("IB" or "RoCE") of NET/IB connections, from the NICs each host listed;
/// built once so a log of many connections and NICs stays cheap to verify.
class LinkLayers {
 public:
  explicit LinkLayers(const NcclLogSummary& log) {
    for (const NcclNic& n : log.nics) {
      if (n.net != "IB") continue;
      add(hosts_[n.host], n);
      add(all_, n);
    }
  }
  /// Empty when the log does not say.
  std::string of(const NcclConnection& c) const {
    const auto it = hosts_.find(c.source.host);
    // Per-rank files may name hosts differently: then any IB NIC of the log will do.
    return pick(it != hosts_.end() ? it->second : all_, c);
  }

 private:
  struct Nics {
    std::size_t count = 0;
    std::string uniform;  ///< the link layer of every NIC, unless mixed
    bool mixed = false;
    std::map<int, std::string> byIndex;
  };
  static void add(Nics& nics, const NcclNic& n) {
    if (nics.count++ == 0) nics.uniform = n.linkLayer;
    nics.mixed = nics.mixed || n.linkLayer != nics.uniform;
    nics.byIndex.emplace(n.index, n.linkLayer);
  }
  static std::string pick(const Nics& nics, const NcclConnection& c) {
    if (nics.count == 0) return {};
    if (!nics.mixed) return nics.uniform;
    const auto it = c.netDevice ? nics.byIndex.find(*c.netDevice) : nics.byIndex.end();
    return it == nics.byIndex.end() ? std::string() : it->second;
  }

  std::map<std::string, Nics> hosts_;
  Nics all_;
};

std::string linkLayerName(const std::string& linkLayer) {
  return linkLayer == "IB" ? "InfiniBand" : linkLayer;
}

std::string pathLabel(const NcclConnection& c, const LinkLayers& links) {
  if (c.kind != TransportKind::kNetIb) return c.label();
  const std::string ll = links.of(c);
  if (ll.empty()) return c.label();
  return "NET/IB over " + linkLayerName(ll) + (c.gdrdma ? " GDRDMA" : "");
}

/// "NET/Socket on 8 of 8 connections", "P2P/IPC on 256 of 320 connections, NET/... on 64".
std::string usedText(const NcclLogSummary& log, const LinkLayers& links) {
  if (log.connections.empty()) {
    return log.networks.empty() ? "no connection lines"
                                : "network " + join(log.networks) + " (no connection lines)";
  }
  std::map<std::string, std::size_t> counts;
  for (const NcclConnection& c : log.connections) counts[pathLabel(c, links)] += c.count;
  std::vector<std::pair<std::string, std::size_t>> sorted(counts.begin(), counts.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string out;
  for (const auto& [label, count] : sorted) {
    out += out.empty() ? label + " on " + std::to_string(count) + " of " +
                             std::to_string(log.connectionLines()) + " connections"
                       : ", " + label + " on " + std::to_string(count);
  }
  return out;
}

/// Hosts of ranks whose host is unambiguous in the log.
std::map<int, std::string> rankHosts(const NcclLogSummary& log) {
  std::map<int, std::string> hosts;
  std::set<int> ambiguous;
  for (const NcclRank& r : log.ranks) {
    if (r.host.empty()) continue;
    const auto [it, inserted] = hosts.emplace(r.rank, r.host);
    if (!inserted && it->second != r.host) ambiguous.insert(r.rank);
  }
  for (int rank : ambiguous) hosts.erase(rank);
  return hosts;
}

/// One host logged, and the ranks said nNodes 1 (one file of a multi-node job names one host too).
bool oneNode(const NcclLogSummary& log) {
  bool said = false;
  for (const NcclRank& r : log.ranks) {
    if (r.nNodes && *r.nNodes != 1) return false;
    said = said || r.nNodes.has_value();
  }
  return said && log.hosts.size() == 1;
}

/// Whether both ends of a connection are on one host; nothing when the log cannot say.
std::optional<bool> sameHost(const NcclConnection& c, bool oneNode,
                             const std::map<int, std::string>& hosts) {
  if (c.toRank < 0) return std::nullopt;
  if (oneNode) return true;
  auto hostOf = [&](int rank) {
    const auto it = hosts.find(rank);
    return it == hosts.end() ? std::string() : it->second;
  };
  std::string from = hostOf(c.fromRank), to = hostOf(c.toRank);
  if (!c.source.host.empty()) (c.loggingRank() == c.fromRank ? from : to) = c.source.host;
  if (from.empty() || to.empty()) return std::nullopt;
  return from == to;
}

std::string wantedNetwork(Fabric asked) {
  return asked == Fabric::kTcp ? "Socket" : "IB";
}
std::string wantedLinkLayer(Fabric asked) {
  return asked == Fabric::kIb ? "IB" : asked == Fabric::kRoce ? "RoCE" : "";
}
std::string wantedLabel(Fabric asked) {
  return asked == Fabric::kTcp ? "NET/Socket"
                                  : "NET/IB over " + linkLayerName(wantedLinkLayer(asked));
}

void addNetworkEvidence(const NcclLogSummary& log, Fabric asked, Evidence& evidence) {
  for (std::size_t i = 0; i < log.networks.size(); ++i) {
    if (log.networks[i] != wantedNetwork(asked)) evidence.add(log.networkLines[i]);
  }
  for (const NcclWarning& w : log.warnings) {
    if (w.kind == NcclWarningKind::kIbUnavailable || w.kind == NcclWarningKind::kNetPluginFailed) {
      evidence.add(w.line);
    }
  }
}

/// ib, roce, socket when the log has no connection lines: "Using network" and the NICs.
void verifyNetworkWithoutConnections(Fabric asked, const NcclLogSummary& log, FabricVerification& v,
                                     Evidence& evidence) {
  std::vector<std::string> others;
  for (const auto& n : log.networks) {
    if (n != wantedNetwork(asked)) others.push_back(n);
  }
  bool wrongLinkLayer = false;
  const std::string want = wantedLinkLayer(asked);
  if (!want.empty() && others.empty()) {
    bool anyIb = false, anyWanted = false;
    for (const NcclNic& n : log.nics) {
      if (n.net != "IB") continue;
      anyIb = true;
      anyWanted = anyWanted || n.linkLayer == want;
    }
    wrongLinkLayer = anyIb && !anyWanted;
  }
  if (!others.empty()) {
    v.detail = "NCCL chose network " + join(others) + ", not " + wantedNetwork(asked);
    addNetworkEvidence(log, asked, evidence);
  } else if (wrongLinkLayer) {
    v.detail = "the IB NICs NCCL uses are not " + linkLayerName(want);
    for (const NcclNic& n : log.nics) evidence.add(n.net == "IB" ? n.line : "");
  }
  v.ok = v.detail.empty();
  if (v.ok) {
    for (const auto& line : log.networkLines) evidence.add(line);
    for (const NcclNic& n : log.nics) evidence.add(n.line);
  }
}

void verifyNetwork(Fabric asked, const NcclLogSummary& log, const LinkLayers& links,
                   FabricVerification& v, Evidence& evidence) {
  const TransportKind kind =
      asked == Fabric::kTcp ? TransportKind::kNetSocket : TransportKind::kNetIb;
  const std::string want = wantedLinkLayer(asked);
  std::vector<const NcclConnection*> network, bad, all;
  std::set<std::string> badLabels;
  bool unknownLinkLayer = false, wrongLinkLayer = false;
  for (const NcclConnection& c : log.connections) {
    all.push_back(&c);
    if (!isNet(c.kind)) continue;
    network.push_back(&c);
    const std::string ll = c.kind == kind && !want.empty() ? links.of(c) : "";
    unknownLinkLayer = unknownLinkLayer || (c.kind == kind && !want.empty() && ll.empty());
    const bool wrongLink = !ll.empty() && ll != want;
    if (c.kind != kind || wrongLink) {
      wrongLinkLayer = wrongLinkLayer || wrongLink;
      bad.push_back(&c);
      badLabels.insert(pathLabel(c, links));
    }
  }
  if (network.empty()) {
    v.detail = "no connection went through the network";
    evidence.addConnections(all);
    return;
  }
  if (!bad.empty()) {
    v.detail = std::to_string(lines(bad)) + " of " + std::to_string(lines(network)) +
               " network connections used " + join({badLabels.begin(), badLabels.end()}) +
               " instead of " + wantedLabel(asked);
    addNetworkEvidence(log, asked, evidence);
    for (const NcclNic& n : log.nics) evidence.add(wrongLinkLayer && n.net == "IB" ? n.line : "");
    evidence.addConnections(bad);
    return;
  }
  v.ok = true;
  for (const auto& line : log.networkLines) evidence.add(line);
  evidence.addConnections(network);
  if (unknownLinkLayer) {
    v.verificationIncomplete = true;
    v.incompleteReason = "the log does not say the NICs' link layer (no \"NET/IB : Using\" line)";
  }
}

/// nvlink and pcie: P2P between same-host peers, told apart by the GRAPH lines' path type.
void verifyP2pPath(Fabric asked, const NcclLogSummary& log, FabricVerification& v,
                   Evidence& evidence, const std::vector<const NcclConnection*>& local) {
  std::vector<std::string> nvlink, pcie;
  std::vector<const NcclGraph*> nvlinkGraphs, pcieGraphs;
  for (const NcclGraph& g : log.graphs) {
    if (isNvlinkPath(g.typeIntra)) nvlinkGraphs.push_back(&g);
    if (isPciePath(g.typeIntra)) pcieGraphs.push_back(&g);
    auto& types = isNvlinkPath(g.typeIntra) ? nvlink : pcie;
    if ((isNvlinkPath(g.typeIntra) || isPciePath(g.typeIntra)) &&
        std::find(types.begin(), types.end(), g.typeIntra) == types.end()) {
      types.push_back(g.typeIntra);
    }
  }
  if (nvlinkGraphs.empty() && pcieGraphs.empty()) {
    v.ok = true;
    v.verificationIncomplete = true;
    v.incompleteReason =
        "P2P was used, but no GRAPH line tells NVLink from PCIe (GRAPH not logged, or one GPU)";
    evidence.addConnections(local);
    return;
  }
  const bool wantNvlink = asked == Fabric::kNvlink;
  const auto& wrong = wantNvlink ? pcieGraphs : nvlinkGraphs;
  const auto& right = wantNvlink ? nvlinkGraphs : pcieGraphs;
  std::vector<std::string> types = nvlink;
  types.insert(types.end(), pcie.begin(), pcie.end());
  v.used += " (GRAPH path type " + join(types) + ")";
  if (!wrong.empty()) {
    v.detail = std::string("the GRAPH lines show P2P over ") + (wantNvlink ? "PCIe" : "NVLink") +
               " (path type " + wrong.front()->typeIntra + ")";
    for (const NcclGraph* g : wrong) evidence.add(g->line);
  } else {
    v.ok = true;
    for (const NcclGraph* g : right) evidence.add(g->line);
  }
  evidence.addConnections(local);
}

/// shm, nvlink, pcie: every same-host connection must be SHM (shm) or P2P (nvlink, pcie).
void verifyLocal(Fabric asked, const NcclLogSummary& log, const LinkLayers& links,
                 FabricVerification& v, Evidence& evidence) {
  const TransportKind kind = asked == Fabric::kShm ? TransportKind::kShm : TransportKind::kP2p;
  const auto hosts = rankHosts(log);
  const bool single = oneNode(log);
  std::vector<const NcclConnection*> local, bad;
  std::set<std::string> badLabels;
  for (const NcclConnection& c : log.connections) {
    if (isNetwork(c.kind) && !sameHost(c, single, hosts).value_or(false)) continue;
    local.push_back(&c);
    if (c.kind != kind) {
      bad.push_back(&c);
      badLabels.insert(pathLabel(c, links));
    }
  }
  if (local.empty()) {
    v.ok = true;
    v.verificationIncomplete = true;
    v.incompleteReason = "no same-host connection in the log (every peer is on another host)";
    return;
  }
  if (!bad.empty()) {
    v.detail = std::to_string(lines(bad)) + " of " + std::to_string(lines(local)) +
               " same-host connections used " + join({badLabels.begin(), badLabels.end()}) +
               " instead of " + name(kind);
    evidence.addConnections(bad);
    return;
  }
  if (asked == Fabric::kShm) {
    v.ok = true;
    evidence.addConnections(local);
    return;
  }
  verifyP2pPath(asked, log, v, evidence, local);
}

}  // namespace

FabricVerification verifyFabric(Fabric asked, const NcclLogSummary& log) {
  FabricVerification v;
  v.asked = asked;
  const LinkLayers links(log);
  v.used = usedText(log, links);
  Evidence evidence(v.evidence);
  if (log.connections.empty()) {
    v.verificationIncomplete = true;
    v.incompleteReason =
        "the log has no connection lines (one rank, or NCCL_DEBUG_SUBSYS without INIT)";
    if (isNetworkFabric(asked) && !log.networks.empty()) {
      verifyNetworkWithoutConnections(asked, log, v, evidence);
    } else {
      v.ok = true;
      for (const auto& line : log.networkLines) evidence.add(line);
    }
    return v;
  }
  if (isNetworkFabric(asked)) {
    verifyNetwork(asked, log, links, v, evidence);
  } else {
    verifyLocal(asked, log, links, v, evidence);
  }
  return v;
}

}  // namespace cclbench
