/// `cclbench inspect-log FILE [--json]`: what an NCCL INFO log says NCCL did.

#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>
#include <map>
#include <set>

#include "cli/parse_args.hpp"
#include "cli/commands.hpp"
#include "core/error.hpp"
#include "core/json_text.hpp"
#include "inspect/nccl_log.hpp"

namespace cclbench {
namespace {

constexpr const char* kExamples = R"(Examples:
  cclbench inspect-log nccl.log
  cclbench inspect-log --json slurm-1234.out > nccl-log.json
  NCCL_DEBUG=INFO NCCL_DEBUG_SUBSYS=INIT,NET,GRAPH NCCL_DEBUG_FILE=nccl.%h.%p.log mpirun ...
  cclbench inspect-log nccl.node01.4242.log

Reads NCCL_DEBUG=INFO output of any job (NCCL 2.9 or newer): versions, network and NICs,
the transport of every channel per peer pair, algorithms and protocols, and warnings such as
a fallback to sockets. Launcher prefixes ([1,0]<stdout>:, srun's "0: ") are understood; lines
that are not NCCL's are counted as skipped.

Exit codes: 0 ok, 6 missing or unreadable file, or no NCCL lines in it.)";

/// Most rows of a list printed for humans; --json has them all.
constexpr std::size_t kMaxRows = 64;

struct InspectLogOptions {
  std::string path;
  bool json = false;
  bool helpShown = false;
};

InspectLogOptions parseOptions(const std::vector<std::string>& args) {
  InspectLogOptions options;
  CLI::App app{
      "Read an NCCL INFO log: transports per peer, network and NICs, algorithms and\n"
      "protocols, warnings.",
      "cclbench inspect-log"};
  app.footer(kExamples);
  app.add_option("file", options.path, "the log (NCCL_DEBUG=INFO output or an NCCL_DEBUG_FILE)")
      ->required();
  app.add_flag("--json", options.json, "print everything as one JSON document");
  options.helpShown = !parseArgs(app, args);
  return options;
}

std::string list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::string more(std::size_t total) {
  return total > kMaxRows ? "  ... " + std::to_string(total - kMaxRows) + " more (--json has all)\n"
                          : "";
}

void printRanks(const NcclLogSummary& log, std::ostream& out) {
  std::map<std::string, std::set<int>> ranksByHost, devicesByHost;
  for (const NcclRank& r : log.ranks) {
    ranksByHost[r.host].insert(r.rank);
    if (r.cudaDev) devicesByHost[r.host].insert(*r.cudaDev);
  }
  out << "ranks:   " << log.rankCount() << " in the job";
  out << (ranksByHost.empty() ? " (no rank announced its communicator)\n" : "; announced:\n");
  std::size_t shown = 0;
  for (const auto& [host, ranks] : ranksByHost) {
    if (++shown > kMaxRows) break;
    out << "  " << (host.empty() ? "(unknown host)" : host) << ": rank";
    for (int r : ranks) out << ' ' << r;
    if (!devicesByHost[host].empty()) {
      out << " (cudaDev";
      for (int d : devicesByHost[host]) out << ' ' << d;
      out << ')';
    }
    out << '\n';
  }
  out << more(ranksByHost.size());
}

void printNetwork(const NcclLogSummary& log, std::ostream& out) {
  out << "network: " << (log.networks.empty() ? "not logged" : list(log.networks));
  if (!log.ofiProvider.empty()) out << " (OFI provider " << log.ofiProvider << ")";
  out << '\n';
  std::vector<std::string> nics;
  for (const NcclNic& n : log.nics) {
    const std::string text =
        "NET/" + n.net + " " + n.label() + (n.address.empty() ? "" : " " + n.address);
    if (std::find(nics.begin(), nics.end(), text) == nics.end()) nics.push_back(text);
  }
  if (!nics.empty()) out << "NICs:    " << list(nics) << '\n';
}

void printTransports(const NcclLogSummary& log, std::ostream& out) {
  if (log.connections.empty()) {
    out << "\nno channel connection lines (one rank, or NCCL_DEBUG_SUBSYS without INIT/NET)\n";
    return;
  }
  out << "\ntransports (" << log.connectionLines() << " connection lines):\n";
  for (const auto& [kind, count] : log.transportCounts()) {
    if (count > 0) out << "  " << name(kind) << ": " << count << '\n';
  }
  const auto peers = peerTransports(log);
  out << "per peer pair (" << peers.size() << "):\n";
  for (std::size_t i = 0; i < peers.size() && i < kMaxRows; ++i) {
    const PeerTransport& p = peers[i];
    out << "  rank " << p.fromRank;
    if (p.toRank >= 0) out << " -> " << p.toRank;
    out << ": " << p.label << " on " << p.channels << " channel" << (p.channels == 1 ? "" : "s")
        << '\n';
  }
  out << more(peers.size());
}

void printGraphsAndAlgorithms(const NcclLogSummary& log, std::ostream& out) {
  if (!log.graphs.empty()) {
    out << "\ngraphs:\n";
    for (std::size_t i = 0; i < log.graphs.size() && i < kMaxRows; ++i) {
      const NcclGraph& g = log.graphs[i];
      out << "  pattern " << g.pattern << ", " << g.nChannels << " channels, path type "
          << g.typeIntra << "/" << g.typeInter << ", bw " << g.bwIntra << "/" << g.bwInter << '\n';
    }
    out << more(log.graphs.size());
  }
  const auto ranges = algorithmRanges(log);
  if (!ranges.empty()) {
    out << "\nalgorithms and protocols chosen:\n";
    for (std::size_t i = 0; i < ranges.size() && i < kMaxRows; ++i) {
      const AlgoRange& r = ranges[i];
      out << "  " << (r.collective.empty() ? "(collective not logged)" : r.collective) << ": "
          << r.algorithm << "/" << r.protocol << " for " << r.minBytes << ".." << r.maxBytes
          << " B (" << r.calls << " call" << (r.calls == 1 ? "" : "s") << ")\n";
    }
    out << more(ranges.size());
  }
  if (!log.tuning.empty()) {
    const auto available = std::count_if(log.tuning.begin(), log.tuning.end(),
                                         [](const NcclTuningCell& c) { return c.bandwidth > 0; });
    out << "\nTUNING table: " << log.tuning.size() << " cells, " << available
        << " with a non-zero bandwidth (--json lists them)\n";
  }
}

void printWarnings(const NcclLogSummary& log, std::ostream& out) {
  if (log.warnings.empty()) return;
  out << "\nwarnings:\n";
  for (const NcclWarning& w : log.warnings) {
    out << "  " << w.message;
    if (w.count > 1) out << " (" << w.count << " times)";
    out << "\n    " << w.line << '\n';
  }
}

void printReport(const NcclLogSummary& log, const std::string& path, std::ostream& out) {
  out << path << ": " << log.oneLine() << "\n\n";
  out << "NCCL:    " << (log.versions.empty() ? "version not logged" : list(log.versions)) << '\n';
  out << "hosts:   " << (log.hosts.empty() ? "not logged" : list(log.hosts)) << '\n';
  printRanks(log, out);
  printNetwork(log, out);
  printTransports(log, out);
  printGraphsAndAlgorithms(log, out);
  printWarnings(log, out);
  out << "\nlines: " << log.lines << " read, " << log.ncclLines << " from NCCL, "
      << log.skippedLines << " skipped\n";
}

}  // namespace

int inspectLogCommand(int*, char***, const std::vector<std::string>& args) {
  try {
    const InspectLogOptions options = parseOptions(args);
    if (options.helpShown) return 0;
    const NcclLogSummary log = parseNcclLogFile(options.path);
    if (log.ncclLines == 0) throw usageError("no NCCL INFO lines found in " + options.path);
    if (options.json)
      std::cout << jsonText(toJson(log), 2) << '\n';
    else
      printReport(log, options.path, std::cout);
    std::cout << std::flush;
    return 0;
  } catch (const Error& e) {
    std::cerr << "cclbench: error: " << e.what() << std::endl;
    return static_cast<int>(e.code());
  }
}

}  // namespace cclbench
