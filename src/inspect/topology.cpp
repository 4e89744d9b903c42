/// Probe orchestration, the fingerprint (hashed fields only), health notes and JSON.

#include "inspect/topology.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "core/json_text.hpp"
#include "core/run_config.hpp"
#include "inspect/topology_internal.hpp"

namespace cclbench {

using nlohmann::json;

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

HostTopology probeHost(const ProbeSources& sources) {
  const SystemSource& sys = sources.system;
  HostTopology host;
  host.hostname = sys.readLine("/proc/sys/kernel/hostname").value_or("unknown");
  host.cpu = probeCpu(sys, sources.commands);
  probeGpus(sources, host);
  host.nics = probeNics(sys);
  host.nvswitchPciDevices = countNvswitchBridges(sys);
  host.nvswitch = host.nvswitch || host.nvswitchPciDevices > 0;
  if (const auto kernel = sys.readLine("/proc/sys/kernel/osrelease"))
    host.software["kernel"] = *kernel;
  if (!host.software.count("driver")) {
    if (const auto driver = sys.readLine("/sys/module/nvidia/version")) {
      host.software["driver"] = *driver;
    }
  }
  return host;
}

HostTopology probeThisHost() {
  const SystemSource system("/");
  const ProcessCommandRunner commands;
  const auto nvml = dlopenNvml();
  return probeHost({system, commands, nvml.get()});
}

// ---- Fingerprint ----------------------------------------------------------------------------

namespace {

json sortedArray(std::vector<json> items) {
  std::sort(items.begin(), items.end(),
            [](const json& a, const json& b) { return jsonText(a) < jsonText(b); });
  return json(items);
}

}  // namespace

json hardwareJson(const HostTopology& host) {
  std::vector<json> gpus, nics;
  for (const GpuInfo& g : host.gpus) {
    gpus.push_back({{"model", g.model},
                    {"computeCapability", g.computeCapability},
                    {"nvlinkLinks", g.nvlinkLinks}});
  }
  for (const NicInfo& n : host.nics) {
    json layers = json::array();
    for (const NicPort& p : n.ports) layers.push_back(p.linkLayer);
    nics.push_back({{"model", n.model},
                    {"pciId", n.pciId},
                    {"rdma", n.rdma},
                    {"ratedGbps", std::llround(n.ratedGbps)},
                    {"linkLayers", layers}});
  }
  return {{"schema", 1},
          {"cpu", {{"model", host.cpu.model}, {"sockets", host.cpu.sockets}}},
          {"gpuCount", host.gpus.size()},
          {"gpus", sortedArray(gpus)},
          {"nvswitch", host.nvswitch},
          {"nicCount", host.nics.size()},
          {"nics", sortedArray(nics)}};
}

uint64_t hostHash(const HostTopology& host) {
  const uint64_t hash = fnv1a(jsonText(hardwareJson(host)));
  return hash == 0 ? 1 : hash;
}

std::string hex64(uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(value));
  return text;
}

std::string combineHostHashes(std::vector<uint64_t> perNode) {
  perNode.erase(std::remove(perNode.begin(), perNode.end(), 0), perNode.end());
  std::sort(perNode.begin(), perNode.end());
  json hosts = json::array();
  for (uint64_t h : perNode) hosts.push_back(hex64(h));
  const json canonical = {{"schema", 1}, {"nodes", perNode.size()}, {"hosts", hosts}};
  return hex64(fnv1a(jsonText(canonical)));
}

std::string fingerprint(const std::vector<HostTopology>& hosts) {
  std::vector<uint64_t> hashes;
  hashes.reserve(hosts.size());
  for (const HostTopology& host : hosts) hashes.push_back(hostHash(host));
  return combineHostHashes(hashes);
}

// ---- Health notes ---------------------------------------------------------------------------

namespace {

std::string gbps(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g Gb/s", value);
  return text;
}

void gpuNotes(const HostTopology& host, std::vector<std::string>& notes) {
  const bool nvlinkInUse = std::any_of(host.gpus.begin(), host.gpus.end(),
                                       [](const GpuInfo& g) { return g.nvlinkActive > 0; });
  for (const GpuInfo& g : host.gpus) {
    const std::string gpu = "GPU" + std::to_string(g.index);
    if (g.computeCapability.empty()) {
      notes.push_back(gpu + ": compute capability unknown (" + host.gpuSource +
                      " does not report it)");
    }
    if (nvlinkInUse && g.nvlinkActive < g.nvlinkLinks) {
      notes.push_back(gpu + ": " + std::to_string(g.nvlinkActive) + " of " +
                      std::to_string(g.nvlinkLinks) + " NVLinks active");
    }
    if (g.pcieWidth > 0 && g.pcieWidth < g.pcieWidthMax) {
      notes.push_back(gpu + " PCIe: x" + std::to_string(g.pcieWidth) + ", capable of x" +
                      std::to_string(g.pcieWidthMax) + ": downtrained");
    }
    if (g.pcieGen > 0 && g.pcieGen < g.pcieGenMax) {
      notes.push_back(gpu + " PCIe: gen " + std::to_string(g.pcieGen) + ", capable of gen " +
                      std::to_string(g.pcieGenMax) +
                      " (idle GPUs lower it to save power: check under load)");
    }
    std::string limits;
    for (const std::string& reason : g.throttleReasons) {
      if (reason != "GpuIdle" && reason != "ApplicationsClocksSetting") {
        limits += (limits.empty() ? "" : ", ") + reason;
      }
    }
    if (!limits.empty()) notes.push_back(gpu + " clocks held back: " + limits);
    if (g.eccUncorrected.value_or(0) > 0) {
      notes.push_back(gpu + ": " + std::to_string(*g.eccUncorrected) +
                      " uncorrected ECC errors since the driver loaded");
    }
  }
}

void portNotes(const NicInfo& n, const NicPort& p, std::vector<std::string>& notes) {
  const std::string port = n.name + " port " + std::to_string(p.number);
  if (p.state != "ACTIVE") {
    notes.push_back(port + ": state " + (p.state.empty() ? "unknown" : p.state) +
                    (p.physState.empty() ? "" : " (" + p.physState + ")"));
    return;
  }
  if (p.rateGbps > 0 && n.ratedGbps > 0 && p.rateGbps < n.ratedGbps) {
    // The rating is the family's top speed: a lower-speed model of it looks the same.
    notes.push_back(port + ": rate " + gbps(p.rateGbps) + ", rated " + gbps(n.ratedGbps) +
                    ": downtrained (or a lower-speed " + n.model + " model)");
  }
  if (p.linkLayer == "RoCE" && p.roceV2Gids == 0) {
    notes.push_back(port + ": RoCE without a RoCE v2 GID (no IP address on " +
                    (n.netdevs.empty() ? std::string("its netdev") : n.netdevs.front()) + "?)");
  }
}

void nicNotes(const HostTopology& host, std::vector<std::string>& notes) {
  const bool anyRdma =
      std::any_of(host.nics.begin(), host.nics.end(), [](const NicInfo& n) { return n.rdma; });
  if (!anyRdma) {
    notes.push_back(
        "no RDMA NIC (nothing in /sys/class/infiniband): between nodes NCCL would "
        "use TCP sockets");
  }
  for (const NicInfo& n : host.nics) {
    if (!n.rdma) continue;
    for (const NicPort& p : n.ports) portNotes(n, p, notes);
    const double speed = std::atof(n.pcieSpeed.c_str()),
                 speedMax = std::atof(n.pcieSpeedMax.c_str());
    const bool slower = speed > 0 && speed < speedMax;
    const bool narrower = n.pcieWidth > 0 && n.pcieWidth < n.pcieWidthMax;
    if (slower || narrower) {
      notes.push_back(n.name + " PCIe: " + n.pcieSpeed + " x" + std::to_string(n.pcieWidth) +
                      ", capable of " + n.pcieSpeedMax + " x" + std::to_string(n.pcieWidthMax) +
                      ": downtrained");
    }
  }
}

}  // namespace

std::vector<std::string> healthNotes(const HostTopology& host) {
  std::vector<std::string> notes;
  if (host.gpus.empty()) notes.push_back("no GPU: " + host.gpuAbsentReason);
  gpuNotes(host, notes);
  nicNotes(host, notes);
  return notes;
}

// ---- JSON -----------------------------------------------------------------------------------

namespace {

json orNull(int value) {
  return value < 0 ? json(nullptr) : json(value);
}
json orNull(double value) {
  return value < 0 ? json(nullptr) : json(value);
}
json orNull(const std::optional<uint64_t>& value) {
  return value ? json(*value) : json(nullptr);
}

}  // namespace

json toJson(const CpuInfo& cpu) {
  return {{"model", cpu.model}, {"sockets", cpu.sockets}, {"logicalCpus", cpu.logicalCpus}};
}

json toJson(const GpuInfo& g) {
  json health = {
      {"index", g.index},
      {"pciBusId", g.pciBusId},
      {"nvlinkActive", g.nvlinkActive},
      {"pcie",
       {{"gen", orNull(g.pcieGen)},
        {"genMax", orNull(g.pcieGenMax)},
        {"width", orNull(g.pcieWidth)},
        {"widthMax", orNull(g.pcieWidthMax)}}},
      {"clocksMhz",
       {{"sm", orNull(g.smClockMhz)},
        {"smMax", orNull(g.smClockMaxMhz)},
        {"memory", orNull(g.memClockMhz)}}},
      {"throttleReasons", g.throttleReasons},
      {"eccVolatile",
       {{"corrected", orNull(g.eccCorrected)}, {"uncorrected", orNull(g.eccUncorrected)}}},
      {"memoryTotalBytes", orNull(g.memoryTotalBytes)}};
  return {{"model", g.model},
          {"computeCapability", g.computeCapability},
          {"nvlinkLinks", g.nvlinkLinks},
          {"health", health}};
}

json toJson(const NicInfo& n) {
  json ports = json::array();
  for (const NicPort& p : n.ports) {
    ports.push_back({{"number", p.number},
                     {"linkLayer", p.linkLayer},
                     {"health",
                      {{"state", p.state},
                       {"physState", p.physState},
                       {"rate", p.rateText},
                       {"rateGbps", orNull(p.rateGbps)},
                       {"gids", p.gids},
                       {"roceV2Gids", p.roceV2Gids}}}});
  }
  json health = {{"netdevs", n.netdevs},
                 {"firmware", n.firmware},
                 {"boardId", n.boardId},
                 {"pciAddress", n.pciAddress},
                 {"pcie",
                  {{"speed", n.pcieSpeed},
                   {"speedMax", n.pcieSpeedMax},
                   {"width", orNull(n.pcieWidth)},
                   {"widthMax", orNull(n.pcieWidthMax)}}}};
  return {{"name", n.name},
          {"model", n.model},
          {"pciId", n.pciId},
          {"rdma", n.rdma},
          {"ratedGbps", n.ratedGbps > 0 ? json(n.ratedGbps) : json(nullptr)},
          {"ports", ports},
          {"health", health}};
}

json toJson(const HostTopology& host) {
  json gpus = json::array(), nics = json::array();
  for (const GpuInfo& g : host.gpus) gpus.push_back(toJson(g));
  for (const NicInfo& n : host.nics) nics.push_back(toJson(n));
  return {{"hostname", host.hostname},
          {"hostHash", hex64(hostHash(host))},
          {"cpu", toJson(host.cpu)},
          {"gpuSource", host.gpuSource},
          {"gpus", gpus},
          {"nvswitch", host.nvswitch},
          {"nvswitchPciDevices", host.nvswitchPciDevices},
          {"nics", nics},
          {"software", host.software},
          {"notes", healthNotes(host)}};
}

}  // namespace cclbench
