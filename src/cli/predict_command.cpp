/// `cclbench predict`: parses its arguments; model/ computes and renders.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/commands.hpp"
#include "cli/parse_args.hpp"
#include "core/error.hpp"
#include "core/json_text.hpp"
#include "core/run_config.hpp"
#include "core/sizes.hpp"
#include "model/predict.hpp"

namespace cclbench {
namespace {

constexpr const char* kExamples = R"(Examples:
  cclbench predict --topology h100-8gpu-ib400                 one 8-GPU H100 node
  cclbench predict allreduce --topology h100-8gpu-ib400 --nodes 512 -b 1M -e 16G
  cclbench predict --topology rack.toml --json                your own description
  cclbench predict --list-topologies

Everything printed is MODELLED: NCCL 2.28's own cost model (the estimates NCCL picks its
algorithm and protocol by) over the graph a description implies (docs/model.md), never a
measurement; nothing is stored in the results database. A topology file is TOML:
  preset = "h100-8gpu-ib400"   # optional base; every key below overrides it
  gpu = "hopper"               # volta ampere hopper blackwell
  gpus_per_node = 8
  nodes = 16
  nvlink_links = 18            # per GPU; 0 = GPUs talk over PCIe
  nvswitch = true
  pcie_GBps = 48               # per GPU, NCCL's figure (gen4 x16 24, gen5 x16 48)
  nics_per_node = 8
  nic_Gbps = 400               # line rate per NIC
  cpu = "intel"                # intel or amd
  channels = 0                 # rings NCCL finds; 0 = derived)";

}  // namespace

int predictCommand(int*, char***, const std::vector<std::string>& args) {
  CLI::App app{"What NCCL's own cost model expects for a described topology (modelled, not measured).",
               "cclbench predict"};
  app.footer(kExamples);
  app.get_formatter()->column_width(30);
  std::vector<std::string> names;
  std::string topology, minBytes = "8", maxBytes = "16G";
  double factor = 2;
  int nodes = 0;
  bool json = false, list = false;
  app.add_option("collectives", names, "allreduce allgather reducescatter broadcast reduce "
                                       "(default allreduce allgather reducescatter)");
  app.add_option("--topology", topology, "a preset name or a TOML file");
  app.add_option("--nodes", nodes, "node count, overriding the description's");
  app.add_option("-b,--minbytes", minBytes, "smallest size (default 8)");
  app.add_option("-e,--maxbytes", maxBytes, "largest size (default 16G)");
  app.add_option("-f,--stepfactor", factor, "multiply the size by this (default 2)");
  app.add_flag("--json", json, "one JSON document (schema cclbench.predict/1)");
  app.add_flag("--list-topologies", list, "the presets --topology accepts");
  if (!parseArgs(app, args)) return 0;
  if (list) {
    for (const auto& [preset, description] : model::presetNames()) {
      std::printf("%-20s %s\n", preset.c_str(), description.c_str());
    }
    return 0;
  }
  if (topology.empty()) throw usageError("predict needs --topology PRESET|FILE (--list-topologies)");
  if (app.count("--nodes") && nodes < 1) throw usageError("--nodes must be 1 or more");
  std::vector<Collective> collectives{Collective::kAllReduce, Collective::kAllGather,
                                      Collective::kReduceScatter};
  if (!names.empty()) {
    collectives.clear();
    for (const auto& n : names) {
      const auto c = parseCollective(n);
      if (!c) throw usageError("unknown collective '" + n + "' (" + collectiveSpellings() + ")");
      collectives.push_back(*c);
    }
  }
  const std::vector<uint64_t> sizes =
      sweepSizes(SweepSpec{bytesOption(minBytes, "-b"), bytesOption(maxBytes, "-e"), factor, 0, {}});
  const model::NcclModel m(model::loadTopology(topology, nodes));
  const auto rows = model::predict(m, collectives, sizes);
  if (json) {
    std::printf("%s\n", jsonText(model::predictionJson(m, rows), 2).c_str());
  } else {
    std::printf("%s", model::predictionText(m, rows).c_str());
  }
  return 0;
}

}  // namespace cclbench
