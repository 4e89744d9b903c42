#include "report/html_report.hpp"

#include <gtest/gtest.h>

#include <string>

#include "report/html_page.hpp"

namespace cclbench {
namespace {

CaseRecord measured(Collective collective, uint64_t sizeBytes, double medianUs) {
  CaseRecord c;
  c.collective = collective;
  c.op = RedOp::kSum;
  c.sizeBytes = sizeBytes;
  c.timeUs.median = medianUs;
  c.timeUs.medianCi = {medianUs * 0.9, medianUs * 1.1};
  c.busBandwidthGBps = sizeBytes / medianUs / 1e3;
  return c;
}

ReportRun run(const std::string& label, std::vector<CaseRecord> cases) {
  ReportRun r;
  r.label = label;
  r.status = "complete";
  r.header.backend = "mpi";
  r.header.ranks = 2;
  r.cases = std::move(cases);
  return r;
}

RegressionRow row(uint64_t sizeBytes, double ratio, const std::string& verdict) {
  RegressionRow r;
  r.collective = Collective::kAllReduce;
  r.op = RedOp::kSum;
  r.sizeBytes = sizeBytes;
  r.ratio = ratio;
  r.ciLow = ratio * 0.95;
  r.ciHigh = ratio * 1.05;
  r.qValue = 0.01;
  r.verdict = verdict;
  return r;
}

ReportInput twoRuns() {
  ReportInput input;
  input.title = "nightly <check>";
  input.chartLibrary = "/* chart.js */";
  input.runs.push_back(run("run 1", {measured(Collective::kAllReduce, 1024, 10),
                                     measured(Collective::kAllReduce, 1 << 20, 100)}));
  input.runs.push_back(run("run 2", {measured(Collective::kAllReduce, 1024, 20),
                                     measured(Collective::kAllReduce, 1 << 20, 101)}));
  ReportComparison comparison;
  comparison.runIndex = 1;
  comparison.rows = {row(1024, 2.0, "slower"), row(1 << 20, 1.01, "no change")};
  comparison.collectives = {{"allreduce", 2, 1.42, 1, 0}};
  input.comparisons.push_back(comparison);
  return input;
}

TEST(HtmlReport, IsOnePageWithTheDataAndTheVerdicts) {
  const std::string page = renderHtmlReport(twoRuns());
  EXPECT_EQ(page.rfind("<!doctype html>", 0), 0u);
  EXPECT_NE(page.find("nightly &lt;check&gt;"), std::string::npos);  // escaped title
  EXPECT_NE(page.find("/* chart.js */"), std::string::npos);         // the library inlined
  EXPECT_NE(page.find("id=cclbench-data"), std::string::npos);
  EXPECT_NE(page.find("1 slower"), std::string::npos);
  EXPECT_NE(page.find("+100%"), std::string::npos);  // the slower case's change
  EXPECT_NE(page.find("(baseline)"), std::string::npos);
  EXPECT_EQ(page.find("http://"), std::string::npos);
  EXPECT_EQ(page.find("https://"), std::string::npos);
}

TEST(HtmlReport, DropsControlCharactersOfRecordedStrings) {
  ReportInput input = twoRuns();
  // Open MPI counts the NUL ending its library version string.
  input.runs[0].header.libraryVersions["mpi_library"] = std::string("Open MPI v4.1.4\0", 16);
  const std::string page = renderHtmlReport(input);
  EXPECT_EQ(page.find('\0'), std::string::npos);
  EXPECT_NE(page.find("Open MPI v4.1.4"), std::string::npos);
}

TEST(HtmlReport, ScriptDataCannotCloseItsElement) {
  ReportInput input = twoRuns();
  input.runs[1].label = "</script><b>x";
  const std::string page = renderHtmlReport(input);
  EXPECT_EQ(page.find("</script><b>x"), std::string::npos);
}

TEST(HtmlReport, SingleRunSaysThereIsNothingToCompare) {
  ReportInput input = twoRuns();
  input.runs.resize(1);
  input.comparisons.clear();
  const std::string page = renderHtmlReport(input);
  EXPECT_NE(page.find("nothing to compare"), std::string::npos);
  EXPECT_EQ(page.find("only slower and faster"), std::string::npos);
}

TEST(HtmlReport, RunsWithoutCasesAreNamed) {
  ReportInput input = twoRuns();
  input.runs[1].cases.clear();
  input.runs[1].status = "incomplete";
  input.comparisons[0].rows.clear();
  const std::string page = renderHtmlReport(input);
  EXPECT_NE(page.find("has no measured cases (incomplete)"), std::string::npos);
  EXPECT_NE(page.find("no case is in both runs"), std::string::npos);
}

TEST(HtmlReport, ManyRunsGetAMatrixOfVerdicts) {
  ReportInput input = twoRuns();
  for (int i = 3; i <= 4; ++i) {
    input.runs.push_back(input.runs[1]);
    input.runs.back().label = "run " + std::to_string(i);
    input.comparisons.push_back(input.comparisons[0]);
    input.comparisons.back().runIndex = input.runs.size() - 1;
  }
  const std::string page = renderHtmlReport(input);
  EXPECT_NE(page.find("class='regressions matrix'"), std::string::npos);
  EXPECT_NE(page.find("\"bands\":false"), std::string::npos);  // 4 runs: no CI bands
}

TEST(HtmlReport, MarkdownSummaryHasLargestSizesAndVerdicts) {
  const std::string md = markdownSummary(twoRuns());
  EXPECT_NE(md.find("| run 1 | allreduce | 1 MiB | "), std::string::npos);
  EXPECT_NE(md.find("run 2 against run 1: 1 slower, 0 faster, 1 no change (of 2 cases"),
            std::string::npos);
}

TEST(HtmlPieces, ChangesReadAsPercentages) {
  EXPECT_EQ(html::change(1.062), "+6.2%");
  EXPECT_EQ(html::change(0.97), "-3.0%");
  EXPECT_EQ(html::change(0.9999), "0.0%");
  EXPECT_EQ(html::change(5.05), "+405%");
  EXPECT_EQ(html::escape(std::string("a\0<b>'\"&\n", 9)), "a&lt;b&gt;&#39;&quot;&amp;\n");
}

TEST(HtmlPieces, RunsBeyondThePaletteGetStripedSwatches) {
  EXPECT_EQ(html::swatch(0).find("repeating"), std::string::npos);
  EXPECT_NE(html::swatch(html::palette().size()).find("repeating"), std::string::npos);
}

TEST(HtmlReport, ATuneShowsEveryCandidateBySizeTheWinnersAndTheValidatedSpeedup) {
  ReportInput input = twoRuns();
  analysis::TuneCollectiveView view;
  view.collective = Collective::kAllReduce;
  view.sizes = {1024, 32 << 20};
  stats::Summary fast, slow;
  fast.median = 8000;
  fast.count = 5;
  slow.median = 98000;
  slow.count = 5;
  view.candidates.push_back({{}, "default", {{1024, fast}, {32 << 20, slow}}});
  view.candidates.push_back({{{"algorithm", "4"}}, "algorithm=4", {{32 << 20, fast}}});
  view.best = {{1024, 0}, {32 << 20, 1}};
  analysis::ValidatedSize v;
  v.defaultUs = 98000;
  v.tunedUs = 8000;
  v.speedup = 12.25;
  v.speedupLow = 11.5;
  v.speedupHigh = 13.0;
  v.verdict = "faster";
  view.validated[32 << 20] = v;
  input.tunes.push_back({"tune-x", view});
  const std::string page = renderHtmlReport(input);
  EXPECT_NE(page.find("<h2>Tuning</h2>"), std::string::npos);
  EXPECT_NE(page.find("tune tune-x"), std::string::npos);
  EXPECT_NE(page.find("<th class='num default'>default</th>"), std::string::npos);
  EXPECT_NE(page.find("★ 8 ms"), std::string::npos) << "the winner at 32 MiB is marked";
  EXPECT_NE(page.find("12.25×"), std::string::npos);
  EXPECT_NE(page.find("[11.50, 13.00]"), std::string::npos);
  EXPECT_NE(page.find("<td class='num faster'"), std::string::npos);
  EXPECT_NE(page.find("98 ms"), std::string::npos);
  // The winner at 1 KiB is the default: no speedup claimed there, nothing validated.
  EXPECT_NE(page.find("<span class=muted>default</span>"), std::string::npos);
  const std::string md = markdownSummary(input);
  EXPECT_NE(md.find("allreduce (tune tune-x): validated faster at 32 MiB 12.25x."), std::string::npos)
      << md;
}

TEST(HtmlReport, WithoutATuneThereIsNoTuningSection) {
  EXPECT_EQ(renderHtmlReport(twoRuns()).find("<h2>Tuning</h2>"), std::string::npos);
}

analysis::PairMatrix slowLinkMatrix() {
  analysis::PairMatrix m;
  m.members = {"a", "b", "c<1>"};
  m.rounds = 3;
  m.pairs = {{"a", "b", 1, true, 2.0, 10.0, false, ""},
             {"a", "c<1>", 2, true, 2.0, 1.0, false, ""},
             {"b", "c<1>", 3, false, 0, 0, false, "no figure"}};
  analysis::judgePairMatrix(m);
  return m;
}

TEST(HtmlReport, AMatrixOnlyReportDrawsItsHeatMapsAndNoRunSections) {
  ReportInput input;
  input.title = "pairs";
  input.chartLibrary = "/* chart.js */";
  input.matrices.push_back({"matrix 42", slowLinkMatrix()});
  const std::string page = renderHtmlReport(input);
  EXPECT_NE(page.find("<h2>Pairs: matrix 42</h2>"), std::string::npos);
  EXPECT_EQ(page.find("<h2>At the largest size</h2>"), std::string::npos);
  EXPECT_EQ(page.find("<h2>Runs and topology</h2>"), std::string::npos);
  // two maps of 3 x 3 cells; names escaped; a pair that did not run is black; flagged outlined
  std::size_t svgs = 0, rects = 0;
  for (auto at = page.find("<svg"); at != std::string::npos; at = page.find("<svg", at + 1)) ++svgs;
  for (auto at = page.find("<rect"); at != std::string::npos; at = page.find("<rect", at + 1)) ++rects;
  EXPECT_EQ(svgs, 2u);
  EXPECT_EQ(rects, 18u);
  EXPECT_NE(page.find("c&lt;1&gt;"), std::string::npos);
  EXPECT_EQ(page.find("c<1>"), std::string::npos);
  EXPECT_NE(page.find("fill=\"#111827\""), std::string::npos);
  EXPECT_NE(page.find("stroke-width=\"2\""), std::string::npos);
  EXPECT_NE(page.find("<td>a - c&lt;1&gt;</td><td>1 GB/s &lt; 0.7 x median"), std::string::npos);
  const std::string md = markdownSummary(input);
  EXPECT_NE(md.find("matrix 42: 3 hosts, 3 pairs, median pair bandwidth 5.5 GB/s, 2 flagged: a - c<1>, b - c<1>."),
            std::string::npos)
      << md;
  EXPECT_EQ(md.find("| run |"), std::string::npos);
}

TEST(HtmlReport, AMatrixWithOneMetricDrawsOneMapBesideTheRuns) {
  ReportInput input = twoRuns();
  analysis::PairMatrix m = slowLinkMatrix();
  m.hasBandwidth = false;
  analysis::judgePairMatrix(m);
  input.matrices.push_back({"run 1", m});
  const std::string page = renderHtmlReport(input);
  EXPECT_NE(page.find("<h3>Latency</h3>"), std::string::npos);
  EXPECT_EQ(page.find("<h3>Bandwidth</h3>"), std::string::npos);
  EXPECT_NE(page.find("<h2>At the largest size</h2>"), std::string::npos);
}

}  // namespace
}  // namespace cclbench
