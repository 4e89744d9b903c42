/// GPUs: NVML records, nvidia-smi output (CSV query, -q, nvlink -s), and the choice between them.

#include <sys/wait.h>
#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "core/subprocess.hpp"
#include "inspect/topology.hpp"
#include "inspect/topology_internal.hpp"

namespace cclbench {

const char* const kNvidiaSmiQueryFields =
    "index,name,compute_cap,pci.bus_id,driver_version,pcie.link.gen.current,pcie.link.gen.max,"
    "pcie.link.width.current,pcie.link.width.max,clocks.sm,clocks.max.sm,clocks.mem,"
    "clocks_throttle_reasons.active,ecc.errors.corrected.volatile.total,"
    "ecc.errors.uncorrected.volatile.total,memory.total";

namespace {

const std::vector<std::string> kQueryCommand = {"nvidia-smi",
                                                std::string("--query-gpu=") + kNvidiaSmiQueryFields,
                                                "--format=csv,noheader,nounits"};
const std::vector<std::string> kQCommand = {"nvidia-smi", "-q"};
const std::vector<std::string> kNvlinkCommand = {"nvidia-smi", "nvlink", "-s"};

std::string joined(const std::vector<std::string>& argv) {
  std::string text;
  for (const auto& arg : argv) text += (text.empty() ? "" : " ") + arg;
  return text;
}

/// Leading integer of "16x", "345 MHz", "5"; -1 for "[N/A]", "N/A", "[Not Supported]".
int leadingInt(const std::string& text) {
  try {
    return std::stoi(text);
  } catch (const std::exception&) {
    return -1;
  }
}

std::optional<uint64_t> leadingCount(const std::string& text) {
  try {
    return std::stoull(text);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::vector<std::string> splitCsv(const std::string& line) {
  std::vector<std::string> fields;
  std::istringstream in(line);
  for (std::string field; std::getline(in, field, ',');) fields.push_back(trim(field));
  return fields;
}

/// Values of one `nvidia-smi -q` GPU block by section path: "PCI/GPU Link Info/Link Width/Max".
using QBlock = std::map<std::string, std::string>;

std::string get(const QBlock& block, const std::string& key) {
  const auto it = block.find(key);
  return it == block.end() ? "" : it->second;
}

/// -q says "Idle", "SW Power Cap", "HW Thermal Slowdown"; NVML's names are "GpuIdle",
/// "SwPowerCap", "HwThermalSlowdown".
std::string nvmlReasonName(std::string text) {
  if (text == "Idle") return "GpuIdle";
  if (text.rfind("SW ", 0) == 0) text = "Sw" + text.substr(2);
  if (text.rfind("HW ", 0) == 0) text = "Hw" + text.substr(2);
  std::string name;
  for (char c : text) {
    if (c != ' ') name += c;
  }
  return name;
}

GpuInfo gpuFromQBlock(const QBlock& block, int index) {
  GpuInfo gpu;
  gpu.index = index;
  gpu.model = get(block, "Product Name");
  gpu.pciBusId = get(block, "PCI/Bus Id");
  const std::string link = "PCI/GPU Link Info/";
  gpu.pcieGen = leadingInt(get(block, link + "PCIe Generation/Current"));
  gpu.pcieGenMax = leadingInt(get(block, link + "PCIe Generation/Max"));
  gpu.pcieWidth = leadingInt(get(block, link + "Link Width/Current"));
  gpu.pcieWidthMax = leadingInt(get(block, link + "Link Width/Max"));
  gpu.smClockMhz = leadingInt(get(block, "Clocks/SM"));
  gpu.smClockMaxMhz = leadingInt(get(block, "Max Clocks/SM"));
  gpu.memClockMhz = leadingInt(get(block, "Clocks/Memory"));
  if (const auto mib = leadingCount(get(block, "FB Memory Usage/Total"))) {
    gpu.memoryTotalBytes = *mib << 20;
  }
  for (const auto& [key, value] : block) {
    const bool reasons =
        key.rfind("Clocks Event Reasons/", 0) == 0 || key.rfind("Clocks Throttle Reasons/", 0) == 0;
    if (reasons && value == "Active") {
      gpu.throttleReasons.push_back(nvmlReasonName(key.substr(key.rfind('/') + 1)));
    }
    if (key.rfind("ECC Errors/Volatile/", 0) != 0) continue;
    const auto count = leadingCount(value);
    if (!count) continue;
    // Current drivers: "SRAM Correctable", "DRAM Uncorrectable"...; older: "Single Bit/Total".
    const bool uncorrected = key.find("Uncorrectable") != std::string::npos ||
                             key.find("Double Bit/Total") != std::string::npos;
    const bool corrected = !uncorrected && (key.find("Correctable") != std::string::npos ||
                                            key.find("Single Bit/Total") != std::string::npos);
    auto& total = uncorrected ? gpu.eccUncorrected : gpu.eccCorrected;
    if (uncorrected || corrected) total = total.value_or(0) + *count;
  }
  return gpu;
}

}  // namespace

std::string cannedFileName(const std::vector<std::string>& argv) {
  if (argv.empty()) return "";
  if (argv[0] == "lscpu") return "lscpu.txt";
  if (argv[0] != "nvidia-smi" || argv.size() < 2) return "";
  if (argv[1] == "-q") return "nvidia-smi-q.txt";
  if (argv[1] == "nvlink") return "nvidia-smi-nvlink-s.txt";
  if (argv[1].rfind("--query-gpu=", 0) == 0) return "nvidia-smi-query-gpu.csv";
  return "";
}

void CannedCommandRunner::set(const std::vector<std::string>& argv, std::string output) {
  outputs_[joined(argv)] = std::move(output);
}

std::optional<std::string> CannedCommandRunner::run(const std::vector<std::string>& argv) const {
  if (const auto it = outputs_.find(joined(argv)); it != outputs_.end()) return it->second;
  const std::string file = cannedFileName(argv);
  if (folder_.empty() || file.empty()) return std::nullopt;
  std::ifstream in(folder_ + "/" + file, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::optional<std::string> ProcessCommandRunner::run(const std::vector<std::string>& argv) const {
  const CommandOutput result = runCommand(argv, 30);
  if (result.timedOut || result.status != 0) return std::nullopt;
  return result.out;
}

std::vector<GpuInfo> parseNvidiaSmiCsv(const std::string& csv, std::string* driverVersion) {
  std::vector<GpuInfo> gpus;
  std::istringstream lines(csv);
  for (std::string line; std::getline(lines, line);) {
    const auto f = splitCsv(line);
    if (f.size() < 16 || leadingInt(f[0]) < 0) continue;
    GpuInfo gpu;
    gpu.index = leadingInt(f[0]);
    gpu.model = f[1];
    if (leadingInt(f[2]) >= 0) gpu.computeCapability = f[2];
    gpu.pciBusId = f[3];
    if (driverVersion) *driverVersion = f[4];
    gpu.pcieGen = leadingInt(f[5]);
    gpu.pcieGenMax = leadingInt(f[6]);
    gpu.pcieWidth = leadingInt(f[7]);
    gpu.pcieWidthMax = leadingInt(f[8]);
    gpu.smClockMhz = leadingInt(f[9]);
    gpu.smClockMaxMhz = leadingInt(f[10]);
    gpu.memClockMhz = leadingInt(f[11]);
    try {
      gpu.throttleReasons = throttleReasonNames(std::stoull(f[12], nullptr, 16));
    } catch (const std::exception&) {
    }
    gpu.eccCorrected = leadingCount(f[13]);
    gpu.eccUncorrected = leadingCount(f[14]);
    if (const auto mib = leadingCount(f[15])) gpu.memoryTotalBytes = *mib << 20;
    gpus.push_back(gpu);
  }
  return gpus;
}

std::vector<GpuInfo> parseNvidiaSmiQ(const std::string& text, std::string* driverVersion,
                                     std::string* cudaVersion) {
  std::vector<QBlock> blocks;
  std::vector<std::pair<std::size_t, std::string>> sections;  // (indent, name)
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    const std::size_t indent = line.find_first_not_of(' ');
    if (indent == std::string::npos) continue;
    if (indent == 0 && line.rfind("GPU ", 0) == 0) {  // "GPU 00000000:00:06.0" opens a block
      blocks.emplace_back();
      sections.clear();
      continue;
    }
    const auto colon = line.find(" : ");
    const std::string key = trim(line.substr(0, colon));
    while (!sections.empty() && sections.back().first >= indent) sections.pop_back();
    if (colon == std::string::npos) {
      sections.emplace_back(indent, key);
      continue;
    }
    const std::string value = trim(line.substr(colon + 3));
    if (blocks.empty()) {
      if (key == "Driver Version" && driverVersion) *driverVersion = value;
      if (key == "CUDA Version" && cudaVersion) *cudaVersion = value;
      continue;
    }
    std::string path;
    for (const auto& section : sections) path += section.second + "/";
    blocks.back()[path + key] = value;
  }
  std::vector<GpuInfo> gpus;
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    gpus.push_back(gpuFromQBlock(blocks[i], static_cast<int>(i)));
  }
  return gpus;
}

std::map<int, std::pair<int, int>> parseNvlinkStatus(const std::string& text) {
  std::map<int, std::pair<int, int>> links;
  int gpu = -1;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    const std::string t = trim(line);
    if (t.rfind("GPU ", 0) == 0) {
      gpu = leadingInt(t.substr(4));
      if (gpu >= 0) links[gpu];
    } else if (t.rfind("Link ", 0) == 0 && gpu >= 0) {
      ++links[gpu].first;
      if (t.find("inactive") == std::string::npos) ++links[gpu].second;
    }
  }
  return links;
}

std::vector<std::string> throttleReasonNames(uint64_t mask) {
  static const std::pair<uint64_t, const char*> kReasons[] = {{0x1, "GpuIdle"},
                                                              {0x2, "ApplicationsClocksSetting"},
                                                              {0x4, "SwPowerCap"},
                                                              {0x8, "HwSlowdown"},
                                                              {0x10, "SyncBoost"},
                                                              {0x20, "SwThermalSlowdown"},
                                                              {0x40, "HwThermalSlowdown"},
                                                              {0x80, "HwPowerBrakeSlowdown"},
                                                              {0x100, "DisplayClockSetting"}};
  std::vector<std::string> names;
  for (const auto& [bit, name] : kReasons) {
    if (mask & bit) names.emplace_back(name);
  }
  return names;
}

GpuInfo gpuFromNvml(const NvmlDeviceRecord& r, int index) {
  GpuInfo gpu;
  gpu.index = index;
  gpu.model = r.name;
  if (r.ccMajor >= 0 && r.ccMinor >= 0) {
    gpu.computeCapability = std::to_string(r.ccMajor) + "." + std::to_string(r.ccMinor);
  }
  gpu.pciBusId = r.pciBusId;
  for (int state : r.nvlinkStates) {
    if (state >= 0) ++gpu.nvlinkLinks;
    if (state > 0) ++gpu.nvlinkActive;
  }
  gpu.pcieGen = r.pcieGen;
  gpu.pcieGenMax = r.pcieGenMax;
  gpu.pcieWidth = r.pcieWidth;
  gpu.pcieWidthMax = r.pcieWidthMax;
  gpu.smClockMhz = r.smClockMhz;
  gpu.smClockMaxMhz = r.smClockMaxMhz;
  gpu.memClockMhz = r.memClockMhz;
  if (r.throttleReasons) gpu.throttleReasons = throttleReasonNames(*r.throttleReasons);
  gpu.eccCorrected = r.eccCorrected;
  gpu.eccUncorrected = r.eccUncorrected;
  gpu.memoryTotalBytes = r.memoryTotalBytes;
  return gpu;
}

namespace {

bool gpusFromNvml(const NvmlSource& nvml, HostTopology& host, std::string& why) {
  const auto report = nvml.query(&why);
  if (!report) return false;
  host.gpuSource = "nvml";
  host.software["driver"] = report->driverVersion;
  if (!report->cudaDriverVersion.empty()) host.software["cudaDriver"] = report->cudaDriverVersion;
  for (std::size_t i = 0; i < report->devices.size(); ++i) {
    host.gpus.push_back(gpuFromNvml(report->devices[i], static_cast<int>(i)));
    host.nvswitch = host.nvswitch || report->devices[i].nvlinkToSwitch;
  }
  if (host.gpus.empty()) host.gpuAbsentReason = "NVML reports no GPU";
  return true;
}

bool gpusFromNvidiaSmi(const CommandRunner& commands, HostTopology& host) {
  std::string driver, cuda;
  if (const auto csv = commands.run(kQueryCommand)) {
    host.gpus = parseNvidiaSmiCsv(*csv, &driver);
    host.gpuSource = "nvidia-smi";
  } else if (const auto q = commands.run(kQCommand)) {
    host.gpus = parseNvidiaSmiQ(*q, &driver, &cuda);
    host.gpuSource = "nvidia-smi -q";
  } else {
    return false;
  }
  if (!driver.empty()) host.software["driver"] = driver;
  if (!cuda.empty()) host.software["cudaDriver"] = cuda;
  if (host.gpus.empty()) host.gpuAbsentReason = "nvidia-smi lists no GPU";
  const auto nvlink = parseNvlinkStatus(commands.run(kNvlinkCommand).value_or(""));
  for (GpuInfo& gpu : host.gpus) {
    if (const auto it = nvlink.find(gpu.index); it != nvlink.end()) {
      gpu.nvlinkLinks = it->second.first;
      gpu.nvlinkActive = it->second.second;
    }
  }
  return true;
}

}  // namespace

void probeGpus(const ProbeSources& sources, HostTopology& host) {
  std::string nvmlWhy = "NVML not used";
  if (sources.nvml && gpusFromNvml(*sources.nvml, host, nvmlWhy)) return;
  if (gpusFromNvidiaSmi(sources.commands, host)) return;
  host.gpuSource = "none";
  host.gpuAbsentReason = nvmlWhy + "; nvidia-smi not found or failed";
}

}  // namespace cclbench
