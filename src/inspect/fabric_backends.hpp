#pragma once
/// What a fabric name sets on the backends other than NCCL (NCCL's table is fabric.hpp's), how
/// UCX's own report of an endpoint (ucp_ep_print_info; UCX 1.13 has no query for an endpoint's
/// transports) is read and judged, and whether this host has a fabric at all.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "inspect/fabric.hpp"

namespace cclbench {

/// UCX: what cclbench's own UCP context is given through ucp_config_modify (never the process
/// environment: the MPI bootstrap may use UCX too), and the transports its lanes may then show.
struct UcxFabric {
  std::string tls;                      ///< UCX_TLS
  std::vector<std::string> transports;  ///< lane transports that count as this fabric
  const char* note;
};

/// UCX's setting for `fabric`; nothing (and `whyNot`) where UCX has no such path (pcie).
std::optional<UcxFabric> ucxFabric(Fabric fabric, std::string* whyNot = nullptr);

/// Open MPI: the MCA variables (and UCX_TLS for pml ucx) one rank is started with.
struct MpiFabric {
  std::vector<std::pair<std::string, std::string>> variables;
  const char* note;
};

/// Open MPI's setting for `fabric`; nothing (and `whyNot`) for GPU paths (nvlink, pcie, cuda_ipc).
std::optional<MpiFabric> mpiFabric(Fabric fabric, std::string* whyNot = nullptr);

/// One lane of a UCP endpoint, as ucp_ep_print_info prints it:
/// `lane[1]:  3:sysv/memory.0 md[2]  -> md[2]/sysv/sysdev[255] am am_bw#0`.
struct UcxLane {
  int index = 0;
  std::string transport;  ///< sysv, posix, cma, tcp, rc_mlx5, cuda_ipc ...
  std::string device;     ///< memory, eth0, mlx5_0:1 ...
  std::vector<std::string> purposes;  ///< am, am_bw#0, rma_bw#0, tag, wireup, ... (may be empty)
  std::string line;       ///< the line as printed (trimmed)

  /// Whether the lane moves the benchmark's data (anything but wire-up or keepalive alone, and
  /// not an idle lane).
  bool carriesData() const;
};

/// The lanes of one endpoint's report (other lines are ignored).
std::vector<UcxLane> parseUcxEndpointInfo(std::string_view text);

/// The lanes of the endpoint to one peer.
struct UcxEndpointReport {
  int peer = 0;
  std::vector<UcxLane> lanes;
};

/// The link layer of an RDMA device as UCX names it ("mlx5_0:1"): "InfiniBand", "Ethernet" or
/// "" when unknown.
using LinkLayerOf = std::function<std::string(const std::string& device)>;

/// Whether every data lane of every endpoint is a transport of `asked` (ib: on an InfiniBand
/// port; roce: on an Ethernet one). Endpoints with no data lane at all are a mismatch.
FabricVerification verifyUcxEndpoints(Fabric asked, const std::vector<UcxEndpointReport>& endpoints,
                                      const LinkLayerOf& linkLayer);

/// "sysv/memory, posix/memory, cma/memory" for an endpoint's data lanes.
std::string describeLanes(const std::vector<UcxLane>& lanes);

nlohmann::json toJson(const UcxEndpointReport& endpoint);

/// The link layer of `device` ("mlx5_0:1", port 1 when no port is given) from
/// <sysfsRoot>/class/infiniband/<dev>/ports/<port>/link_layer; "" when absent.
std::string rdmaLinkLayer(const std::string& device, const std::string& sysfsRoot = "/sys");

/// Empty when this host can have `fabric` at all (shm and tcp always; ib: an RDMA port with link
/// layer InfiniBand; roce: one with link layer Ethernet); otherwise one line saying what is
/// missing. GPU paths are left to the backend.
std::string fabricMissingOnHost(Fabric fabric, const std::string& sysfsRoot = "/sys");

}  // namespace cclbench
