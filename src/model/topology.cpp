#include "model/topology.hpp"

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 0
#include <toml++/toml.h>

#include "core/error.hpp"

namespace cclbench::model {
namespace {

Topology hopperNode(const std::string& name) {
  Topology t;
  t.name = name;
  t.gpu = GpuGeneration::kHopper;
  t.pcieGBps = 48;
  return t;
}

struct Preset {
  const char* name;
  const char* description;
  Topology (*make)();
};

const Preset kPresets[] = {
    {"h100-8gpu-ib400", "8 x H100 SXM per node, NVLink 4 (18 links) + NVSwitch, 8 x 400 Gb/s InfiniBand",
     [] { return hopperNode("8 x H100 SXM, NVSwitch, 8 x 400G InfiniBand per node"); }},
    {"h200-8gpu-ib400", "8 x H200 SXM per node, NVLink 4 (18 links) + NVSwitch, 8 x 400 Gb/s InfiniBand",
     [] { return hopperNode("8 x H200 SXM, NVSwitch, 8 x 400G InfiniBand per node"); }},
    {"a100-8gpu-ib200", "8 x A100 SXM per node, NVLink 3 (12 links) + NVSwitch, 8 x 200 Gb/s HDR, AMD CPUs",
     [] {
       Topology t;
       t.name = "8 x A100 SXM, NVSwitch, 8 x 200G HDR InfiniBand per node";
       t.gpu = GpuGeneration::kAmpere;
       t.nvlinkLinks = 12;
       t.nicGbps = 200;
       t.cpu = CpuVendor::kAmd;
       return t;
     }},
    {"b200-8gpu-ib400", "8 x B200 per node, NVLink 5 (18 links) + NVSwitch, 8 x 400 Gb/s InfiniBand",
     [] {
       Topology t = hopperNode("8 x B200, NVSwitch, 8 x 400G InfiniBand per node");
       t.gpu = GpuGeneration::kBlackwell;
       return t;
     }},
    {"pcie-8gpu-roce200", "8 PCIe GPUs (Ampere class, no NVLink) per node, PCIe gen4, 2 x 200 Gb/s RoCE",
     [] {
       Topology t;
       t.name = "8 PCIe GPUs (no NVLink), PCIe gen4, 2 x 200G RoCE per node";
       t.gpu = GpuGeneration::kAmpere;
       t.nvlinkLinks = 0;
       t.nvswitch = false;
       t.nicsPerNode = 2;
       t.nicGbps = 200;
       return t;
     }},
};

[[noreturn]] void fail(const std::string& source, const std::string& what) {
  throw usageError("topology " + source + ": " + what);
}

int intField(const toml::table& table, const std::string& key, const std::string& source,
             int current) {
  const toml::node* node = table.get(key);
  if (!node) return current;
  const auto value = node->value<int64_t>();
  if (!value || !node->is_integer()) fail(source, key + " must be a whole number");
  if (*value < 0 || *value > 1'000'000) fail(source, key + " = " + std::to_string(*value) + " is out of range");
  return static_cast<int>(*value);
}

double numberField(const toml::table& table, const std::string& key, const std::string& source,
                   double current) {
  const toml::node* node = table.get(key);
  if (!node) return current;
  const auto value = node->value<double>();
  if (!value || !(node->is_integer() || node->is_floating_point()) || !std::isfinite(*value) || *value < 0) {
    fail(source, key + " must be a number, 0 or more");
  }
  return *value;
}

std::string stringField(const toml::table& table, const std::string& key, const std::string& source,
                        const std::string& current) {
  const toml::node* node = table.get(key);
  if (!node) return current;
  const auto value = node->value<std::string>();
  if (!value || !node->is_string()) fail(source, key + " must be a string");
  return *value;
}

}  // namespace

const char* name(GpuGeneration g) {
  switch (g) {
    case GpuGeneration::kVolta: return "volta";
    case GpuGeneration::kAmpere: return "ampere";
    case GpuGeneration::kHopper: return "hopper";
    case GpuGeneration::kBlackwell: return "blackwell";
  }
  return "?";
}

std::vector<std::pair<std::string, std::string>> presetNames() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Preset& p : kPresets) out.emplace_back(p.name, p.description);
  return out;
}

std::optional<Topology> preset(const std::string& name) {
  for (const Preset& p : kPresets) {
    if (name == p.name) return p.make();
  }
  return std::nullopt;
}

Topology parseTopologyToml(const std::string& text, const std::string& source) {
  toml::parse_result parsed = toml::parse(text, source);
  if (!parsed) {
    const toml::parse_error& e = parsed.error();
    fail(source, "line " + std::to_string(e.source().begin.line) + ": " + std::string(e.description()));
  }
  const toml::table& table = parsed.table();
  static const std::set<std::string> known = {
      "preset", "name", "gpu", "gpus_per_node", "nodes", "nvlink_links", "nvswitch", "pcie_GBps",
      "nics_per_node", "nic_Gbps", "cpu", "channels"};
  for (const auto& [key, value] : table) {
    if (!known.count(std::string(key.str()))) {
      fail(source, "unknown key '" + std::string(key.str()) +
                       "' (known: preset name gpu gpus_per_node nodes nvlink_links nvswitch "
                       "pcie_GBps nics_per_node nic_Gbps cpu channels)");
    }
  }
  Topology t;
  const std::string base = stringField(table, "preset", source, "");
  if (!base.empty()) {
    const auto p = preset(base);
    if (!p) fail(source, "unknown preset '" + base + "'");
    t = *p;
  }
  t.name = stringField(table, "name", source, t.name.empty() ? source : t.name);
  const std::string gpu = stringField(table, "gpu", source, name(t.gpu));
  if (gpu == "volta") t.gpu = GpuGeneration::kVolta;
  else if (gpu == "ampere") t.gpu = GpuGeneration::kAmpere;
  else if (gpu == "hopper") t.gpu = GpuGeneration::kHopper;
  else if (gpu == "blackwell") t.gpu = GpuGeneration::kBlackwell;
  else fail(source, "gpu = '" + gpu + "': one of volta ampere hopper blackwell");
  t.gpusPerNode = intField(table, "gpus_per_node", source, t.gpusPerNode);
  t.nodes = intField(table, "nodes", source, t.nodes);
  t.nvlinkLinks = intField(table, "nvlink_links", source, t.nvlinkLinks);
  if (const toml::node* n = table.get("nvswitch")) {
    if (!n->is_boolean()) fail(source, "nvswitch must be true or false");
    t.nvswitch = *n->value<bool>();
  }
  t.pcieGBps = numberField(table, "pcie_GBps", source, t.pcieGBps);
  t.nicsPerNode = intField(table, "nics_per_node", source, t.nicsPerNode);
  t.nicGbps = numberField(table, "nic_Gbps", source, t.nicGbps);
  const std::string cpu = stringField(table, "cpu", source, t.cpu == CpuVendor::kAmd ? "amd" : "intel");
  if (cpu == "intel") t.cpu = CpuVendor::kIntel;
  else if (cpu == "amd") t.cpu = CpuVendor::kAmd;
  else fail(source, "cpu = '" + cpu + "': intel or amd");
  t.channels = intField(table, "channels", source, t.channels);
  try {
    validate(t);
  } catch (const Error& e) {
    fail(source, e.what());
  }
  return t;
}

void validate(const Topology& t) {
  if (t.gpusPerNode < 1 || t.gpusPerNode > 72) throw usageError("gpus_per_node must be 1 to 72");
  if (t.nodes < 1 || t.nodes > 100'000) throw usageError("nodes must be 1 to 100000");
  if (t.nvlinkLinks > 36) throw usageError("nvlink_links must be 0 to 36");
  if (!(t.pcieGBps > 0) || t.pcieGBps > 1000) throw usageError("pcie_GBps must be above 0 and at most 1000");
  if (t.nodes > 1 && (t.nicsPerNode < 1 || !(t.nicGbps > 0))) {
    throw usageError("several nodes need nics_per_node and nic_Gbps above 0");
  }
  if (t.nicGbps > 10'000) throw usageError("nic_Gbps must be at most 10000");
  if (t.channels > 64) throw usageError("channels must be 0 (derived) to 64");
}

Topology loadTopology(const std::string& presetOrFile, int nodes) {
  Topology t;
  if (const auto p = preset(presetOrFile)) {
    t = *p;
  } else {
    std::ifstream in(presetOrFile);
    if (!in) {
      std::string names;
      for (const auto& [n, d] : presetNames()) names += " " + n;
      throw usageError("--topology " + presetOrFile + ": neither a preset (" + names.substr(1) +
                       ") nor a readable TOML file");
    }
    std::ostringstream text;
    text << in.rdbuf();
    t = parseTopologyToml(text.str(), presetOrFile);
  }
  if (nodes > 0) t.nodes = nodes;
  validate(t);
  return t;
}

std::string describe(const Topology& t) {
  std::ostringstream out;
  out << t.gpusPerNode << " x " << name(t.gpu) << " GPU(s) per node x " << t.nodes << " node(s) = "
      << t.ranks() << " GPUs; ";
  if (t.nvlinkLinks > 0) {
    out << "NVLink " << t.nvlinkLinks << " links" << (t.nvswitch ? " + NVSwitch" : "");
  } else {
    out << "PCIe " << t.pcieGBps << " GB/s per GPU";
  }
  if (t.nodes > 1) out << "; " << t.nicsPerNode << " x " << t.nicGbps << " Gb/s NICs per node";
  return out.str();
}

}  // namespace cclbench::model
