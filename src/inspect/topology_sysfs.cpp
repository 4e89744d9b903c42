/// /proc and /sys: CPU, NICs (RDMA devices and physical network devices), NVSwitch bridges.

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "inspect/topology.hpp"
#include "inspect/topology_internal.hpp"

namespace cclbench {
namespace fs = std::filesystem;

SystemSource::SystemSource(std::string root) : root_(std::move(root)) {
  if (root_.empty()) root_ = "/";
}

std::string SystemSource::where(const std::string& path) const {
  if (root_ == "/") return path;
  return (fs::path(root_) / fs::path(path).relative_path()).string();
}

std::optional<std::string> SystemSource::readFile(const std::string& path) const {
  std::ifstream in(where(path), std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::nullopt;  // sysfs answers some reads with an error (EINVAL)
  return text.str();
}

std::optional<std::string> SystemSource::readLine(const std::string& path) const {
  const auto text = readFile(path);
  if (!text) return std::nullopt;
  return trim(text->substr(0, text->find('\n')));
}

std::vector<std::string> SystemSource::list(const std::string& path) const {
  std::vector<std::string> names;
  std::error_code error;
  for (fs::directory_iterator it(where(path), error), end; !error && it != end;
       it.increment(error)) {
    names.push_back(it->path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool SystemSource::exists(const std::string& path) const {
  std::error_code error;
  return fs::exists(where(path), error);
}

namespace {

/// Adapters whose PCI id says what they are built for. 0: varies by model or not known.
struct KnownNic {
  const char* pciId;
  const char* model;
  double ratedGbps;
};

constexpr KnownNic kKnownNics[] = {
    {"15b3:1013", "ConnectX-4", 100},
    {"15b3:1015", "ConnectX-4 Lx", 50},
    {"15b3:1017", "ConnectX-5", 100},
    {"15b3:1019", "ConnectX-5 Ex", 100},
    {"15b3:101b", "ConnectX-6", 200},
    {"15b3:101d", "ConnectX-6 Dx", 200},
    {"15b3:101f", "ConnectX-6 Lx", 50},
    {"15b3:1021", "ConnectX-7", 400},
    {"15b3:1023", "ConnectX-8", 800},
    {"15b3:a2d6", "BlueField-2", 200},
    {"15b3:a2dc", "BlueField-3", 400},
    {"15b3:1018", "ConnectX-5 VF", 0},
    {"15b3:101c", "ConnectX-6 VF", 0},
    {"15b3:101e", "ConnectX VF", 0},
    {"1d0f:efa0", "AWS EFA", 0},
    {"1d0f:efa1", "AWS EFA", 0},
    {"1d0f:efa2", "AWS EFA", 0},
    {"1d0f:ec20", "AWS ENA", 0},
    {"1af4:0001", "virtio-net", 0},
    {"1af4:1000", "virtio-net", 0},
    {"1af4:1041", "virtio-net", 0},
    {"8086:1592", "Intel E810-C", 100},
    {"8086:159b", "Intel E810-XXV", 25},
    {"14e4:1750", "Broadcom BCM57508", 200},
    {"14e4:1760", "Broadcom BCM57608", 400},
};

/// "0x15b3" -> "15b3".
std::string hexId(const std::optional<std::string>& text) {
  if (!text) return "";
  std::string id = *text;
  if (id.rfind("0x", 0) == 0) id = id.substr(2);
  std::transform(id.begin(), id.end(), id.begin(), [](unsigned char c) { return std::tolower(c); });
  return id;
}

int intOr(const std::optional<std::string>& text, int fallback) {
  if (!text) return fallback;
  try {
    return std::stoi(*text);
  } catch (const std::exception&) {
    return fallback;
  }
}

/// Identity and PCIe link of the device behind `deviceDir` (a NIC's device/ link).
void readPciDevice(const SystemSource& sys, const std::string& deviceDir, NicInfo& nic) {
  const std::string vendor = hexId(sys.readLine(deviceDir + "/vendor"));
  const std::string device = hexId(sys.readLine(deviceDir + "/device"));
  if (!vendor.empty() && !device.empty()) nic.pciId = vendor + ":" + device;
  nic.model = nic.pciId.empty() ? "unknown" : nic.pciId;
  for (const KnownNic& known : kKnownNics) {
    if (nic.pciId != known.pciId) continue;
    nic.model = known.model;
    nic.ratedGbps = known.ratedGbps;
  }
  if (const auto uevent = sys.readFile(deviceDir + "/uevent")) {
    std::istringstream lines(*uevent);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("PCI_SLOT_NAME=", 0) == 0) nic.pciAddress = line.substr(14);
    }
  }
  nic.pcieSpeed = sys.readLine(deviceDir + "/current_link_speed").value_or("");
  nic.pcieSpeedMax = sys.readLine(deviceDir + "/max_link_speed").value_or("");
  nic.pcieWidth = intOr(sys.readLine(deviceDir + "/current_link_width"), -1);
  nic.pcieWidthMax = intOr(sys.readLine(deviceDir + "/max_link_width"), -1);
}

bool isZeroGid(const std::string& gid) {
  return std::all_of(gid.begin(), gid.end(), [](char c) { return c == '0' || c == ':'; });
}

/// GID table of one port: non-zero entries, RoCE v2 entries, and the netdevs they sit on.
void readGids(const SystemSource& sys, const std::string& portDir, NicPort& port,
              std::vector<std::string>& netdevs) {
  for (const std::string& index : sys.list(portDir + "/gids")) {
    const auto gid = sys.readLine(portDir + "/gids/" + index);
    if (!gid || gid->empty() || isZeroGid(*gid)) continue;
    ++port.gids;
    const auto type = sys.readLine(portDir + "/gid_attrs/types/" + index);
    if (type && *type == "RoCE v2") ++port.roceV2Gids;
    const auto netdev = sys.readLine(portDir + "/gid_attrs/ndevs/" + index);
    if (netdev && !netdev->empty() &&
        std::find(netdevs.begin(), netdevs.end(), *netdev) == netdevs.end()) {
      netdevs.push_back(*netdev);
    }
  }
}

/// "4: ACTIVE" -> "ACTIVE".
std::string afterColon(const std::string& text) {
  const auto colon = text.find(':');
  return colon == std::string::npos ? text : trim(text.substr(colon + 1));
}

NicPort readRdmaPort(const SystemSource& sys, const std::string& portDir, int number,
                     std::vector<std::string>& netdevs) {
  NicPort port;
  port.number = number;
  const std::string layer = sys.readLine(portDir + "/link_layer").value_or("unknown");
  port.linkLayer = layer == "Ethernet" ? "RoCE" : layer;
  port.state = afterColon(sys.readLine(portDir + "/state").value_or(""));
  port.physState = afterColon(sys.readLine(portDir + "/phys_state").value_or(""));
  port.rateText = sys.readLine(portDir + "/rate").value_or("");
  port.rateGbps = parseRateGbps(port.rateText);
  readGids(sys, portDir, port, netdevs);
  return port;
}

NicInfo readRdmaDevice(const SystemSource& sys, const std::string& name) {
  const std::string base = "/sys/class/infiniband/" + name;
  NicInfo nic;
  nic.name = name;
  nic.rdma = true;
  readPciDevice(sys, base + "/device", nic);
  nic.firmware = sys.readLine(base + "/fw_ver").value_or("");
  nic.boardId = sys.readLine(base + "/board_id").value_or("");
  nic.netdevs = sys.list(base + "/device/net");
  for (const std::string& port : sys.list(base + "/ports")) {
    const int number = intOr(port, -1);
    if (number < 0) continue;
    nic.ports.push_back(readRdmaPort(sys, base + "/ports/" + port, number, nic.netdevs));
  }
  return nic;
}

NicInfo readNetDevice(const SystemSource& sys, const std::string& name) {
  const std::string base = "/sys/class/net/" + name;
  NicInfo nic;
  nic.name = name;
  readPciDevice(sys, base + "/device", nic);
  NicPort port;
  port.linkLayer = "Ethernet";
  port.state = sys.readLine(base + "/operstate").value_or("");
  const int speedMbps = intOr(sys.readLine(base + "/speed"), -1);  // -1: unknown or link down
  if (speedMbps > 0) {
    port.rateGbps = speedMbps / 1000.0;
    port.rateText = std::to_string(speedMbps) + " Mb/s";
  }
  nic.ports.push_back(port);
  nic.netdevs = {name};
  return nic;
}

}  // namespace

double parseRateGbps(const std::string& rate) {
  try {
    std::size_t used = 0;
    const double value = std::stod(rate, &used);
    return rate.find("Gb/s", used) != std::string::npos ? value : -1;
  } catch (const std::exception&) {
    return -1;
  }
}

std::vector<NicInfo> probeNics(const SystemSource& sys) {
  std::vector<NicInfo> nics;
  std::set<std::string> claimed;  // netdevs that belong to an RDMA device
  for (const std::string& name : sys.list("/sys/class/infiniband")) {
    nics.push_back(readRdmaDevice(sys, name));
    claimed.insert(nics.back().netdevs.begin(), nics.back().netdevs.end());
  }
  for (const std::string& name : sys.list("/sys/class/net")) {
    // lo, bridges, bonds, veth, ifb, tunnels: no device/ link, nothing physical to describe.
    if (name == "lo" || claimed.count(name) || !sys.exists("/sys/class/net/" + name + "/device")) {
      continue;
    }
    nics.push_back(readNetDevice(sys, name));
  }
  return nics;
}

int countNvswitchBridges(const SystemSource& sys) {
  int count = 0;
  for (const std::string& device : sys.list("/sys/bus/pci/devices")) {
    const std::string dir = "/sys/bus/pci/devices/" + device;
    const std::string vendor = hexId(sys.readLine(dir + "/vendor"));
    const std::string pciClass = hexId(sys.readLine(dir + "/class"));
    if (vendor == "10de" && pciClass.rfind("0680", 0) == 0) ++count;  // NVIDIA "other bridge"
  }
  return count;
}

CpuInfo parseCpuinfo(const std::string& procCpuinfo) {
  CpuInfo cpu;
  std::set<std::string> packages;
  std::string implementer, part;
  std::istringstream lines(procCpuinfo);
  for (std::string line; std::getline(lines, line);) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = trim(line.substr(0, colon)), value = trim(line.substr(colon + 1));
    if (key == "processor") ++cpu.logicalCpus;
    if (key == "model name" && cpu.model.empty()) cpu.model = value;
    if (key == "physical id") packages.insert(value);
    if (key == "CPU implementer" && implementer.empty()) implementer = value;
    if (key == "CPU part" && part.empty()) part = value;
  }
  if (cpu.model.empty() && !implementer.empty()) {
    cpu.model = "Arm implementer " + implementer + " part " + part;  // Arm lists no model name
  }
  cpu.sockets = static_cast<int>(packages.size());
  return cpu;
}

CpuInfo parseLscpu(const std::string& lscpu) {
  CpuInfo cpu;
  std::istringstream lines(lscpu);
  for (std::string line; std::getline(lines, line);) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = trim(line.substr(0, colon)), value = trim(line.substr(colon + 1));
    if (key == "Model name" && cpu.model.empty()) cpu.model = value;
    if (key == "Socket(s)") cpu.sockets = intOr(value, 0);
    if (key == "CPU(s)") cpu.logicalCpus = intOr(value, 0);
  }
  return cpu;
}

CpuInfo probeCpu(const SystemSource& sys, const CommandRunner& commands) {
  CpuInfo cpu = parseCpuinfo(sys.readFile("/proc/cpuinfo").value_or(""));
  if (cpu.sockets == 0) {
    std::set<std::string> packages;
    for (const std::string& entry : sys.list("/sys/devices/system/cpu")) {
      const auto id =
          sys.readLine("/sys/devices/system/cpu/" + entry + "/topology/physical_package_id");
      if (entry.rfind("cpu", 0) == 0 && id) packages.insert(*id);
    }
    cpu.sockets = static_cast<int>(packages.size());
  }
  if (cpu.model.empty() || cpu.sockets == 0) {
    const CpuInfo fromLscpu = parseLscpu(commands.run({"lscpu"}).value_or(""));
    if (cpu.model.empty()) cpu.model = fromLscpu.model;
    if (cpu.sockets == 0) cpu.sockets = fromLscpu.sockets;
    if (cpu.logicalCpus == 0) cpu.logicalCpus = fromLscpu.logicalCpus;
  }
  return cpu;
}

}  // namespace cclbench
