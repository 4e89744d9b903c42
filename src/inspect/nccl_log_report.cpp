/// The derived views of a parsed NCCL log: names, labels, counts, the one-line summary, peer
/// pairs, algorithm ranges and JSON.

#include <algorithm>
#include <set>
#include <tuple>

#include "inspect/nccl_log.hpp"
#include "inspect/nccl_log_lines.hpp"

namespace cclbench {

using nccl_log_detail::startsWith;

namespace {

std::string join(const std::vector<std::string>& parts, const char* separator) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += separator;
    out += p;
  }
  return out;
}

void addUnique(std::vector<std::string>& list, const std::string& item) {
  if (std::find(list.begin(), list.end(), item) == list.end()) list.push_back(item);
}

/// "IB (mlx5_5:1/RoCE)", "Socket (eth0)", "AWS Libfabric (efa)".
std::string networkWithDevices(const NcclLogSummary& log, const std::string& network) {
  std::vector<std::string> devices;
  for (const NcclNic& nic : log.nics) {
    if (nic.net == network) addUnique(devices, nic.label());
  }
  if (devices.empty() && network != "IB" && network != "Socket" && !log.ofiProvider.empty()) {
    devices.push_back(log.ofiProvider);
  }
  return devices.empty() ? network : network + " (" + join(devices, ", ") + ")";
}

std::string warningsText(const NcclLogSummary& log) {
  bool fellBack = false;
  std::size_t ncclWarns = 0;
  for (const NcclWarning& w : log.warnings) {
    fellBack = fellBack || w.kind == NcclWarningKind::kFellBackToSockets;
    if (w.kind == NcclWarningKind::kNcclWarn) ncclWarns += w.count;
  }
  std::vector<std::string> parts;
  if (fellBack) parts.push_back("fell back to sockets");
  for (const NcclWarning& w : log.warnings) {
    switch (w.kind) {
      case NcclWarningKind::kFellBackToSockets:
        break;
      case NcclWarningKind::kIbUnavailable:
        if (!fellBack) addUnique(parts, "no IB device");
        break;
      case NcclWarningKind::kNetPluginFailed:
        if (!fellBack) addUnique(parts, w.message);
        break;
      case NcclWarningKind::kGdrDisabled:
        addUnique(parts, "GPU Direct RDMA disabled");
        break;
      case NcclWarningKind::kNcclWarn:
        addUnique(parts,
                  std::to_string(ncclWarns) + " NCCL WARN line" + (ncclWarns == 1 ? "" : "s"));
        break;
    }
  }
  return join(parts, ", ");
}

template <typename T>
nlohmann::json optionalJson(const std::optional<T>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

nlohmann::json connectionJson(const NcclConnection& c) {
  return {{"channel", c.channel},
          {"conn_index", optionalJson(c.connIndex)},
          {"from", c.fromRank},
          {"to", c.toRank},
          {"from_device", c.fromDevice},
          {"to_device", c.toDevice},
          {"direction", name(c.direction)},
          {"kind", name(c.kind)},
          {"label", c.label()},
          {"transport", c.transport},
          {"net", c.netName},
          {"net_device", optionalJson(c.netDevice)},
          {"proxy_rank", optionalJson(c.proxyRank)},
          {"gdrdma", c.gdrdma},
          {"logging_rank", c.loggingRank()},
          {"launcher_rank", optionalJson(c.source.launcherRank)},
          {"host", c.source.host},
          {"lines", c.count}};
}

nlohmann::json detailsJson(const NcclLogSummary& log) {
  nlohmann::json j;
  auto& ranks = j["ranks"] = nlohmann::json::array();
  for (const NcclRank& r : log.ranks) {
    ranks.push_back({{"host", r.host},
                     {"comm", r.comm},
                     {"rank", r.rank},
                     {"nranks", r.nRanks},
                     {"cuda_dev", optionalJson(r.cudaDev)},
                     {"nnodes", optionalJson(r.nNodes)},
                     {"local_ranks", optionalJson(r.localRanks)},
                     {"bus_id", r.busId}});
  }
  auto& nics = j["nics"] = nlohmann::json::array();
  for (const NcclNic& n : log.nics) {
    nics.push_back({{"host", n.host},
                    {"net", n.net},
                    {"index", n.index},
                    {"name", n.name},
                    {"port", optionalJson(n.port)},
                    {"link_layer", n.linkLayer},
                    {"address", n.address}});
  }
  auto& graphs = j["graphs"] = nlohmann::json::array();
  for (const NcclGraph& g : log.graphs) {
    graphs.push_back({{"pattern", g.pattern},
                      {"cross_nic", g.crossNic},
                      {"channels", g.nChannels},
                      {"bw_intra", g.bwIntra},
                      {"bw_inter", g.bwInter},
                      {"type_intra", g.typeIntra},
                      {"type_inter", g.typeInter}});
  }
  auto& algorithms = j["algorithms"] = nlohmann::json::array();
  for (const NcclAlgoChoice& a : log.algorithms) {
    algorithms.push_back({{"collective", a.collective},
                          {"bytes", a.bytes},
                          {"algorithm", a.algorithm},
                          {"protocol", a.protocol},
                          {"channel_lo", optionalJson(a.channelLo)},
                          {"channel_hi", optionalJson(a.channelHi)},
                          {"count", a.count}});
  }
  auto& tuning = j["tuning"] = nlohmann::json::array();
  for (const NcclTuningCell& t : log.tuning) {
    tuning.push_back({{"collective", t.collective},
                      {"algorithm", t.algorithm},
                      {"protocol", t.protocol},
                      {"latency_us", t.latencyUs},
                      {"bandwidth", t.bandwidth}});
  }
  return j;
}

}  // namespace

const char* name(TransportKind kind) {
  switch (kind) {
    case TransportKind::kP2p:
      return "P2P";
    case TransportKind::kShm:
      return "SHM";
    case TransportKind::kNetIb:
      return "NET_IB";
    case TransportKind::kNetSocket:
      return "NET_SOCKET";
    case TransportKind::kNetOther:
      return "NET_OTHER";
    case TransportKind::kCollNet:
      return "COLLNET";
    case TransportKind::kNvls:
      return "NVLS";
    case TransportKind::kUnknown:
      return "UNKNOWN";
  }
  return "UNKNOWN";
}

const std::vector<TransportKind>& allTransportKinds() {
  static const std::vector<TransportKind> kinds = {
      TransportKind::kP2p,       TransportKind::kShm,      TransportKind::kNetIb,
      TransportKind::kNetSocket, TransportKind::kNetOther, TransportKind::kCollNet,
      TransportKind::kNvls,      TransportKind::kUnknown};
  return kinds;
}

bool isNetwork(TransportKind kind) {
  return kind == TransportKind::kNetIb || kind == TransportKind::kNetSocket ||
         kind == TransportKind::kNetOther || kind == TransportKind::kCollNet;
}

const char* name(ConnectionDirection direction) {
  switch (direction) {
    case ConnectionDirection::kSend:
      return "send";
    case ConnectionDirection::kReceive:
      return "receive";
    case ConnectionDirection::kNone:
      return "none";
  }
  return "none";
}

const char* name(NcclWarningKind kind) {
  switch (kind) {
    case NcclWarningKind::kNcclWarn:
      return "nccl_warn";
    case NcclWarningKind::kIbUnavailable:
      return "ib_unavailable";
    case NcclWarningKind::kNetPluginFailed:
      return "net_plugin_failed";
    case NcclWarningKind::kFellBackToSockets:
      return "fell_back_to_sockets";
    case NcclWarningKind::kGdrDisabled:
      return "gdr_disabled";
  }
  return "nccl_warn";
}

int NcclConnection::loggingRank() const {
  return direction == ConnectionDirection::kReceive && toRank >= 0 ? toRank : fromRank;
}

std::string NcclConnection::label() const {
  const std::string gdr = gdrdma ? " GDRDMA" : "";
  switch (kind) {
    case TransportKind::kP2p: {
      const std::string rest = transport.size() > 4 ? transport.substr(4) : "";
      return "P2P/" + rest.substr(0, rest.find_first_of("/ "));
    }
    case TransportKind::kShm:
      return "SHM";
    case TransportKind::kNetIb:
    case TransportKind::kNetSocket:
    case TransportKind::kNetOther:
      return "NET/" + netName + gdr;
    case TransportKind::kCollNet:
      return "COLLNET/" + netName + gdr;
    case TransportKind::kNvls:
      return "NVLS";
    case TransportKind::kUnknown:
      break;
  }
  return transport;
}

std::string NcclNic::label() const {
  if (net != "IB") return name;
  return name + (port ? ":" + std::to_string(*port) : "") +
         (linkLayer.empty() ? "" : "/" + linkLayer);
}

std::string NcclLogSummary::version() const {
  if (versions.empty()) return {};
  return versions.front().substr(0, versions.front().find('+'));
}

int NcclLogSummary::rankCount() const {
  int announced = 0;
  for (const NcclRank& r : ranks) announced = std::max(announced, r.nRanks);
  if (announced > 0) return announced;
  std::set<int> seen;
  for (const NcclConnection& c : connections) {
    seen.insert(c.fromRank);
    if (c.toRank >= 0) seen.insert(c.toRank);
  }
  return static_cast<int>(seen.size());
}

std::size_t NcclLogSummary::connectionLines() const {
  std::size_t lines = 0;
  for (const NcclConnection& c : connections) lines += c.count;
  return lines;
}

std::map<TransportKind, std::size_t> NcclLogSummary::transportCounts() const {
  std::map<TransportKind, std::size_t> counts;
  for (TransportKind k : allTransportKinds()) counts[k] = 0;
  for (const NcclConnection& c : connections) counts[c.kind] += c.count;
  return counts;
}

std::map<std::string, std::size_t> NcclLogSummary::labelCounts() const {
  std::map<std::string, std::size_t> counts;
  for (const NcclConnection& c : connections) counts[c.label()] += c.count;
  return counts;
}

std::string NcclLogSummary::oneLine() const {
  std::string out = "NCCL " + (version().empty() ? std::string("version unknown") : version());
  std::vector<std::string> nets;
  for (const auto& n : networks) nets.push_back(networkWithDevices(*this, n));
  if (!nets.empty()) out += (nets.size() == 1 ? ", network " : ", networks ") + join(nets, ", ");
  const auto counts = labelCounts();
  std::vector<std::pair<std::string, std::size_t>> sorted(counts.begin(), counts.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::vector<std::string> parts;
  parts.reserve(sorted.size());
  for (const auto& [label, count] : sorted) parts.push_back(label + " " + std::to_string(count));
  const std::size_t lines = connectionLines();
  out += connections.empty() ? std::string("; no connection lines")
                             : "; " + std::to_string(lines) + " connection" +
                                   (lines == 1 ? "" : "s") + ": " + join(parts, ", ");
  const std::string warned = warningsText(*this);
  if (!warned.empty()) out += "; warnings: " + warned;
  return out;
}

std::vector<PeerTransport> peerTransports(const NcclLogSummary& log) {
  std::map<std::tuple<int, int, std::string>, std::set<std::pair<int, int>>> channels;
  for (const NcclConnection& c : log.connections) {
    channels[{c.fromRank, c.toRank, c.label()}].insert({c.channel, c.connIndex.value_or(0)});
  }
  std::vector<PeerTransport> out;
  out.reserve(channels.size());
  for (const auto& [key, set] : channels) {
    out.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), set.size()});
  }
  return out;
}

std::vector<AlgoRange> algorithmRanges(const NcclLogSummary& log) {
  std::vector<AlgoRange> out;
  for (const NcclAlgoChoice& a : log.algorithms) {
    auto it = std::find_if(out.begin(), out.end(), [&](const AlgoRange& r) {
      return r.collective == a.collective && r.algorithm == a.algorithm && r.protocol == a.protocol;
    });
    if (it == out.end()) {
      out.push_back({a.collective, a.algorithm, a.protocol, a.bytes, a.bytes, 0});
      it = std::prev(out.end());
    }
    it->minBytes = std::min(it->minBytes, a.bytes);
    it->maxBytes = std::max(it->maxBytes, a.bytes);
    it->calls += a.count;
  }
  return out;
}

nlohmann::json toJson(const NcclLogSummary& log) {
  nlohmann::json j = {{"schema", kNcclLogSchemaName}, {"schema_version", kNcclLogSchemaVersion}};
  j["summary"] = log.oneLine();
  j["version"] = log.version();
  j["versions"] = log.versions;
  j["lines"] = {{"total", log.lines}, {"nccl", log.ncclLines}, {"skipped", log.skippedLines}};
  j["hosts"] = log.hosts;
  j["rank_count"] = log.rankCount();
  j["networks"] = log.networks;
  j["ofi_provider"] = log.ofiProvider;
  auto& counts = j["transport_counts"] = nlohmann::json::object();
  for (const auto& [kind, count] : log.transportCounts()) counts[name(kind)] = count;
  j["label_counts"] = log.labelCounts();
  auto& peers = j["peers"] = nlohmann::json::array();
  for (const PeerTransport& p : peerTransports(log)) {
    peers.push_back(
        {{"from", p.fromRank}, {"to", p.toRank}, {"transport", p.label}, {"channels", p.channels}});
  }
  auto& connections = j["connections"] = nlohmann::json::array();
  for (const NcclConnection& c : log.connections) connections.push_back(connectionJson(c));
  j.update(detailsJson(log));
  auto& warnings = j["warnings"] = nlohmann::json::array();
  for (const NcclWarning& w : log.warnings) {
    warnings.push_back(
        {{"kind", name(w.kind)}, {"message", w.message}, {"count", w.count}, {"line", w.line}});
  }
  j["nvls"] = {{"supported", optionalJson(log.nvlsSupported)}, {"connected", log.nvlsConnected}};
  return j;
}

}  // namespace cclbench
