#pragma once
/// Fabric selection and verification. `fabricEnvironment` says which NCCL_* variables force a
/// path where NCCL has a knob for it (user-set variables win and are reported as kept);
/// `verifyFabric` reads a parsed NCCL INFO log and says whether NCCL really used that path (the
/// classic failure: IB asked, NCCL silently fell back to sockets).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/environment.hpp"
#include "inspect/nccl_log.hpp"

namespace cclbench {

/// One vocabulary for every backend (what each name sets is the backend's own table: NCCL's
/// variables here, UCX's and Open MPI's in fabric_backends.hpp).
enum class Fabric { kNvlink, kPcie, kShm, kIb, kRoce, kTcp, kCudaIpc };

/// "nvlink", "pcie", "shm", "ib", "roce", "tcp", "cuda_ipc".
const char* name(Fabric fabric);
/// The names above and their aliases (socket = tcp, p2p = nvlink), case-insensitive; nothing for
/// anything else.
std::optional<Fabric> parseFabric(std::string_view text);
const std::vector<Fabric>& allFabrics();
/// "nvlink (p2p), pcie, shm, ib, roce, tcp (socket), cuda_ipc" (for error messages and --help).
std::string fabricSpellings();

/// One NCCL variable a fabric wants, and what it will be.
struct FabricVariable {
  std::string name;
  std::string fabricValue;    ///< what the fabric sets
  std::string value;          ///< what applies: the user's value when kept
  bool keptFromUser = false;  ///< the user set it already: theirs wins
};

/// What to set for one fabric.
struct FabricEnvironment {
  Fabric fabric = Fabric::kIb;
  std::vector<FabricVariable> variables;
  bool verifyOnly = false;  ///< no knob forces this path (PCIe on an NVLink host): only checked
  std::string note;         ///< one or two sentences for docs and --help

  /// The variables to set in the environment (those the user did not set).
  Environment toSet() const;
  /// The user's own values of variables the fabric would have set.
  Environment keptFromUser() const;
};

/// The NCCL_* variables that force `fabric` (shared docs FACTS.md section 5).
FabricEnvironment fabricEnvironment(Fabric fabric, const Environment& userEnv);
/// Empty when NCCL has a setting for `fabric`; otherwise one line saying why not (cuda_ipc).
std::string ncclFabricUnsupported(Fabric fabric);

/// Whether an NCCL log shows the path asked for.
struct FabricVerification {
  bool ok = false;
  Fabric asked = Fabric::kIb;
  std::string library = "NCCL";       ///< who reported what was used (NCCL, UCX)
  std::string used;                   ///< one line, e.g. "NET/Socket on 8 of 8 connections"
  std::string detail;                 ///< why it is a mismatch; empty when ok
  std::vector<std::string> evidence;  ///< up to kMaxEvidenceLines raw log lines
  bool verificationIncomplete = false;
  std::string incompleteReason;

  /// One line: "fabric ib verified: NET/IB GDRDMA on 4 of 4 connections" or "fabric mismatch:
  /// asked ib, NCCL used NET/Socket on 8 of 8 connections (...)".
  std::string message() const;
};

inline constexpr std::size_t kMaxEvidenceLines = 5;

/// Rules: ib -> every network connection is NET/IB over InfiniBand (RoCE is a mismatch); roce ->
/// NET/IB over RoCE; socket -> NET/Socket; shm -> same-host connections are SHM; nvlink and pcie
/// -> same-host connections are P2P, told apart by the GRAPH lines' path type (NVL/NVB vs
/// PIX/PXB/PXN/P2C/PHB/SYS). Without connection lines it checks "Using network" and the NICs,
/// and marks the verification incomplete.
FabricVerification verifyFabric(Fabric asked, const NcclLogSummary& log);

nlohmann::json toJson(const FabricEnvironment& environment);
nlohmann::json toJson(const FabricVerification& verification);

}  // namespace cclbench
