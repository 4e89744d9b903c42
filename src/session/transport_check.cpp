#include "session/transport_check.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <utility>

#include "backends/backend.hpp"
#include "core/error.hpp"

namespace cclbench {

TransportSetup prepareNcclEnvironment(const std::string& fabric, const NcclSessionSettings& config,
                                      const std::string& logFolder, const Environment& userEnv) {
  TransportSetup setup;
  setup.logFolder = logFolder;
  if (!fabric.empty()) {
    setup.fabric = parseFabric(fabric);
    if (!setup.fabric) {
      throw usageError("unknown fabric '" + fabric + "' (" + fabricSpellings() + ")");
    }
    setup.fabricEnvironment = fabricEnvironment(*setup.fabric, userEnv);
    for (const auto& [name, value] : setup.fabricEnvironment->toSet()) {
      setenv(name.c_str(), value.c_str(), 1);
    }
  }
  if (!config.transportCheck) {
    setup.logFolder.clear();
    setup.note = "--no-transport-check: transports not recorded";
    return setup;
  }
  const bool userDebug = userEnv.count("NCCL_DEBUG") || userEnv.count("NCCL_DEBUG_SUBSYS") ||
                         userEnv.count("NCCL_DEBUG_FILE");
  if (userDebug) {
    setup.note = "NCCL_DEBUG* was set by the user and is respected: transport verification may "
                 "be incomplete";
    if (const auto it = userEnv.find("NCCL_DEBUG_FILE"); it != userEnv.end()) {
      setup.logFolder = std::filesystem::path(it->second).parent_path().string();
    } else {
      setup.logFolder.clear();
    }
    return setup;
  }
  std::error_code ec;
  std::filesystem::create_directories(logFolder, ec);
  if (ec) throw usageError("cannot create " + logFolder + ": " + ec.message());
  setup.cclbenchOwnsDebug = true;
  setenv("NCCL_DEBUG", "INFO", 1);
  // Enough to see each channel's transport and NVLink vs PCIe paths; nothing per collective call.
  // The algorithm probe (a process that times nothing) also logs NCCL's choice per call.
  setenv("NCCL_DEBUG_SUBSYS",
         config.algorithmProbeFile.empty() ? "INIT,NET,GRAPH" : "INIT,NET,GRAPH,TUNING", 1);
  setenv("NCCL_DEBUG_FILE", (logFolder + "/nccl-debug.%h.%p.log").c_str(), 1);
  return setup;
}

TransportCheck checkTransport(const TransportSetup& setup) {
  TransportCheck check;
  if (!setup.logFolder.empty()) {
    const std::string suffix = "." + std::to_string(getpid()) + ".log";
    NcclLogParser parser;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(setup.logFolder, ec)) {
      const std::string file = entry.path().filename().string();
      if (file.size() > suffix.size() && file.ends_with(suffix)) {
        parser.addFile(entry.path().string());
        check.logFound = true;
      }
    }
    check.log = std::move(parser).summary();
  }
  if (setup.fabric) check.verification = verifyFabric(*setup.fabric, check.log);
  return check;
}

void probeConnections(Backend& backend) {
  constexpr std::size_t kCount = 1 << 18;  // 1 MiB of floats
  Buffer send = backend.allocate(kCount * sizeof(float));
  Buffer recv = backend.allocate(kCount * sizeof(float));
  backend.collective({Collective::kAllReduce, send.data(), recv.data(), kCount, DType::kFloat,
                      RedOp::kSum, -1});
  const int n = backend.size();
  const int r = backend.rank();
  const PeerOp ring[] = {{PeerOp::Kind::kRecv, recv.data(), kCount, (r - 1 + n) % n},
                         {PeerOp::Kind::kSend, send.data(), kCount, (r + 1) % n}};
  backend.exchange(ring, DType::kFloat);
  backend.synchronize();
}

nlohmann::json transportJson(const TransportSetup& setup, const TransportCheck& check) {
  nlohmann::json j;
  j["fabric"] = setup.fabric ? nlohmann::json(name(*setup.fabric)) : nlohmann::json();
  if (setup.fabricEnvironment) j["fabric_environment"] = toJson(*setup.fabricEnvironment);
  j["nccl_debug"] = setup.cclbenchOwnsDebug ? "cclbench" : "user";
  j["log_folder"] = setup.logFolder;
  j["summary"] = check.logFound ? check.log.oneLine() : "no NCCL debug log found";
  nlohmann::json counts = nlohmann::json::object();
  for (const auto& [label, n] : check.log.labelCounts()) counts[label] = n;
  j["transports"] = counts;
  if (check.verification) j["verification"] = toJson(*check.verification);
  if (!setup.note.empty()) j["note"] = setup.note;
  return j;
}

}  // namespace cclbench
