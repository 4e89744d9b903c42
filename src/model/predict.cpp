#include "model/predict.hpp"

#include <cstdio>
#include <sstream>

#include "core/error.hpp"
#include "core/sizes.hpp"

namespace cclbench::model {
namespace {

std::string pairName(int a, int p) { return std::string(algorithmName(a)) + "/" + protocolName(p); }

}  // namespace

std::vector<Prediction> predict(const NcclModel& model, const std::vector<Collective>& collectives,
                                const std::vector<uint64_t>& sizes) {
  std::vector<Prediction> out;
  const int n = model.topology().ranks();
  for (Collective c : collectives) {
    if (!ncclFunction(c)) {
      throw usageError(std::string("the model covers what NCCL's tuner decides (allreduce allgather "
                                   "reducescatter broadcast reduce), not ") + name(c));
    }
    for (uint64_t bytes : sizes) {
      Prediction p;
      p.collective = c;
      p.bytes = bytes;
      p.pick = model.choice(c, bytes);
      if (p.pick.us > 0) {
        p.algbwGBps = static_cast<double>(bytes) / (p.pick.us * 1e3);
        p.busbwGBps = p.algbwGBps * info(c).busBandwidthFactor(n);
      }
      double second = -1;
      for (const auto& [a, pr] : model.pairs(c)) {
        if (a == p.pick.algorithm && pr == p.pick.protocol) continue;
        const double e = model.timeUs(c, a, pr, 0, bytes);
        if (second < 0 || e < second) {
          second = e;
          char text[96];
          std::snprintf(text, sizeof text, "%s %.1f us", pairName(a, pr).c_str(), e);
          p.runnerUp = text;
        }
      }
      out.push_back(p);
    }
  }
  return out;
}

std::string predictionText(const NcclModel& model, const std::vector<Prediction>& rows) {
  std::ostringstream out;
  const Topology& t = model.topology();
  out << "# cclbench predict: MODELLED (NCCL 2.28's cost model), not measured\n"
      << "# topology: " << t.name << "\n#   " << describe(t) << "\n"
      << "#   graph as approximated (docs/model.md): " << model.channels() << " channels\n";
  Collective current = Collective::kSendRecv;
  char line[256];
  for (const Prediction& p : rows) {
    if (p.collective != current) {
      current = p.collective;
      out << "#\n# Collective: " << name(current) << " (modelled)\n";
      std::snprintf(line, sizeof line, "# %12s  %-17s %8s %12s %12s %12s  %s\n", "size", "NCCL's pick",
                    "channels", "time(us)", "algbw(GB/s)", "busbw(GB/s)", "runner-up");
      out << line;
    }
    std::snprintf(line, sizeof line, "  %12llu  %-17s %8d %12.2f %12.2f %12.2f  %s\n",
                  static_cast<unsigned long long>(p.bytes), pairName(p.pick.algorithm, p.pick.protocol).c_str(),
                  p.pick.channels, p.pick.us, p.algbwGBps, p.busbwGBps, p.runnerUp.c_str());
    out << line;
  }
  return out.str();
}

nlohmann::json predictionJson(const NcclModel& model, const std::vector<Prediction>& rows) {
  const Topology& t = model.topology();
  nlohmann::json j = {{"schema", "cclbench.predict"},
                      {"schema_version", 1},
                      {"modelled", true},
                      {"model", "NCCL 2.28 cost model (src/graph/tuning.cc), docs/model.md"},
                      {"topology",
                       {{"name", t.name},
                        {"gpu", name(t.gpu)},
                        {"gpus_per_node", t.gpusPerNode},
                        {"nodes", t.nodes},
                        {"ranks", t.ranks()},
                        {"nvlink_links", t.nvlinkLinks},
                        {"nvswitch", t.nvswitch},
                        {"pcie_GBps", t.pcieGBps},
                        {"nics_per_node", t.nicsPerNode},
                        {"nic_Gbps", t.nicGbps},
                        {"cpu", t.cpu == CpuVendor::kAmd ? "amd" : "intel"},
                        {"channels", model.channels()}}},
                      {"predictions", nlohmann::json::array()}};
  for (const Prediction& p : rows) {
    j["predictions"].push_back({{"collective", name(p.collective)},
                                {"size_bytes", p.bytes},
                                {"algorithm", algorithmName(p.pick.algorithm)},
                                {"protocol", protocolName(p.pick.protocol)},
                                {"channels", p.pick.channels},
                                {"time_us", p.pick.us},
                                {"algbw_gbps", p.algbwGBps},
                                {"busbw_gbps", p.busbwGBps},
                                {"runner_up", p.runnerUp}});
  }
  return j;
}

}  // namespace cclbench::model
