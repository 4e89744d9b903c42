#pragma once
/// The jobs of an acceptance (issue 9): what the flow asks for (a host probe, a round of disjoint
/// groups measured at once) behind one interface, so the flow is tested against a modelled
/// fabric and run for real through launches of this binary.
///
/// LaunchJobRunner launches only through the existing launchers: mpirun with host lists (Open
/// MPI's MCA environment, e.g. OMPI_MCA_plm_rsh_agent, passes through untouched), srun with node
/// lists inside a Slurm allocation, or local ranks. Every launch has the driver's own deadline: a
/// host that drops every packet hangs mpirun's wire-up before any rank's -T can see it.

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/record.hpp"
#include "session/battery_spec.hpp"

namespace cclbench::acceptance {

using HostGroup = std::vector<std::string>;  ///< host names in rank order

/// What `cclbench topo` on one host said.
struct HostAnswer {
  bool answered = false;
  std::string fingerprint;
  std::vector<std::string> health;  ///< topo's health notes (downtrained links, ECC errors ...)
  std::string failure;  ///< when it did not answer: how the probe ended
};

/// What one job of a round measured.
struct JobOutcome {
  bool ran = false;        ///< it measured the check's largest size
  bool timedOut = false;   ///< a rank's -T or the driver's deadline ended it
  int status = 0;          ///< the launch's exit status
  double figure = 0;       ///< busbw (GB/s) at the largest size, out of place
  double timeUs = 0;       ///< its median time per operation
  uint64_t sizeBytes = 0;  ///< the size the figure is for
  std::string failure;     ///< why it did not run (one line)
  std::string runId;
  std::string log;         ///< the launch's output file, if any
  std::string jsonl;       ///< the job's records file (it may not exist)
  int signal = 0;          ///< the user's signal that ended it (SIGINT ...), 0 if none
};

/// A job was ended by a signal the user sent: the acceptance stops, writing no verdict.
struct Interrupted : std::runtime_error {
  explicit Interrupted(int signal)
      : std::runtime_error("interrupted by signal " + std::to_string(signal)), signal(signal) {}
  int signal;
};

/// Labels and bookkeeping stamped on a round's jobs.
struct RoundContext {
  std::string spec;     ///< spec=
  std::string check;    ///< check=
  std::string purpose;  ///< check | isolation
  int round = 0;        ///< the acceptance's round counter
  std::string tag = "acceptance";             ///< --tag of every job
  std::map<std::string, std::string> labels;  ///< more labels (nightly: night=)
};

class JobRunner {
 public:
  virtual ~JobRunner() = default;
  /// `cclbench topo --json` on every host, at once: who answered within `timeoutSeconds`, with
  /// which fingerprint. One answer per host, in order.
  virtual std::vector<HostAnswer> probe(const std::vector<std::string>& hosts, double timeoutSeconds) = 0;
  /// One round: each group as one job of `check` (ranksPerHost ranks on each of its hosts), all
  /// at once unless the check says parallel = false. One outcome per group, in order.
  virtual std::vector<JobOutcome> runRound(const CheckSpec& check, int ranksPerHost, double timeoutSeconds,
                                           const std::vector<HostGroup>& groups, const RoundContext& context) = 0;
};

/// How launches reach the hosts.
enum class LaunchVia { kLocal, kMpirun, kSrun };

struct LaunchOptions {
  std::string executable;  ///< this cclbench
  std::string folder;      ///< launches/<n>-<check>-<purpose>.jsonl|.log go here
  LaunchVia via = LaunchVia::kMpirun;
  int localRanks = 2;      ///< kLocal: --np of every job
  std::string database;    ///< --db ("" = the default)
  bool writeDatabase = true;
  int maxConcurrent = 64;  ///< launches at once from this driver
};

class LaunchJobRunner final : public JobRunner {
 public:
  explicit LaunchJobRunner(LaunchOptions options);
  std::vector<HostAnswer> probe(const std::vector<std::string>& hosts, double timeoutSeconds) override;
  std::vector<JobOutcome> runRound(const CheckSpec& check, int ranksPerHost, double timeoutSeconds,
                                   const std::vector<HostGroup>& groups, const RoundContext& context) override;

  /// The command line of one job (exposed for tests).
  std::vector<std::string> jobCommand(const CheckSpec& check, int ranksPerHost, double timeoutSeconds,
                                      const HostGroup& group, const RoundContext& context,
                                      const std::string& jsonl) const;

 private:
  std::string nextBase(const std::string& what);
  LaunchOptions options_;
  int launches_ = 0;
};

/// The record of `check`'s largest size (out of place, at most its -e) among a launch's records:
/// what a job is judged by. Null when there is none.
const CaseRecord* largestCase(const std::vector<CaseRecord>& cases, const CheckSpec& check);

/// Its busbw and size (a baseline's figure). False when the records hold no such case.
bool figureOf(const std::vector<CaseRecord>& cases, const CheckSpec& check, double& figure,
              uint64_t& sizeBytes);

}  // namespace cclbench::acceptance
