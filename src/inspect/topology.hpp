#pragma once
/// What a host's hardware is and what state it is in. The hardware fields (CPU model and
/// sockets; GPU model, count, compute capability and NVLink links; NVSwitch presence; NIC models,
/// link layers and rated speeds) go into a stable hash, the topology fingerprint. Observed state
/// (negotiated rates and widths, PCIe links, clocks, throttle reasons, ECC counts, GID tables)
/// and software versions are health fields recorded beside it and never hashed, so a downtrained
/// link shows up against its own baseline instead of changing the fingerprint.
///
/// Sources: /proc and /sys (SystemSource, rooted at "/" or at a fixture tree), NVML loaded with
/// dlopen (NvmlSource), else nvidia-smi (CommandRunner). Each has a fake for tests.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace cclbench {

// ---- Sources of facts (side effects behind small interfaces) -------------------------------

/// Read-only view of files under a root folder: "/" for the real host, a fixture tree in tests.
class SystemSource {
 public:
  /// Reads files of /proc and /sys below `root`.
  explicit SystemSource(std::string root = "/");
  /// The file's text, or nullopt when it is absent or unreadable.
  std::optional<std::string> readFile(const std::string& path) const;
  /// The first line of the file, trimmed; nullopt when absent or unreadable.
  std::optional<std::string> readLine(const std::string& path) const;
  /// Entry names of a folder, sorted; empty when absent.
  std::vector<std::string> list(const std::string& path) const;
  bool exists(const std::string& path) const;
  const std::string& root() const { return root_; }

 private:
  std::string where(const std::string& path) const;
  std::string root_;
};

/// Runs a helper program (nvidia-smi, lscpu) and returns its standard output.
class CommandRunner {
 public:
  virtual ~CommandRunner() = default;
  /// stdout when the program ran and exited 0; nullopt otherwise.
  virtual std::optional<std::string> run(const std::vector<std::string>& argv) const = 0;
};

/// The real thing: runs the program under `timeout` so a wedged driver cannot hang the probe.
class ProcessCommandRunner : public CommandRunner {
 public:
  std::optional<std::string> run(const std::vector<std::string>& argv) const override;
};

/// Canned outputs: each command line maps to a file in a folder (see cannedFileName), or to
/// text given directly. Unknown commands fail, as an absent program would.
class CannedCommandRunner : public CommandRunner {
 public:
  CannedCommandRunner() = default;
  explicit CannedCommandRunner(std::string folder) : folder_(std::move(folder)) {}
  void set(const std::vector<std::string>& argv, std::string output);
  std::optional<std::string> run(const std::vector<std::string>& argv) const override;

 private:
  std::string folder_;
  std::map<std::string, std::string> outputs_;
};

/// The file a canned runner reads for a command: "nvidia-smi -q" -> "nvidia-smi-q.txt",
/// "nvidia-smi nvlink -s" -> "nvidia-smi-nvlink-s.txt", the CSV query ->
/// "nvidia-smi-query-gpu.csv", "lscpu" -> "lscpu.txt"; empty for other commands.
std::string cannedFileName(const std::vector<std::string>& argv);

/// One GPU as NVML reports it: raw values, interpreted by gpuFromNvml.
struct NvmlDeviceRecord {
  std::string name;
  int ccMajor = -1, ccMinor = -1;
  std::string pciBusId;
  /// Per link index: -1 no such link, 0 inactive, 1 active.
  std::vector<int> nvlinkStates;
  bool nvlinkToSwitch = false;  ///< some active link ends at an NVSwitch
  int pcieGen = -1, pcieGenMax = -1, pcieWidth = -1, pcieWidthMax = -1;
  int smClockMhz = -1, smClockMaxMhz = -1, memClockMhz = -1;
  std::optional<uint64_t> throttleReasons;
  std::optional<uint64_t> eccCorrected, eccUncorrected;  ///< volatile totals
  std::optional<uint64_t> memoryTotalBytes;
};

struct NvmlReport {
  std::string driverVersion;
  std::string cudaDriverVersion;  ///< e.g. "13.0"
  std::vector<NvmlDeviceRecord> devices;
};

/// NVML, or a fake with canned records.
class NvmlSource {
 public:
  virtual ~NvmlSource() = default;
  /// nullopt when NVML is not there or does not initialise; `why` says which.
  virtual std::optional<NvmlReport> query(std::string* why) const = 0;
};

/// libnvidia-ml.so.1 through dlopen; no NVML header or link-time dependency.
std::unique_ptr<NvmlSource> dlopenNvml();

// ---- What is found -------------------------------------------------------------------------

struct CpuInfo {
  std::string model;  ///< hashed
  int sockets = 0;    ///< hashed
  int logicalCpus = 0;
};

struct GpuInfo {
  // Hashed.
  std::string model;              ///< "NVIDIA H100 80GB HBM3"
  std::string computeCapability;  ///< "9.0"; empty when the source does not say
  int nvlinkLinks = 0;            ///< NVLink links the GPU has
  // Health.
  int index = 0;
  std::string pciBusId;
  int nvlinkActive = 0;
  int pcieGen = -1, pcieGenMax = -1, pcieWidth = -1, pcieWidthMax = -1;
  int smClockMhz = -1, smClockMaxMhz = -1, memClockMhz = -1;
  std::vector<std::string> throttleReasons;  ///< active clock event reasons, by name
  std::optional<uint64_t> eccCorrected, eccUncorrected;
  std::optional<uint64_t> memoryTotalBytes;
};

/// One port of a NIC.
struct NicPort {
  int number = 1;
  std::string linkLayer;  ///< hashed: "InfiniBand", "RoCE" or "Ethernet"
  // Health.
  std::string state;      ///< "ACTIVE", "DOWN", "up", ...
  std::string physState;  ///< "LinkUp", "Disabled", ...
  std::string rateText;   ///< "400 Gb/sec (4X NDR)"
  double rateGbps = -1;   ///< negotiated; -1 unknown
  int gids = 0;           ///< non-zero GID table entries
  int roceV2Gids = 0;
};

struct NicInfo {
  std::string name;  ///< mlx5_0, eth0 (not hashed: names vary between identical hosts)
  // Hashed.
  std::string model;  ///< "ConnectX-7", else "15b3:1021"
  std::string pciId;  ///< "15b3:1021"
  bool rdma = false;
  double ratedGbps = 0;  ///< what the adapter is built for; 0 unknown
  std::vector<NicPort> ports;
  // Health.
  std::vector<std::string> netdevs;
  std::string firmware, boardId, pciAddress;
  std::string pcieSpeed, pcieSpeedMax;  ///< "16.0 GT/s PCIe"
  int pcieWidth = -1, pcieWidthMax = -1;
};

/// Everything known about one host. `hostHash` covers the hardware fields only.
struct HostTopology {
  std::string hostname;
  CpuInfo cpu;
  std::vector<GpuInfo> gpus;
  std::vector<NicInfo> nics;
  bool nvswitch = false;  ///< hashed
  int nvswitchPciDevices = 0;
  std::string gpuSource;  ///< "nvml", "nvidia-smi", "nvidia-smi -q" or "none"
  std::string gpuAbsentReason;
  /// Driver, CUDA driver, kernel; callers add what they know (NCCL version).
  std::map<std::string, std::string> software;
};

// ---- Probing --------------------------------------------------------------------------------

/// Where facts come from. `nvml` may be null (no NVML): then nvidia-smi, then no GPU.
struct ProbeSources {
  const SystemSource& system;
  const CommandRunner& commands;
  const NvmlSource* nvml = nullptr;
};

HostTopology probeHost(const ProbeSources& sources);

/// The real host: /, NVML by dlopen, nvidia-smi. Takes up to a second with GPUs.
HostTopology probeThisHost();

// ---- Fingerprint ----------------------------------------------------------------------------

/// The canonical JSON of the hashed fields (sorted keys; GPUs and NICs in canonical order).
nlohmann::json hardwareJson(const HostTopology& host);

/// FNV-1a 64 of hardwareJson(host).dump(); never 0 (0 means "no host" in combineHostHashes).
uint64_t hostHash(const HostTopology& host);

/// A run's fingerprint from one hash per node (zeros are skipped, so ranks that are not the
/// first on their node may contribute 0): order does not matter, the node count does.
std::string combineHostHashes(std::vector<uint64_t> perNode);

/// combineHostHashes over the hosts' hashes.
std::string fingerprint(const std::vector<HostTopology>& hosts);

/// 16 lower-case hex digits.
std::string hex64(uint64_t value);

// ---- Health and output ----------------------------------------------------------------------

/// One line per thing worth a look: downtrained or inactive links, throttling, ECC errors,
/// and plainly "no GPU" / "no RDMA NIC".
std::vector<std::string> healthNotes(const HostTopology& host);

/// Everything: hashed fields, health, software, notes, and the host hash.
nlohmann::json toJson(const HostTopology& host);
nlohmann::json toJson(const GpuInfo& gpu);
nlohmann::json toJson(const NicInfo& nic);
nlohmann::json toJson(const CpuInfo& cpu);

// ---- Parsers (exposed for tests) ------------------------------------------------------------

CpuInfo parseCpuinfo(const std::string& procCpuinfo);
CpuInfo parseLscpu(const std::string& lscpu);
/// `nvidia-smi --query-gpu=<kNvidiaSmiQueryFields> --format=csv,noheader,nounits`.
std::vector<GpuInfo> parseNvidiaSmiCsv(const std::string& csv, std::string* driverVersion);
/// `nvidia-smi -q`: GPUs (no compute capability in this format), driver and CUDA versions.
std::vector<GpuInfo> parseNvidiaSmiQ(const std::string& text, std::string* driverVersion,
                                     std::string* cudaVersion);
/// `nvidia-smi nvlink -s`: per GPU index, {links, active links}.
std::map<int, std::pair<int, int>> parseNvlinkStatus(const std::string& text);
GpuInfo gpuFromNvml(const NvmlDeviceRecord& record, int index);
std::vector<std::string> throttleReasonNames(uint64_t mask);
/// "400 Gb/sec (4X NDR)" -> 400; -1 when unreadable.
double parseRateGbps(const std::string& rate);

extern const char* const kNvidiaSmiQueryFields;

}  // namespace cclbench
