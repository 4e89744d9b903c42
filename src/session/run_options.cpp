#include "session/run_options.hpp"

#include <algorithm>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/output_path.hpp"
#include "session/run_sources.hpp"
#include "inspect/fabric.hpp"

namespace cclbench {

namespace {

/// No output may replace a results database (the default, $CCLBENCH_DB, or the one this run
/// stores into), a folder or a special file; --jsonl never replaces any file.
void validateOutputs(const RunOptions& o) {
  std::vector<std::string> databases = {resultsDatabasePath("")};
  for (const ReporterSpec& r : o.outputs.reporters) {
    if (r.name == "store") databases.push_back(resultsDatabasePath(r.target));
  }
  for (const ReporterSpec& r : o.outputs.reporters) {
    if (r.name == "jsonl" && !r.target.empty()) {
      checkOutputPath(r.target, "--jsonl", {databases, true});
    } else if (r.name == "csv") {
      checkOutputPath(r.target, "--csv", {databases, false});
    }
  }
  if (!o.nccl.algorithmProbeFile.empty()) {
    checkOutputPath(o.nccl.algorithmProbeFile, "--algorithm-probe", {databases, false});
  }
}

}  // namespace

void validateRunOptions(const RunOptions& o, const std::string& backend, RankMode mode) {
  validate(o.config);
  validate(o.backend, backend);
  const NcclSessionSettings& n = o.nccl;
  if (!o.backend.fabric.empty() && !n.transportCheck) {
    throw usageError("--fabric needs the transport check: drop --no-transport-check");
  }
  if (backend != "nccl" &&
      (n.captureAlgorithms || !n.algorithmProbeFile.empty() || !n.algorithmsFile.empty())) {
    throw usageError(
        "--capture-algorithms, --algorithm-probe and --algorithms need the NCCL backend");
  }
  if (!o.config.candidateSweeps.empty()) {
    if (backend != "nccl" && backend != "mpi") {
      throw usageError("--candidates applies to the NCCL and MPI backends");
    }
    if (!o.backend.ncclForce.empty()) throw usageError("give --nccl-force or --candidates, not both");
  }
  if (n.captureAlgorithms && !n.algorithmProbeFile.empty()) {
    throw usageError("give --capture-algorithms or --algorithm-probe, not both");
  }
  if (n.captureAlgorithms && mode == RankMode::kLaunched) {
    throw usageError(
        "--capture-algorithms works for single-process NCCL runs; under a launcher run "
        "`cclbench run ... --algorithm-probe FILE` as a job of its own, then pass "
        "--algorithms FILE");
  }
  if (o.np && mode == RankMode::kLaunched) {
    throw usageError("--np starts ranks outside a launcher; under mpirun or srun the launcher "
                     "gives the ranks (drop --np)");
  }
  if (o.np && *o.np < 1) throw usageError("--np must be 1 or more");
  if ((!o.hosts.empty() || !o.hostfile.empty()) && mode != RankMode::kSelfLaunch) {
    throw usageError(mode == RankMode::kLaunched
                         ? "--hosts and --hostfile start ranks outside a launcher (drop them)"
                         : "--hosts and --hostfile need the MPI backend (mpirun starts the ranks)");
  }
  if (!o.hosts.empty() && !o.hostfile.empty()) {
    throw usageError("give --hosts or --hostfile, not both");
  }
  if (!o.hostfile.empty() && !o.np) throw usageError("--hostfile needs --np (the rank count)");
  // Local ranks beyond 8 per core measure the scheduler, and start-up alone takes minutes.
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  if (o.np && mode == RankMode::kSelfLaunch && o.hosts.empty() && o.hostfile.empty() &&
      *o.np > static_cast<int>(kMaxLocalRanksPerCore * cores)) {
    throw usageError("--np " + std::to_string(*o.np) + " on a host with " + std::to_string(cores) +
                     " cores: at most " + std::to_string(kMaxLocalRanksPerCore * cores) +
                     " local ranks (" + std::to_string(kMaxLocalRanksPerCore) +
                     " per core); spread more over hosts with --hosts or --hostfile");
  }
  validateOutputs(o);
}

nlohmann::json configJson(const RunOptions& o) {
  nlohmann::json j = toJson(o.config);
  addToConfigJson(o.backend, j);
  j["transport_check"] = o.nccl.transportCheck;
  if (!o.nccl.algorithmProbeFile.empty()) j["algorithm_probe"] = true;
  j["mpi_thread"] = name(o.mpiThread);
  return j;
}

}  // namespace cclbench
