#pragma once
/// Pieces of the topology probe shared between its source files (not a public interface).

#include <string>
#include <vector>

#include "inspect/topology.hpp"

namespace cclbench {

std::string trim(const std::string& text);

CpuInfo probeCpu(const SystemSource& sys, const CommandRunner& commands);
/// RDMA devices of /sys/class/infiniband, then physical network devices not part of one.
std::vector<NicInfo> probeNics(const SystemSource& sys);
/// NVIDIA PCI bridges (class 0x0680): NVSwitches visible to this host.
int countNvswitchBridges(const SystemSource& sys);
/// Fills gpus, gpuSource, gpuAbsentReason, nvswitch (NVML's view) and software versions.
void probeGpus(const ProbeSources& sources, HostTopology& host);

}  // namespace cclbench
