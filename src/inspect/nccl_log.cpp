#include "inspect/nccl_log.hpp"

#include <set>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "core/error.hpp"
#include "core/input_file.hpp"
#include "inspect/nccl_log_lines.hpp"

namespace cclbench {

using namespace nccl_log_detail;

namespace {

/// Distinct warnings kept; a log full of varying WARN lines must not grow without bound.
constexpr std::size_t kMaxWarnings = 100;

/// Everything that tells one connection from another (all but its line and count).
auto connectionKey(const NcclConnection& c) {
  return std::tie(c.source.launcherRank, c.source.host, c.source.pid, c.source.device, c.channel,
                  c.connIndex, c.fromRank, c.toRank, c.fromDevice, c.toDevice, c.direction,
                  c.kind, c.transport, c.netName, c.netDevice, c.proxyRank, c.gdrdma);
}

bool sameConnection(const NcclConnection& a, const NcclConnection& b) {
  return connectionKey(a) == connectionKey(b);
}

std::size_t connectionHash(const NcclConnection& c) {
  std::size_t h = std::hash<std::string>()(c.transport);
  const auto mix = [&h](std::size_t v) { h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2); };
  mix(std::hash<std::string>()(c.source.host));
  mix(static_cast<std::size_t>(c.source.pid.value_or(-1)));
  mix(static_cast<std::size_t>(c.channel));
  mix(static_cast<std::size_t>(c.connIndex.value_or(-1)));
  mix(static_cast<std::size_t>(c.fromRank));
  mix(static_cast<std::size_t>(c.toRank));
  mix(static_cast<std::size_t>(c.direction));
  return h;
}

template <typename Key>
std::size_t indexOf(std::map<Key, std::size_t>& index, const Key& key, std::size_t next) {
  return index.emplace(key, next).first->second;
}

}  // namespace

struct NcclLogParser::State {
  NcclLogSummary log;
  std::set<std::string> hosts;
  std::set<std::string> nics;
  std::set<std::string> graphs;
  std::map<std::tuple<std::string, long, std::string, int>, std::size_t> ranks;
  std::map<std::tuple<std::string, std::uint64_t, std::string, std::string, int, int>, std::size_t>
      algorithms;
  std::map<std::tuple<std::string, std::string, std::string>, std::size_t> tuningCells;
  std::map<std::pair<NcclWarningKind, std::string>, std::size_t> warnings;
  std::map<std::pair<std::string, long>, TuningTableReader> tables;  ///< one per process
  bool socketRequested = false;  ///< NCCL_NET=Socket or NCCL_IB_DISABLE=1 was set

  void addLine(std::string_view line);
  void info(const SplitLine& split, std::string_view line);
  bool network(std::string_view message, std::string_view line);
  bool connection(const SplitLine& split, std::string_view line);
  bool nicList(const SplitLine& split, std::string_view line);
  bool rank(const SplitLine& split);
  bool graph(std::string_view message, std::string_view line);
  bool algorithm(const SplitLine& split);
  std::optional<std::tuple<std::string, long, int>> callSource;  ///< whose calls are kept in order
  bool tuningRow(const SplitLine& split);
  bool notice(std::string_view message, std::string_view line);
  void version(std::string_view text);
  void warn(NcclWarningKind kind, std::string message, std::string_view line);
  void addDerivedWarnings(NcclLogSummary& log) const;

  /// Connections by the hash of what identifies them (connectionHash), to collapse repeats.
  std::unordered_multimap<std::size_t, std::size_t> connectionsByHash;
  /// Lines kept so far per (label, host): NcclConnection::line.
  std::map<std::pair<std::string, std::string>, std::size_t> linesKept;
};

void NcclLogParser::State::addLine(std::string_view line) {
  ++log.lines;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::string valid;  // what is kept must be valid UTF-8 to go into JSON records
  if (!isAscii(line)) {
    valid = validUtf8(line);
    line = valid;
  }
  const SplitLine split = splitLine(line);
  if (split.level == LineLevel::kNone) {
    ++log.skippedLines;
    return;
  }
  ++log.ncclLines;
  if (!split.source.host.empty() && hosts.insert(split.source.host).second) {
    log.hosts.push_back(split.source.host);
  }
  switch (split.level) {
    case LineLevel::kVersion:
      version(split.message);
      break;
    case LineLevel::kWarn:
      warn(NcclWarningKind::kNcclWarn, std::string(split.message), line);
      break;
    case LineLevel::kInfo:
      info(split, line);
      break;
    default:
      break;
  }
}

void NcclLogParser::State::info(const SplitLine& split, std::string_view line) {
  const std::string_view message = split.message;
  if (startsWith(message, "NCCL version ")) {
    version(message);
    return;
  }
  // Cheapest and most frequent first; each handler recognises its own message or declines.
  if (connection(split, line) || network(message, line) || nicList(split, line) || rank(split) ||
      graph(message, line) || algorithm(split) || notice(message, line)) {
    return;
  }
  tuningRow(split);
}

void NcclLogParser::State::version(std::string_view text) {
  const std::string_view rest = trim(text.substr(std::strlen("NCCL version ")));
  const std::string token(rest.substr(0, rest.find(' ')));
  if (token.empty()) return;
  for (const auto& v : log.versions) {
    if (v == token) return;
  }
  log.versions.push_back(token);
}

bool NcclLogParser::State::network(std::string_view message, std::string_view line) {
  if (!startsWith(message, "Using network ")) return false;
  const std::string name(trim(message.substr(14)));
  for (const auto& n : log.networks) {
    if (n == name) return true;
  }
  log.networks.push_back(name);
  log.networkLines.emplace_back(line);
  return true;
}

bool NcclLogParser::State::connection(const SplitLine& split, std::string_view line) {
  if (!startsWith(split.message, "Channel ") && !startsWith(split.message, "CollNet ")) {
    return false;
  }
  auto conn = parseConnection(split.message);
  if (!conn) return true;  // ring listings ("Channel 00/04 : 0 3 6 5") and the like
  conn->source = split.source;
  const std::size_t hash = connectionHash(*conn);
  const auto [first, last] = connectionsByHash.equal_range(hash);
  for (auto it = first; it != last; ++it) {
    NcclConnection& seen = log.connections[it->second];
    if (sameConnection(seen, *conn)) {
      ++seen.count;
      return true;
    }
  }
  if (++linesKept[{conn->label(), conn->source.host}] <= kConnectionLinesKept) {
    conn->line = std::string(line);
  }
  connectionsByHash.emplace(hash, log.connections.size());
  log.connections.push_back(std::move(*conn));
  return true;
}

bool NcclLogParser::State::nicList(const SplitLine& split, std::string_view line) {
  auto list = parseNics(split.message);
  if (!list) return false;
  for (NcclNic& nic : *list) {
    nic.host = split.source.host;
    nic.line = std::string(line);
    const std::string key = nic.host + '\n' + nic.net + '\n' + std::to_string(nic.index) + '\n' +
                            nic.name + '\n' + nic.linkLayer;
    if (nics.insert(key).second) log.nics.push_back(std::move(nic));
  }
  return true;
}

bool NcclLogParser::State::rank(const SplitLine& split) {
  auto parsed = parseRank(split.message);
  if (!parsed) return false;
  parsed->host = split.source.host;
  const auto key =
      std::make_tuple(parsed->host, split.source.pid.value_or(-1), parsed->comm, parsed->rank);
  const std::size_t at = indexOf(ranks, key, log.ranks.size());
  if (at == log.ranks.size()) {
    log.ranks.push_back(std::move(*parsed));
    return true;
  }
  NcclRank& known = log.ranks[at];
  known.nRanks = parsed->nRanks;
  if (parsed->cudaDev) known.cudaDev = parsed->cudaDev;
  if (parsed->nNodes) known.nNodes = parsed->nNodes;
  if (parsed->localRanks) known.localRanks = parsed->localRanks;
  if (!parsed->busId.empty()) known.busId = parsed->busId;
  return true;
}

bool NcclLogParser::State::graph(std::string_view message, std::string_view line) {
  auto parsed = parseGraph(message);
  if (!parsed) return false;
  const std::string key = std::to_string(parsed->pattern) + '/' + std::to_string(parsed->crossNic) +
                          '/' + std::to_string(parsed->nChannels) + '/' + parsed->typeIntra + '/' +
                          parsed->typeInter;
  if (graphs.insert(key).second) {
    parsed->line = std::string(line);
    log.graphs.push_back(std::move(*parsed));
  }
  return true;
}

bool NcclLogParser::State::algorithm(const SplitLine& split) {
  auto choice = parseAlgoChoice(split.message);
  if (!choice) return false;
  const auto source = std::make_tuple(split.source.host, split.source.pid.value_or(-1),
                                      split.source.device.value_or(-1));
  if (!callSource) callSource = source;
  if (*callSource == source && log.algorithmCalls.size() < kAlgorithmCallsKept) {
    log.algorithmCalls.push_back(*choice);
  }
  const auto key =
      std::make_tuple(choice->collective, choice->bytes, choice->algorithm, choice->protocol,
                      choice->channelLo.value_or(-1), choice->channelHi.value_or(-1));
  const std::size_t at = indexOf(algorithms, key, log.algorithms.size());
  if (at == log.algorithms.size())
    log.algorithms.push_back(std::move(*choice));
  else
    ++log.algorithms[at].count;
  return true;
}

bool NcclLogParser::State::tuningRow(const SplitLine& split) {
  TuningTableReader& table = tables[{split.source.host, split.source.pid.value_or(-1)}];
  std::vector<NcclTuningCell> cells;
  if (!table.addRow(split.message, cells)) return false;
  for (NcclTuningCell& cell : cells) {
    const auto key = std::make_tuple(cell.collective, cell.algorithm, cell.protocol);
    const std::size_t at = indexOf(tuningCells, key, log.tuning.size());
    if (at == log.tuning.size())
      log.tuning.push_back(std::move(cell));
    else
      log.tuning[at] = std::move(cell);
  }
  return true;
}

/// Network provider, fallbacks, GDR, NVLS and the environment settings that explain them.
bool NcclLogParser::State::notice(std::string_view message, std::string_view line) {
  if (startsWith(message, "NET/OFI Selected ") && contains(message, "rovider is ")) {
    const std::string_view rest = message.substr(message.find("rovider is ") + 11);
    log.ofiProvider = std::string(trim(rest.substr(0, rest.find_first_of(", "))));
  } else if (startsWith(message, "NET/IB : No device found")) {
    warn(NcclWarningKind::kIbUnavailable, "no InfiniBand/RoCE device found (NET/IB)", line);
  } else if (startsWith(message, "Failed to open libibverbs")) {
    warn(NcclWarningKind::kIbUnavailable, "libibverbs not found: NET/IB unavailable", line);
  } else if (startsWith(message, "Failed to initialize NET plugin ")) {
    warn(NcclWarningKind::kNetPluginFailed,
         "NET plugin " + std::string(trim(message.substr(32))) + " failed to initialize", line);
  } else if (contains(message, "GPU Direct RDMA Disabled")) {
    warn(NcclWarningKind::kGdrDisabled, std::string(trim(message)), line);
  } else if (startsWith(message, "NVLS multicast support is ")) {
    const bool available = !contains(message, "is not available");
    log.nvlsSupported = log.nvlsSupported.value_or(false) || available;
  } else if (startsWith(message, "Connected NVLS") || startsWith(message, "NVLS comm ")) {
    log.nvlsConnected = true;
  } else if (startsWith(message, "NCCL_NET set by environment to Socket") ||
             startsWith(message, "NCCL_IB_DISABLE set by environment to 1")) {
    socketRequested = true;
  } else {
    return false;
  }
  return true;
}

void NcclLogParser::State::warn(NcclWarningKind kind, std::string message, std::string_view line) {
  const auto key = std::make_pair(kind, message);
  const auto found = warnings.find(key);
  if (found != warnings.end()) {
    ++log.warnings[found->second].count;
    return;
  }
  if (log.warnings.size() >= kMaxWarnings) return;
  warnings.emplace(key, log.warnings.size());
  log.warnings.push_back({kind, std::move(message), std::string(line), 1});
}

NcclLogParser::NcclLogParser() : state_(std::make_unique<State>()) {}
NcclLogParser::~NcclLogParser() = default;
NcclLogParser::NcclLogParser(NcclLogParser&&) noexcept = default;
NcclLogParser& NcclLogParser::operator=(NcclLogParser&&) noexcept = default;

void NcclLogParser::addLine(std::string_view line) {
  state_->addLine(line);
}

void NcclLogParser::addStream(std::istream& in) {
  std::string line;
  while (std::getline(in, line)) state_->addLine(line);
}

NcclLogSummary NcclLogParser::summary() const& {
  NcclLogSummary log = state_->log;
  state_->addDerivedWarnings(log);
  return log;
}

NcclLogSummary NcclLogParser::summary() && {
  NcclLogSummary log = std::move(state_->log);
  state_->addDerivedWarnings(log);
  return log;
}

void NcclLogParser::State::addDerivedWarnings(NcclLogSummary& log) const {
  bool ibFailed = false;
  for (const NcclWarning& w : log.warnings) {
    ibFailed = ibFailed || w.kind == NcclWarningKind::kIbUnavailable ||
               (w.kind == NcclWarningKind::kNetPluginFailed && contains(w.message, "plugin IB "));
  }
  for (std::size_t i = 0; i < log.networks.size(); ++i) {
    if (log.networks[i] != "Socket" || !ibFailed || socketRequested) continue;
    log.warnings.push_back({NcclWarningKind::kFellBackToSockets,
                            "fell back to sockets: no usable InfiniBand/RoCE device",
                            log.networkLines[i], 1});
  }
}

NcclLogSummary parseNcclLog(std::istream& in) {
  NcclLogParser parser;
  parser.addStream(in);
  return std::move(parser).summary();
}

void NcclLogParser::addFile(const std::string& path) {
  InputStream in(path);  // streams any size; never hangs on a FIFO or a device
  addStream(in);
}

NcclLogSummary parseNcclLogFile(const std::string& path) {
  NcclLogParser parser;
  parser.addFile(path);
  return std::move(parser).summary();
}

}  // namespace cclbench
