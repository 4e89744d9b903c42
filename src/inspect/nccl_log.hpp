#pragma once
/// Parser of NCCL INFO debug logs (NCCL_DEBUG=INFO, any subsystems, NCCL 2.9 .. 2.29) from any
/// job: NCCL version, hosts and ranks, the network and its NICs, every channel's transport,
/// topology graphs, algorithm/protocol choices, the TUNING table, and warnings. Lines may carry
/// launcher prefixes (Open MPI "[1,0]<stdout>:", srun "0: ", MPICH "[0] "). Lines it does not
/// understand are counted as skipped, never fatal; it keeps only what it extracts, not the log.

#include <cstddef>
#include <cstdint>
#include <istream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace cclbench {

/// 2: identical connection lines are one connection with a line count ("lines").
inline constexpr int kNcclLogSchemaVersion = 2;
inline constexpr const char* kNcclLogSchemaName = "cclbench.nccl-log";

/// How two ranks' buffers are connected on one channel.
enum class TransportKind {
  kP2p,        ///< P2P/IPC, P2P/CUMEM, P2P/direct pointer, P2P/indirect (NVLink or PCIe)
  kShm,        ///< SHM/direct, "direct shared memory" (through host memory)
  kNetIb,      ///< NET/IB (and IB-verbs plugins named IB*, e.g. IBext): InfiniBand or RoCE
  kNetSocket,  ///< NET/Socket (TCP)
  kNetOther,   ///< another net plugin (AWS Libfabric, ...): its name is kept
  kCollNet,    ///< COLLNET (in-network reductions, e.g. SHARP)
  kNvls,       ///< NVLink SHARP
  kUnknown,
};

/// "P2P", "SHM", "NET_IB", "NET_SOCKET", "NET_OTHER", "COLLNET", "NVLS", "UNKNOWN".
const char* name(TransportKind kind);
/// Every kind, in declaration order.
const std::vector<TransportKind>& allTransportKinds();
/// True for the kinds that go through a network plugin (NET_* and COLLNET).
bool isNetwork(TransportKind kind);

enum class ConnectionDirection { kNone, kSend, kReceive };
/// "none", "send", "receive".
const char* name(ConnectionDirection direction);

/// Where a line came from: the launcher's tag and NCCL's "host:pid:tid [dev]" header.
struct NcclLineSource {
  std::optional<int> launcherRank;  ///< from "[1,R]<stdout>:", "R: " or "[R] "
  std::string host;                 ///< empty when the line had no NCCL header
  std::optional<long> pid;
  std::optional<int> device;  ///< the "[dev]" of the header: the CUDA device of the thread
};

/// Calls whose algorithm choice is kept in order (NcclLogSummary::algorithmCalls).
inline constexpr std::size_t kAlgorithmCallsKept = 100000;

/// Connections of one (label, host) whose line is kept (NcclConnection::line).
inline constexpr std::size_t kConnectionLinesKept = 5;  ///< as many as a fabric verdict shows

/// One "Channel NN/K : A[x] -> B[y] [send] via ..." (or CollNet) line.
struct NcclConnection {
  NcclLineSource source;
  int channel = -1;
  std::optional<int> connIndex;  ///< the "/K" after the channel (NCCL 2.12 and newer)
  int fromRank = -1;
  int toRank = -1;                   ///< -1 for CollNet lines, which name one rank
  std::string fromDevice, toDevice;  ///< bracket text: NVML device (2.13+) or bus id (older)
  ConnectionDirection direction = ConnectionDirection::kNone;
  TransportKind kind = TransportKind::kUnknown;
  std::string transport;         ///< the raw text after "via ", e.g. "NET/IB/1(2)/GDRDMA/Shared"
  std::string netName;           ///< NET and COLLNET only: plugin name, e.g. "IB", "AWS Libfabric"
  std::optional<int> netDevice;  ///< NET/<name>/<dev>
  std::optional<int> proxyRank;  ///< NET/<name>/<dev>(<proxy rank>): PXN
  bool gdrdma = false;           ///< "/GDRDMA": the NIC reads and writes GPU memory directly
  /// How many lines listed this very connection (same source, channel, ranks and transport): a
  /// log of many communicator inits, or one file fed twice, keeps one entry per connection.
  std::size_t count = 1;
  /// The first line that listed it (launcher prefix included), as evidence. Kept for the first
  /// kConnectionLinesKept connections of each (label, host) only, empty for later ones: a log of
  /// a million connections keeps the lines of a few per host, not a million lines.
  std::string line;

  /// The NCCL rank that printed the line: the receiver for [receive], else the sender.
  int loggingRank() const;
  /// Short transport name for reports: "P2P/IPC", "P2P/CUMEM", "SHM", "NET/IB GDRDMA",
  /// "NET/Socket", "NET/AWS Libfabric GDRDMA", "COLLNET/SHARP".
  std::string label() const;
};

/// A rank as NCCL announced it ("ncclCommInitRank comm ... rank R nranks N cudaDev D ..." or
/// "comm ... rank R nRanks N nNodes M localRanks L ...").
struct NcclRank {
  std::string host;
  std::string comm;  ///< the communicator's address as logged
  int rank = -1;
  int nRanks = 0;
  std::optional<int> cudaDev;
  std::optional<int> nNodes;
  std::optional<int> localRanks;
  std::string busId;
};

/// A NIC NCCL said it uses ("NET/IB : Using [0]mlx5_5:1/RoCE ...", "NET/Socket : Using
/// [0]eth0:...").
struct NcclNic {
  std::string host;
  std::string net;  ///< "IB" or "Socket"
  int index = -1;
  std::string name;         ///< "mlx5_5", "eth0"
  std::optional<int> port;  ///< IB only
  std::string linkLayer;    ///< IB only: "IB" (InfiniBand) or "RoCE"
  std::string address;      ///< Socket only: "192.0.2.2<0>"
  std::string line;         ///< the line that listed it
  /// "mlx5_5:1/RoCE", "eth0".
  std::string label() const;
};

/// One GRAPH search result: "Pattern 4, crossNic 0, nChannels 16, bw 40/40, type NVL/PIX, ...".
struct NcclGraph {
  int pattern = -1;
  int crossNic = 0;
  int nChannels = 0;
  double bwIntra = 0;
  double bwInter = 0;
  std::string typeIntra;  ///< path type inside a node: LOC, NVL, NVB, C2C, PIX, PXB, PXN, PHB, SYS
  std::string typeInter;  ///< path type to the network
  std::string line;
};

/// One algorithm/protocol decision (TUNING), identical lines collapsed with a count.
struct NcclAlgoChoice {
  std::string collective;  ///< "Broadcast"; empty for NCCL 2.21-2.23 lines, which name none
  std::uint64_t bytes = 0;
  std::string algorithm;  ///< as NCCL names it: "RING", "TREE", "NVLS", "PAT", ...
  std::string protocol;   ///< "LL", "LL128", "SIMPLE"
  std::optional<int> channelLo, channelHi;
  std::size_t count = 1;
};

/// One cell of the TUNING table: NCCL's model of a (collective, algorithm, protocol).
struct NcclTuningCell {
  std::string collective;  ///< "AllReduce"
  std::string algorithm;   ///< "Ring" (the table's spelling)
  std::string protocol;    ///< "Simple"
  double latencyUs = 0;
  double bandwidth = 0;  ///< NCCL's modelled bus bandwidth (GB/s); 0 = not available
};

enum class NcclWarningKind {
  kNcclWarn,           ///< an "NCCL WARN" line
  kIbUnavailable,      ///< "NET/IB : No device found."
  kNetPluginFailed,    ///< "Failed to initialize NET plugin IB"
  kFellBackToSockets,  ///< IB was not usable and NCCL used sockets
  kGdrDisabled,        ///< "GPU Direct RDMA Disabled for HCA ..."
};
/// "nccl_warn", "ib_unavailable", "net_plugin_failed", "fell_back_to_sockets", "gdr_disabled".
const char* name(NcclWarningKind kind);

/// A warning worth surfacing; identical ones (from many ranks) collapsed with a count.
struct NcclWarning {
  NcclWarningKind kind = NcclWarningKind::kNcclWarn;
  std::string message;
  std::string line;  ///< the first line that said it
  std::size_t count = 1;
};

/// Everything kept from one log (or from several, fed to one parser).
struct NcclLogSummary {
  std::size_t lines = 0;              ///< lines read
  std::size_t ncclLines = 0;          ///< lines written by NCCL (INFO, WARN, version)
  std::size_t skippedLines = 0;       ///< lines that are not NCCL's (application output, garbage)
  std::vector<std::string> versions;  ///< as printed ("2.28.9+cuda13.0"), first seen first
  std::vector<std::string> hosts;
  std::vector<NcclRank> ranks;
  std::vector<std::string> networks;      ///< "Using network X": "IB", "Socket", "AWS Libfabric"
  std::vector<std::string> networkLines;  ///< the first line naming each network
  std::vector<NcclNic> nics;
  std::string ofiProvider;  ///< "NET/OFI Selected Provider is efa"
  std::vector<NcclConnection> connections;  ///< distinct connections, each with its line count
  std::vector<NcclGraph> graphs;  ///< distinct graphs
  std::vector<NcclAlgoChoice> algorithms;
  /// NCCL's choice per call in the order logged, as one process and device logged them (the
  /// first that logged a choice: every rank logs each call); at most kAlgorithmCallsKept. What an
  /// untimed probe reads to tell its calls apart where the same (collective, bytes) repeats.
  std::vector<NcclAlgoChoice> algorithmCalls;
  std::vector<NcclTuningCell> tuning;  ///< the latest value of every cell present
  std::vector<NcclWarning> warnings;   ///< at most 100 distinct; later new ones are dropped
  std::optional<bool> nvlsSupported;   ///< "NVLS multicast support is [not ]available"
  bool nvlsConnected = false;          ///< "Connected NVLS ..." / "NVLS comm ..."

  /// Numeric NCCL version of the first version line ("2.28.9"); empty when none was logged.
  std::string version() const;
  /// The largest nranks announced, else the number of distinct ranks in connection lines.
  int rankCount() const;
  /// Connection lines read (the sum of the connections' counts).
  std::size_t connectionLines() const;
  /// Connection lines per kind (every kind present, zeros included).
  std::map<TransportKind, std::size_t> transportCounts() const;
  /// Connection lines per label ("P2P/IPC" -> 256).
  std::map<std::string, std::size_t> labelCounts() const;
  /// One line for humans: "NCCL 2.28.9, network Socket (eth0); 16 connections: P2P/IPC 12,
  /// NET/IB GDRDMA 4; warnings: fell back to sockets".
  std::string oneLine() const;
};

/// One peer pair's transport, collapsed over channels: "rank 0 -> 1: P2P/IPC on 24 channels".
struct PeerTransport {
  int fromRank = -1;
  int toRank = -1;
  std::string label;
  std::size_t channels = 0;  ///< distinct (channel, sub-channel) pairs
};
std::vector<PeerTransport> peerTransports(const NcclLogSummary& log);

/// Algorithm choices grouped by (collective, algorithm, protocol) over a byte range.
struct AlgoRange {
  std::string collective, algorithm, protocol;
  std::uint64_t minBytes = 0, maxBytes = 0;
  std::size_t calls = 0;
};
std::vector<AlgoRange> algorithmRanges(const NcclLogSummary& log);

/// Incremental parser: feed lines (or streams, e.g. one NCCL_DEBUG_FILE per rank), then take
/// the summary. Never throws on content.
class NcclLogParser {
 public:
  NcclLogParser();
  ~NcclLogParser();
  NcclLogParser(NcclLogParser&&) noexcept;
  NcclLogParser& operator=(NcclLogParser&&) noexcept;

  void addLine(std::string_view line);
  void addStream(std::istream& in);
  /// Adds a whole file; throws Error(kInvalidUsage) when it cannot be opened or read.
  void addFile(const std::string& path);
  /// The summary so far (derived warnings included).
  NcclLogSummary summary() const&;
  /// The summary, moved out of a parser that is done (no copy of a large log's connections).
  NcclLogSummary summary() &&;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// Parses a whole stream.
NcclLogSummary parseNcclLog(std::istream& in);
/// Parses a file; throws Error(kInvalidUsage) when it cannot be opened or read.
NcclLogSummary parseNcclLogFile(const std::string& path);

nlohmann::json toJson(const NcclLogSummary& log);

}  // namespace cclbench
