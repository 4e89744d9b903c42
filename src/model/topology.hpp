#pragma once
/// A described topology for NCCL's cost model (`cclbench predict`, `tune --backend model`): what
/// an operator knows of a cluster (GPU generation, GPUs per node, nodes, NVLink, PCIe, NICs), read
/// from a TOML file or a named preset. The model turns it into the graph NCCL's topology search
/// would find (channels and per-channel bandwidth, docs/model.md says how).

#include <optional>
#include <string>
#include <vector>

namespace cclbench::model {

enum class GpuGeneration { kVolta, kAmpere, kHopper, kBlackwell };
const char* name(GpuGeneration g);

enum class CpuVendor { kIntel, kAmd };

struct Topology {
  std::string name;            ///< one line a reader recognises
  GpuGeneration gpu = GpuGeneration::kHopper;
  int gpusPerNode = 8;
  int nodes = 1;
  int nvlinkLinks = 18;        ///< NVLink links per GPU; 0: GPUs talk over PCIe
  bool nvswitch = true;        ///< GPUs of a node behind NVSwitches (NVLS where the GPU has it)
  double pcieGBps = 24;        ///< NCCL's PCIe bandwidth per GPU (gen4 x16: 24, gen5 x16: 48)
  int nicsPerNode = 8;
  double nicGbps = 400;        ///< line rate per NIC, Gb/s (as NICs are sold)
  CpuVendor cpu = CpuVendor::kIntel;
  int channels = 0;            ///< rings of NCCL's graph search; 0: derived (docs/model.md)
  int ranks() const { return gpusPerNode * nodes; }
};

/// The presets `--topology NAME` accepts, and their one-line descriptions.
std::vector<std::pair<std::string, std::string>> presetNames();

/// A preset by name, nullopt when unknown.
std::optional<Topology> preset(const std::string& name);

/// Parses a topology TOML document (`source` names it in errors). Throws
/// Error(kInvalidUsage) with the key and what is wrong.
Topology parseTopologyToml(const std::string& text, const std::string& source);

/// `--topology`: a preset name, or a TOML file; `nodes` > 0 overrides the node count. Throws
/// Error(kInvalidUsage) for an unknown preset or a file that cannot be read or parsed.
Topology loadTopology(const std::string& presetOrFile, int nodes = 0);

/// Checks the counts and bandwidths; throws Error(kInvalidUsage) naming the field.
void validate(const Topology& t);

/// "8 x hopper per node x 4 nodes, NVLink 18 links + NVSwitch, 8 x 400 Gb/s NICs"
std::string describe(const Topology& t);

}  // namespace cclbench::model
