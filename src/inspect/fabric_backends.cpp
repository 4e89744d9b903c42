#include "inspect/fabric_backends.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <filesystem>

namespace cclbench {
namespace {

const std::vector<std::string> kShmTransports = {"sysv", "posix", "cma", "xpmem", "knem"};
const std::vector<std::string> kIbTransports = {"rc_verbs", "rc_mlx5", "ud_verbs", "ud_mlx5",
                                                "dc_mlx5"};
/// Every peer over the RDMA transports (no shared memory between same-host peers), as NCCL's ib.
constexpr const char* kIbTls = "rc,ud,dc,self";

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t#\r");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r");
  return std::string(text.substr(first, last - first + 1));
}

}  // namespace

std::optional<UcxFabric> ucxFabric(Fabric fabric, std::string* whyNot) {
  switch (fabric) {
    case Fabric::kShm:
      return UcxFabric{"shm,self", kShmTransports,
                       "UCX's shared-memory transports (sysv, posix, cma, xpmem, knem) between "
                       "peers on one host; peers on other hosts are unreachable"};
    case Fabric::kTcp:
      return UcxFabric{"tcp,self", {"tcp"}, "UCX's tcp transport for every peer, same host included"};
    case Fabric::kIb:
      return UcxFabric{kIbTls, kIbTransports,
                       "UCX's RDMA transports (rc, ud, dc) on ports with link layer InfiniBand, for "
                       "every peer, same host included"};
    case Fabric::kRoce:
      return UcxFabric{kIbTls, kIbTransports,
                       "UCX's RDMA transports (rc, ud, dc) on ports with link layer Ethernet "
                       "(RoCE), for every peer, same host included"};
    case Fabric::kCudaIpc:
    case Fabric::kNvlink:
      return UcxFabric{"cuda_ipc,cuda_copy,shm,self", {"cuda_ipc"},
                       "UCX's cuda_ipc transport moves the data between GPUs of one host (NVLink "
                       "where it joins them); control messages over shared memory"};
    case Fabric::kPcie:
      break;
  }
  if (whyNot) {
    *whyNot = "UCX cannot be told to use PCIe rather than NVLink: cuda_ipc uses whichever joins "
              "the GPUs (ask cuda_ipc)";
  }
  return std::nullopt;
}

std::optional<MpiFabric> mpiFabric(Fabric fabric, std::string* whyNot) {
  switch (fabric) {
    case Fabric::kShm:
      return MpiFabric{{{"OMPI_MCA_pml", "ob1"}, {"OMPI_MCA_btl", "self,vader"}},
                       "pml ob1 with the self and vader (shared memory) BTLs only"};
    case Fabric::kTcp:
      return MpiFabric{{{"OMPI_MCA_pml", "ob1"}, {"OMPI_MCA_btl", "self,tcp"}},
                       "pml ob1 with the self and tcp BTLs only"};
    case Fabric::kIb:
    case Fabric::kRoce:
      return MpiFabric{{{"OMPI_MCA_pml", "ucx"}, {"UCX_TLS", kIbTls}},
                       "pml ucx with UCX's RDMA transports only (UCX_TLS for the ranks' UCX)"};
    default:
      break;
  }
  if (whyNot) {
    *whyNot = std::string("--fabric ") + name(fabric) +
              " is a GPU path: the MPI backend moves host memory (use --backend nccl)";
  }
  return std::nullopt;
}

bool UcxLane::carriesData() const {
  return std::any_of(purposes.begin(), purposes.end(), [](const std::string& p) {
    return p.rfind("wireup", 0) != 0 && p.rfind("keepalive", 0) != 0;
  });
}

std::vector<UcxLane> parseUcxEndpointInfo(std::string_view text) {
  std::vector<UcxLane> lanes;
  std::istringstream in{std::string(text)};
  std::string raw;
  while (std::getline(in, raw)) {
    const std::string line = trim(raw);
    if (line.rfind("lane[", 0) != 0) continue;
    const auto close = line.find("]:");
    if (close == std::string::npos) continue;
    UcxLane lane;
    try {
      lane.index = std::stoi(line.substr(5, close - 5));
    } catch (const std::exception&) {
      continue;
    }
    std::istringstream words(line.substr(close + 2));
    std::string resource;
    words >> resource;  // "3:sysv/memory.0"
    const auto colon = resource.find(':');
    const auto slash = resource.find('/');
    const auto dot = resource.rfind('.');
    if (colon == std::string::npos || slash == std::string::npos || slash < colon ||
        dot == std::string::npos || dot < slash) {
      continue;
    }
    lane.transport = resource.substr(colon + 1, slash - colon - 1);
    lane.device = resource.substr(slash + 1, dot - slash - 1);
    std::string word;
    bool afterArrow = false, afterRemote = false;
    while (words >> word) {
      if (!afterArrow) {
        afterArrow = word == "->";
      } else if (!afterRemote) {
        afterRemote = true;  // the remote side: md[2]/sysv/sysdev[255]
      } else if (word == "seg") {
        words >> word;  // newer UCX prints the segment size before the purposes
      } else {
        lane.purposes.push_back(word);
      }
    }
    lane.line = line;
    lanes.push_back(std::move(lane));
  }
  return lanes;
}

std::string describeLanes(const std::vector<UcxLane>& lanes) {
  std::vector<std::string> seen;
  for (const UcxLane& l : lanes) {
    if (!l.carriesData()) continue;
    const std::string name = l.transport + "/" + l.device;
    if (!contains(seen, name)) seen.push_back(name);
  }
  std::string out;
  for (const std::string& s : seen) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "no data lane" : out;
}

FabricVerification verifyUcxEndpoints(Fabric asked, const std::vector<UcxEndpointReport>& endpoints,
                                      const LinkLayerOf& linkLayer) {
  FabricVerification v;
  v.asked = asked;
  v.library = "UCX";
  const std::optional<UcxFabric> fabric = ucxFabric(asked);
  std::set<std::string> used;
  std::string problem;
  auto fail = [&](const UcxEndpointReport& e, const std::string& why, const std::string& line) {
    if (problem.empty()) problem = "peer " + std::to_string(e.peer) + ": " + why;
    if (!line.empty() && v.evidence.size() < kMaxEvidenceLines) v.evidence.push_back(line);
  };
  for (const UcxEndpointReport& e : endpoints) {
    bool anyData = false, anyAsked = false;
    for (const UcxLane& l : e.lanes) {
      if (!l.carriesData()) continue;
      anyData = true;
      used.insert(l.transport + "/" + l.device);
      const bool mine = fabric && contains(fabric->transports, l.transport);
      anyAsked = anyAsked || mine;
      if (!fabric) continue;
      const bool gpu = asked == Fabric::kCudaIpc || asked == Fabric::kNvlink;
      if (!mine && !gpu) {
        fail(e, "lane " + std::to_string(l.index) + " uses " + l.transport + "/" + l.device +
                    ", not " + name(asked),
             l.line);
      } else if (mine && (asked == Fabric::kIb || asked == Fabric::kRoce)) {
        const std::string want = asked == Fabric::kIb ? "InfiniBand" : "Ethernet";
        const std::string layer = linkLayer ? linkLayer(l.device) : "";
        if (layer.empty()) {
          v.verificationIncomplete = true;
          v.incompleteReason = "the link layer of " + l.device + " is unknown";
        } else if (layer != want) {
          fail(e, l.device + " has link layer " + layer + ", not " + want, l.line);
        }
      }
    }
    if (!anyData) fail(e, "the endpoint shows no lane that carries data", "");
    if (anyData && !anyAsked && problem.empty()) {
      fail(e, std::string("no lane uses ") + name(asked) + " (" + describeLanes(e.lanes) + ")", "");
    } else if (anyAsked && (asked == Fabric::kCudaIpc || asked == Fabric::kNvlink)) {
      // Control lanes over shared memory are expected; the bulk data (rma_bw) must be cuda_ipc.
      for (const UcxLane& l : e.lanes) {
        const bool bulk = std::any_of(l.purposes.begin(), l.purposes.end(),
                                      [](const std::string& p) { return p.rfind("rma_bw", 0) == 0; });
        if (bulk && !contains(fabric->transports, l.transport)) {
          fail(e, "lane " + std::to_string(l.index) + " moves bulk data over " + l.transport + "/" + l.device +
                      ", not cuda_ipc",
               l.line);
        }
      }
    }
  }
  if (endpoints.empty()) problem = "no endpoint to another rank was reported";
  std::string joined;
  for (const std::string& u : used) joined += (joined.empty() ? "" : ", ") + u;
  v.used = (joined.empty() ? std::string("no data lane") : joined) + " on " +
           std::to_string(endpoints.size()) + " endpoint" + (endpoints.size() == 1 ? "" : "s");
  v.ok = problem.empty() && fabric.has_value();
  v.detail = problem;
  return v;
}

nlohmann::json toJson(const UcxEndpointReport& endpoint) {
  nlohmann::json lanes = nlohmann::json::array();
  for (const UcxLane& l : endpoint.lanes) {
    lanes.push_back({{"lane", l.index},
                     {"transport", l.transport},
                     {"device", l.device},
                     {"purposes", l.purposes}});
  }
  return {{"peer", endpoint.peer}, {"lanes", lanes}, {"data", describeLanes(endpoint.lanes)}};
}

std::string rdmaLinkLayer(const std::string& device, const std::string& sysfsRoot) {
  std::string dev = device, port = "1";
  if (const auto colon = device.find(':'); colon != std::string::npos) {
    dev = device.substr(0, colon);
    port = device.substr(colon + 1);
  }
  if (dev.empty() || dev.find('/') != std::string::npos || port.find('/') != std::string::npos) {
    return {};
  }
  std::ifstream in(sysfsRoot + "/class/infiniband/" + dev + "/ports/" + port + "/link_layer");
  std::string layer;
  std::getline(in, layer);
  return trim(layer);
}

std::string fabricMissingOnHost(Fabric fabric, const std::string& sysfsRoot) {
  if (fabric != Fabric::kIb && fabric != Fabric::kRoce) return {};
  const std::string want = fabric == Fabric::kIb ? "InfiniBand" : "Ethernet";
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path root = fs::path(sysfsRoot) / "class" / "infiniband";
  std::vector<std::string> others;
  for (fs::directory_iterator dev(root, ec), end; !ec && dev != end; dev.increment(ec)) {
    std::error_code portEc;
    for (fs::directory_iterator port(dev->path() / "ports", portEc); !portEc && port != end;
         port.increment(portEc)) {
      const std::string name = dev->path().filename().string() + ":" + port->path().filename().string();
      const std::string layer = rdmaLinkLayer(name, sysfsRoot);
      if (layer == want) return {};
      if (!layer.empty()) others.push_back(name + " is " + layer);
    }
  }
  std::string text = std::string("this host has no RDMA port with link layer ") + want + " (";
  if (others.empty()) return text + root.string() + " lists none)";
  for (std::size_t i = 0; i < others.size(); ++i) text += (i ? ", " : "") + others[i];
  return text + ")";
}

}  // namespace cclbench
