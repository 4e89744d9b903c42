#pragma once
/// `cclbench accept SPEC` (issue 9): a battery of checks over a rack's hosts, PASS/FAIL per check
/// and per host, and the bad host or link named in a few rounds.
///
/// Flow: the topology/health gate (`cclbench topo` on every host at once: who answers, and the
/// fingerprint the spec expects; the odd host out named) -> checks of scope "host" (each host
/// alone, all at once) -> multi-host checks ("all": one job over every host; "pairs": one round
/// of disjoint pairs, the odd host in a second round) -> for a multi-host check that failed,
/// isolation (analysis/isolation's Planner: suspects paired with hosts known good, failing groups
/// split) until each bad host or link is named with its evidence. A job fails when its figure
/// (busbw at the check's largest size, out of place) is under the check's floor: min_busbw,
/// min_fraction_of_baseline x the baseline's figure, and min_fraction_of_median x the median of
/// the check's own first round. Hosts that did not answer the gate are left out of the checks.
///
/// Exit: 4 a host did not answer (or a job timed out), else 9 a topology mismatch, else 7 a
/// check failed, else 0 (6, an invalid spec or option, is thrown before anything runs).

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "acceptance/jobs.hpp"
#include "session/battery_spec.hpp"

namespace cclbench::acceptance {

/// One job as judged.
struct JudgedJob {
  HostGroup hosts;
  std::string purpose;  ///< check | isolation
  int round = 0;
  JobOutcome outcome;
  bool passed = false;
  std::string why;      ///< when it failed: figure against which floor
};

struct CheckVerdict {
  const CheckSpec* spec = nullptr;
  bool ran = false;          ///< false: skipped (see note)
  bool passed = false;
  std::string note;          ///< why it was skipped, or what the local mode did
  uint64_t sizeBytes = 0;    ///< the size judged (largest measured)
  double absoluteFloor = 0;  ///< GB/s: max of min_busbw and the baseline's share (0: none)
  std::optional<double> baselineFigure;
  std::optional<double> median;  ///< of the first round's figures (pairs, host)
  std::vector<JudgedJob> jobs;
  int rounds = 0;            ///< its own round(s) and its isolation rounds
  std::vector<std::string> badHosts;
  std::vector<std::pair<std::string, std::string>> badLinks;
  std::vector<std::string> unresolved;
  std::vector<std::string> evidence;
};

struct HostVerdict {
  std::string status = "ok";  ///< ok | suspect | unreachable
  std::string fingerprint;
  bool mismatch = false;      ///< its fingerprint is not the one expected
  std::vector<std::string> health;  ///< topo's health notes
  std::vector<std::string> why;
};

struct AcceptReport {
  std::string spec;
  std::string hostsFrom;       ///< where the host list came from
  bool local = false;          ///< every check on local ranks (one "host")
  std::string expectedFingerprint;  ///< the one hosts were held to ("" for any)
  std::vector<CheckVerdict> checks;
  std::vector<std::string> hostOrder;
  std::map<std::string, HostVerdict> hosts;
  std::vector<std::string> suspects;
  std::vector<std::pair<std::string, std::string>> suspectLinks;
  int rounds = 0;
  bool timedOut = false;       ///< a host did not answer or a job timed out
  int exitCode = 0;
  bool passed() const { return exitCode == 0; }
};

struct AcceptInput {
  const BatterySpec* spec = nullptr;
  std::vector<std::string> hosts;  ///< one "host" in local mode
  std::string hostsFrom;
  bool local = false;
  int maxIsolationRounds = 0;      ///< 0: 2 log2 N + 8
  bool isolate = true;             ///< false: each check's own round(s) only (nightly)
  std::string tag = "acceptance";  ///< every job's tag
  std::map<std::string, std::string> labels;  ///< more labels on every job
  /// Check name -> its baseline's figure (GB/s), for every check with min_fraction_of_baseline
  /// (read from the store before anything runs: accept_run's baselineFigure).
  std::map<std::string, double> baselines;
  std::function<void(const std::string&)> progress;  ///< one line per step (may be empty)
};

/// Runs the whole acceptance with `runner`.
AcceptReport runAcceptance(const AcceptInput& input, JobRunner& runner);

/// The console text: a table per check and one line per host.
std::string consoleText(const AcceptReport& report);
/// `--json-out`: {"verdict", "checks", "hosts", "suspects", "rounds", ...}.
nlohmann::json toJson(const AcceptReport& report);
/// `--junit`: one testcase per check and one per host.
std::string junitXml(const AcceptReport& report);

}  // namespace cclbench::acceptance
