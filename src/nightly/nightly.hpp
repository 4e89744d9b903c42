#pragma once
/// `cclbench nightly SPEC` (issue 10): the acceptance battery run as a nightly job, each check's
/// jobs judged against the same check of the same spec and fingerprint in the last nights
/// (compare: per-case CI, Mann-Whitney, BH) and against its whole history for slow drifts (a
/// change point), with a verdict, a report and exports for the monitoring sites already run.
///
/// This file is the judging half: the night's jobs (their records) and the stored history in, the
/// verdicts out. nightly_run.cpp runs the battery and writes the outputs.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "acceptance/accept.hpp"
#include "analysis/changepoint.hpp"
#include "analysis/compare.hpp"
#include "core/record.hpp"

namespace cclbench {
class ResultStore;
}

namespace cclbench::nightly {

/// One job of tonight: its check, the hosts it ran on, and its records.
struct NightJob {
  std::string check;
  std::string hosts;  ///< comma list, as the job's hosts= label
  RunHeader header;
  std::vector<CaseRecord> cases;
  std::string fingerprint;
};

/// A case's nightly history (oldest first, tonight last) and the change found in it.
struct Drift {
  std::vector<double> medianUs;    ///< per night
  std::vector<std::string> runs;   ///< the run id of each night
  analysis::ChangePoint change;
  bool flagged = false;            ///< significant, slower, beyond the threshold
};

struct CaseVerdict {
  std::string check;
  std::string hosts;
  analysis::CaseKey key;
  double medianUs = 0;
  double busbwGbps = 0;
  std::optional<analysis::CaseComparison> compared;  ///< none on the first night
  std::optional<Drift> drift;
  bool regression() const {
    return (compared && compared->verdict == analysis::Verdict::kSlower) || (drift && drift->flagged);
  }
};

struct JobVerdict {
  std::string check;
  std::string hosts;
  std::string runId;
  int baselineNights = 0;            ///< 0: the first night of this series
  std::vector<std::string> baselineRuns;
  bool refused = false;              ///< compare refused (ranks/backend differ): the reason
  std::string refusal;
};

struct NightReport {
  acceptance::AcceptReport battery;  ///< gate, floors, hosts, jobs
  std::string night;                 ///< this night's id (label night=)
  std::string startedUtc;
  double threshold = 0.03;
  std::vector<JobVerdict> jobs;
  std::vector<CaseVerdict> cases;
  int regressions = 0;               ///< cases slower than the baseline or drifting
  bool firstNight = false;           ///< no job had a baseline
  int exitCode = 0;
};

struct JudgeOptions {
  std::string spec;
  int baselineRuns = 7;
  double threshold = 0.03;
  int historyNights = 60;            ///< nights the change-point test looks at
  double driftAlpha = 0.01;
};

/// Judges tonight's jobs against the history in `store` (which already holds them: they are
/// left out of their own baselines), then sets the exit code: the battery's (4, 9, 7), else 8
/// for a regression or a drift, else 0.
NightReport judgeNight(acceptance::AcceptReport battery, const std::vector<NightJob>& jobs, ResultStore& store,
                       const JudgeOptions& options, const std::string& night);

/// The runs current nightly baselines use: per series (spec, check, hosts and fingerprint of the
/// runs tagged nightly) the newest `keep` complete runs. `cclbench prune` never removes them.
std::set<int64_t> baselineRunIds(ResultStore& store, int keep);

/// Renderings (written whole by the driver).
std::string summaryMarkdown(const NightReport& r);
std::string reportHtml(const NightReport& r);
/// node_exporter's textfile-collector format.
std::string prometheusText(const NightReport& r, double unixTime);
std::string junitXml(const NightReport& r);

}  // namespace cclbench::nightly
