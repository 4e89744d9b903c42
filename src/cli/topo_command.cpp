/// `cclbench topo [--json]`: this host's CPUs, GPUs, NVSwitches and NICs, the topology
/// fingerprint, and health notes.

#include <CLI/CLI.hpp>

#include <cstdarg>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/parse_args.hpp"
#include "cli/commands.hpp"
#include "core/error.hpp"
#include "core/json_text.hpp"
#include "inspect/topology.hpp"

namespace cclbench {
namespace {

constexpr const char* kExamples = R"(Examples:
  cclbench topo            what this host is, its fingerprint, and what looks unhealthy
  cclbench topo --json     the same as one JSON document (schema cclbench.topo/1)

The fingerprint hashes what defines the hardware (CPU model and sockets; GPU model, count,
compute capability and NVLink links; NVSwitch presence; NIC models, link layers and rated
speeds; node count). Host names, driver versions, negotiated link rates and widths, clocks and
ECC counts are shown beside it but never hashed.)";

struct TopoOptions {
  bool json = false;
  std::string root;            ///< hidden: read /proc and /sys under this folder
  std::string cannedCommands;  ///< hidden: nvidia-smi and lscpu outputs from this folder
  bool helpShown = false;
};

TopoOptions parseTopoOptions(const std::vector<std::string>& args) {
  TopoOptions o;
  CLI::App app{"Describe this host's GPUs, NICs and CPUs, with the topology fingerprint.",
               "cclbench topo"};
  app.footer(kExamples);
  app.add_flag("--json", o.json, "print one JSON document instead of text");
  app.add_option("--root", o.root)->group("");  // test-only: a fixture tree; no NVML
  app.add_option("--canned-commands", o.cannedCommands)->group("");  // test-only; no NVML
  o.helpShown = !parseArgs(app, args);
  return o;
}

HostTopology probe(const TopoOptions& o) {
  if (o.root.empty() && o.cannedCommands.empty()) return probeThisHost();
  const SystemSource system(o.root.empty() ? "/" : o.root);
  const CannedCommandRunner commands(o.cannedCommands);
  return probeHost({system, commands, nullptr});
}

std::string format(const char* pattern, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char* pattern, ...) {
  char text[512];
  va_list args;
  va_start(args, pattern);
  std::vsnprintf(text, sizeof text, pattern, args);
  va_end(args);
  return text;
}

std::string gpuSummary(const HostTopology& host) {
  if (host.gpus.empty()) return "none: " + host.gpuAbsentReason;
  std::map<std::string, int> models;
  for (const GpuInfo& g : host.gpus) ++models[g.model];
  std::string text;
  for (const auto& [model, count] : models) {
    text += (text.empty() ? "" : ", ") + std::to_string(count) + " x " + model;
  }
  const auto driver = host.software.find("driver");
  return text + " (from " + host.gpuSource +
         (driver == host.software.end() ? "" : "; driver " + driver->second) + ")";
}

std::string gpuLine(const GpuInfo& g) {
  const std::string cc = g.computeCapability.empty() ? "?" : g.computeCapability;
  return format("  GPU%-8d %-17s cc %-4s NVLink %d/%d  PCIe gen %d/%d x%d/%d  SM %d/%d MHz",
                g.index, g.pciBusId.c_str(), cc.c_str(), g.nvlinkActive, g.nvlinkLinks, g.pcieGen,
                g.pcieGenMax, g.pcieWidth, g.pcieWidthMax, g.smClockMhz, g.smClockMaxMhz);
}

std::string nicLine(const NicInfo& n) {
  std::string ports;
  for (const NicPort& p : n.ports) {
    const std::string rate = p.rateGbps > 0 ? format("%g Gb/s", p.rateGbps) : "rate unknown";
    ports +=
        format("  port %d %s %s %s", p.number, p.linkLayer.c_str(), p.state.c_str(), rate.c_str());
  }
  std::string extra;
  if (n.ratedGbps > 0) extra += format("  rated %g Gb/s", n.ratedGbps);
  if (n.rdma && !n.netdevs.empty()) extra += "  netdev " + n.netdevs.front();
  if (!n.firmware.empty()) extra += "  fw " + n.firmware;
  return format("  %-10s %-14s%s%s", n.name.c_str(), n.model.c_str(), ports.c_str(), extra.c_str());
}

void printText(const HostTopology& host, std::ostream& out) {
  const auto kernel = host.software.find("kernel");
  out << "host         " << host.hostname
      << (kernel == host.software.end() ? "" : " (kernel " + kernel->second + ")") << "\n";
  out << "cpu          " << host.cpu.sockets << " x " << host.cpu.model << " ("
      << host.cpu.logicalCpus << " logical CPUs)\n";
  out << "gpus         " << gpuSummary(host) << "\n";
  for (const GpuInfo& g : host.gpus) out << gpuLine(g) << "\n";
  if (!host.gpus.empty()) {
    out << "nvswitch     " << (host.nvswitch ? "yes" : "no");
    if (host.nvswitchPciDevices > 0) out << " (" << host.nvswitchPciDevices << " PCI devices)";
    out << "\n";
  }
  int rdma = 0;
  for (const NicInfo& n : host.nics) rdma += n.rdma ? 1 : 0;
  out << "nics         " << (rdma ? std::to_string(rdma) + " RDMA" : std::string("no RDMA NIC"))
      << ", " << host.nics.size() - rdma << " other\n";
  for (const NicInfo& n : host.nics) out << nicLine(n) << "\n";
  out << "fingerprint  " << fingerprint({host}) << " (1 node; host hash " << hex64(hostHash(host))
      << ")\n";
  const auto notes = healthNotes(host);
  out << (notes.empty() ? "health       nothing to report\n" : "health\n");
  for (const std::string& note : notes) out << "  " << note << "\n";
}

}  // namespace

int topoCommand(int*, char***, const std::vector<std::string>& args) {
  const TopoOptions options = parseTopoOptions(args);
  if (options.helpShown) return 0;
  const HostTopology host = probe(options);
  if (options.json) {
    const nlohmann::json document = {{"schema", "cclbench.topo/1"},
                                     {"fingerprint", fingerprint({host})},
                                     {"nodes", 1},
                                     {"host", toJson(host)}};
    std::cout << jsonText(document, 2) << "\n";
  } else {
    printText(host, std::cout);
  }
  return 0;
}

}  // namespace cclbench
