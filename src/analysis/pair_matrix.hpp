#pragma once
/// The pair matrix: latency and bandwidth between every pair of members (hosts, or ranks of one
/// job), the pairs under a fraction of the median pair flagged. Built from run records: a pair of
/// hosts is a 2-host run of `latency` or `bw` (the largest out-of-place case: its median time,
/// its busbw: the rule `cclbench matrix` applies to its jobs' outcomes), a pair of ranks is inside
/// an `--all-pairs` run (the slower of its two ranks' medians in the case of its round; `matrix
/// --np` reads its jobs with this code). `cclbench report matrix:ID` draws a stored matrix again.

#include <map>
#include <string>
#include <vector>

#include "core/record.hpp"

namespace cclbench::analysis {

/// One pair as measured.
struct PairFigure {
  std::string a, b;
  int round = 0;
  bool ran = false;
  double latencyUs = 0;
  double bandwidthGbps = 0;
  bool flagged = false;
  std::string why;
};

struct PairMatrix {
  std::vector<std::string> members;  ///< host names, or "RANK@HOST"
  std::string kind = "hosts";        ///< what the members are: hosts or ranks
  std::vector<PairFigure> pairs;
  bool hasLatency = true;  ///< the records held that metric (a report of one run may hold one)
  bool hasBandwidth = true;
  double medianBandwidthGbps = 0;
  double minFraction = 0.7;
  int rounds = 0;
  bool timedOut = false;
  int exitCode = 0;
};

/// Flags the pairs below `minFraction` x the median bandwidth (and those that did not run), and
/// sets the exit code: 4 a job timed out, 7 a pair flagged, 0 otherwise.
void judgePairMatrix(PairMatrix& m);

/// One run as the matrix reads it; `round` is the run's label round= (pairs of hosts); a pair of
/// hosts whose run did not complete (a job that timed out) did not run.
struct PairRun {
  const RunHeader& header;
  const std::vector<CaseRecord>& cases;
  int round = 0;
  bool complete = true;
};

/// What the matrix asked for, where the runs may not say it all (a job that failed stores
/// nothing): how many members, and that both metrics were measured.
struct PairMatrixAsked {
  int members = 0;            ///< 0: as many as the runs name
  bool bothMetrics = false;   ///< a metric without any record: its pairs did not run
};

/// Whether `cases` hold --all-pairs rounds (a matrix of ranks).
bool hasPairRounds(const std::vector<CaseRecord>& cases);

/// The matrix the runs hold: of ranks when any case is an --all-pairs round (members from the
/// first such run's header), else of hosts (every 2-host run of latency or bw; members sorted,
/// then "(no record N)" for members asked for that no run names). Every pair of the members is
/// listed, in the circle method's order for ranks; a pair with a metric missing did not run ("no
/// figure"). Ranks: each metric's largest --all-pairs size. Not judged.
PairMatrix pairMatrixOf(const std::vector<PairRun>& runs, const PairMatrixAsked& asked = {});

}  // namespace cclbench::analysis
