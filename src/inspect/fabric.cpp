#include "inspect/fabric.hpp"

#include <algorithm>
#include <cctype>

namespace cclbench {
namespace {

struct FabricRow {
  Fabric fabric;
  const char* name;
  const char* alias;  ///< a second spelling ("" = none)
  std::vector<std::pair<const char*, const char*>> variables;
  bool verifyOnly;
  const char* note;
};

/// One row per fabric: what it sets and what the docs say about it.
const std::vector<FabricRow>& fabricTable() {
  static const std::vector<FabricRow> rows = {
      {Fabric::kNvlink,
       "nvlink",
       "p2p",
       {{"NCCL_P2P_LEVEL", "NVL"}, {"NCCL_SHM_DISABLE", "1"}},
       false,
       "P2P only between GPUs joined by NVLink (NCCL_P2P_LEVEL=NVL) and no shared-memory path; "
       "checked from the connection lines (P2P) and the GRAPH lines (path type NVL)."},
      {Fabric::kPcie,
       "pcie",
       "",
       {{"NCCL_SHM_DISABLE", "1"}},
       true,
       "verify-only: no NCCL setting makes NCCL prefer PCIe over NVLink on an NVLink host, so only "
       "shared memory is disabled and the run checks that P2P went over PCIe (GRAPH path type "
       "PIX, PXB or PHB, or SYS)."},
      {Fabric::kShm,
       "shm",
       "",
       {{"NCCL_P2P_DISABLE", "1"}},
       false,
       "P2P disabled: peers on one host go through shared memory; peers on other hosts still use "
       "the network."},
      {Fabric::kIb,
       "ib",
       "",
       {{"NCCL_NET", "IB"}, {"NCCL_P2P_DISABLE", "1"}, {"NCCL_SHM_DISABLE", "1"}},
       false,
       "NCCL's IB transport for every peer, same-host peers included (P2P and SHM disabled); "
       "the NICs must report link layer InfiniBand."},
      {Fabric::kRoce,
       "roce",
       "",
       {{"NCCL_NET", "IB"},
        {"NCCL_P2P_DISABLE", "1"},
        {"NCCL_SHM_DISABLE", "1"},
        {"NCCL_IB_GID_INDEX", "3"}},
       false,
       "NCCL's IB transport over RoCE for every peer, same-host peers included; GID index 3 is "
       "the usual RoCE v2 GID (set NCCL_IB_GID_INDEX yourself where it differs)."},
      {Fabric::kTcp,
       "tcp",
       "socket",
       {{"NCCL_NET", "Socket"},
        {"NCCL_P2P_DISABLE", "1"},
        {"NCCL_SHM_DISABLE", "1"},
        {"NCCL_IB_DISABLE", "1"}},
       false,
       "TCP sockets for every peer, same-host peers included (IB, P2P and SHM disabled)."},
      {Fabric::kCudaIpc,
       "cuda_ipc",
       "",
       {},
       false,
       "UCX's cuda_ipc transport (NCCL has no such name: its P2P transport is CUDA IPC between "
       "processes; ask nvlink or pcie)."},
  };
  return rows;
}

const FabricRow& row(Fabric fabric) {
  for (const FabricRow& r : fabricTable()) {
    if (r.fabric == fabric) return r;
  }
  return fabricTable().front();
}

}  // namespace

const char* name(Fabric fabric) {
  return row(fabric).name;
}

std::optional<Fabric> parseFabric(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const FabricRow& r : fabricTable()) {
    if (lower == r.name || (*r.alias && lower == r.alias)) return r.fabric;
  }
  return std::nullopt;
}

const std::vector<Fabric>& allFabrics() {
  static const std::vector<Fabric> fabrics = [] {
    std::vector<Fabric> out;
    for (const FabricRow& r : fabricTable()) out.push_back(r.fabric);
    return out;
  }();
  return fabrics;
}

std::string fabricSpellings() {
  std::string out;
  for (const FabricRow& r : fabricTable()) {
    out += std::string(out.empty() ? "" : ", ") + r.name;
    if (*r.alias) out += std::string(" (") + r.alias + ")";
  }
  return out;
}

std::string ncclFabricUnsupported(Fabric fabric) {
  if (fabric != Fabric::kCudaIpc) return {};
  return "--fabric cuda_ipc is UCX's transport; NCCL's P2P between processes is CUDA IPC already: "
         "ask nvlink or pcie";
}

Environment FabricEnvironment::toSet() const {
  Environment out;
  for (const FabricVariable& v : variables) {
    if (!v.keptFromUser) out[v.name] = v.value;
  }
  return out;
}

Environment FabricEnvironment::keptFromUser() const {
  Environment out;
  for (const FabricVariable& v : variables) {
    if (v.keptFromUser) out[v.name] = v.value;
  }
  return out;
}

FabricEnvironment fabricEnvironment(Fabric fabric, const Environment& userEnv) {
  const FabricRow& r = row(fabric);
  FabricEnvironment env;
  env.fabric = fabric;
  env.verifyOnly = r.verifyOnly;
  env.note = r.note;
  for (const auto& [variable, value] : r.variables) {
    FabricVariable v{variable, value, value, false};
    if (const auto it = userEnv.find(variable); it != userEnv.end()) {
      v.value = it->second;
      v.keptFromUser = true;
    }
    env.variables.push_back(std::move(v));
  }
  return env;
}

nlohmann::json toJson(const FabricEnvironment& environment) {
  nlohmann::json variables = nlohmann::json::array();
  for (const FabricVariable& v : environment.variables) {
    variables.push_back({{"name", v.name},
                         {"fabric_value", v.fabricValue},
                         {"value", v.value},
                         {"kept_from_user", v.keptFromUser}});
  }
  return {{"fabric", name(environment.fabric)},
          {"verify_only", environment.verifyOnly},
          {"note", environment.note},
          {"variables", variables}};
}

nlohmann::json toJson(const FabricVerification& verification) {
  return {{"fabric", name(verification.asked)},
          {"ok", verification.ok},
          {"used", verification.used},
          {"detail", verification.detail},
          {"evidence", verification.evidence},
          {"verification_incomplete", verification.verificationIncomplete},
          {"incomplete_reason", verification.incompleteReason},
          {"message", verification.message()}};
}

std::string FabricVerification::message() const {
  const std::string fabric = name(asked);
  if (!ok) {
    return "fabric mismatch: asked " + fabric + ", " + library + " used " + used +
           (detail.empty() ? "" : " (" + detail + ")");
  }
  if (verificationIncomplete) {
    return "fabric " + fabric + " not fully verified: " + library + " used " + used + " (" + incompleteReason +
           ")";
  }
  return "fabric " + fabric + " verified: " + library + " used " + used;
}

}  // namespace cclbench
