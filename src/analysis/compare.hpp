#pragma once
/// Comparing two sets of case records, A (the baseline) and B (the candidate), case by case:
/// ratio of medians with a bootstrap confidence interval, Mann-Whitney p-value, Benjamini-
/// Hochberg q-value over every tested case, and a verdict that needs both significance and a
/// practical threshold. Records in, a Comparison record out; compare_report.hpp renders it.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "analysis/significance.hpp"
#include "core/record.hpp"

namespace cclbench::analysis {

/// What makes two records the same case: cases of A and B are matched on all of it.
struct CaseKey {
  Collective collective = Collective::kAllReduce;
  DType dtype = DType::kFloat;
  RedOp op = RedOp::kNone;
  int root = -1;
  Placement placement = Placement::kOutOfPlace;
  uint64_t sizeBytes = 0;
  auto operator<=>(const CaseKey&) const = default;
};

CaseKey keyOf(const CaseRecord& record);

/// One run's contribution to a side: its identity (for the refusal check) and its cases.
struct RunCases {
  std::string label;    ///< how to name the run to a reader: "run 12", "file a.jsonl"
  int ranks = 0;        ///< 0: unknown
  std::string backend;  ///< "": unknown
  Aggregation aggregation = Aggregation::kMax;
  std::vector<CaseRecord> cases;
};

/// One side's samples of one case.
struct CaseSamples {
  std::vector<double> timeUs;            ///< what the test and the bootstrap compare
  std::vector<double> busBandwidthGBps;  ///< one value per record
};

/// One side of a comparison.
struct Side {
  std::string label;               ///< the operand as the user wrote it, or a description
  std::vector<std::string> runs;   ///< labels of the runs it is made of
  bool pooled = false;             ///< one sample per run: each run's per-case median
  std::set<int> ranks;             ///< known rank counts of its runs
  std::set<std::string> backends;  ///< known backends of its runs
  std::set<Aggregation> aggregations;
  std::map<CaseKey, CaseSamples> cases;
};

/// A side made of one run: every batch time of a case is one sample (a record without samples,
/// such as an imported nccl-tests row, gives its median as its single sample).
Side sideOfRun(const std::string& label, const RunCases& run);

/// A side made of several runs, a "baseline of N runs": each run's per-case median is one
/// sample, so the spread is the run-to-run variation that nightly jobs see. A case measured by
/// only some of the runs has fewer samples.
Side pooledSide(const std::string& label, const std::vector<RunCases>& runs);

/// A property in which the two sides differ (or a side mixes several values).
struct Difference {
  std::string what;  ///< ranks, backend, aggregation
  std::string a;     ///< side A's value(s), comma separated
  std::string b;
};

/// Rank count, backend and rank aggregation of the two sides; unknown values are not compared.
std::vector<Difference> differencesBetween(const Side& a, const Side& b);

enum class Verdict { kNoChange, kFaster, kSlower };
const char* name(Verdict verdict);

struct CompareOptions {
  double alpha = 0.05;      ///< significance level for the BH-adjusted q-values
  double threshold = 0.03;  ///< smallest change that matters: 0.03 = 3% of the time
  bool force = false;       ///< compare even when sides differ in ranks, backend or aggregation
  BootstrapOptions bootstrap;
};

struct CaseComparison {
  CaseKey key;
  std::size_t samplesA = 0;
  std::size_t samplesB = 0;
  double medianUsA = 0;
  double medianUsB = 0;
  double timeRatio = 0;  ///< median B / median A: > 1 means B is slower
  double busBandwidthGBpsA = 0;
  double busBandwidthGBpsB = 0;
  double busBandwidthRatio = 0;              ///< B / A: > 1 means B moves more
  std::optional<RatioInterval> timeRatioCi;  ///< absent when a side has one sample
  std::optional<double> p;                   ///< Mann-Whitney two-sided, when tested
  std::optional<double> q;                   ///< Benjamini-Hochberg over all tested cases
  Verdict verdict = Verdict::kNoChange;
  bool thresholdOnly = false;  ///< no test possible: the verdict rests on the threshold alone
  /// "slower", "faster", "no change", with " (threshold only)" where no test was possible.
  std::string verdictText() const;
};

/// Per collective: geometric mean of the time ratios over its cases.
struct CollectiveSummary {
  Collective collective = Collective::kAllReduce;
  std::size_t cases = 0;
  double geometricMeanTimeRatio = 0;
  std::size_t slower = 0;
  std::size_t faster = 0;
};

struct Comparison {
  std::string labelA;
  std::string labelB;
  std::vector<std::string> runsA;
  std::vector<std::string> runsB;
  CompareOptions options;
  std::vector<Difference> differences;
  bool refused = false;               ///< differences without force: no case was compared
  std::vector<CaseComparison> cases;  ///< in key order
  std::vector<CollectiveSummary> collectives;
  std::size_t tested = 0;   ///< cases with a p-value (the family BH adjusts over)
  std::size_t onlyInA = 0;  ///< cases of A that B lacks
  std::size_t onlyInB = 0;
  std::size_t unusable = 0;  ///< matched cases without a positive median time on a side

  std::size_t count(Verdict verdict) const;
  bool anySlower() const { return count(Verdict::kSlower) > 0; }
};

/// Compares B against A. Sides that differ (differencesBetween) are refused unless
/// options.force: the result then lists the differences, has refused = true and no cases.
Comparison compare(const Side& a, const Side& b, const CompareOptions& options = {});

}  // namespace cclbench::analysis
