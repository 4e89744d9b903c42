#include "report/file_reporters.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace cclbench {
namespace {

namespace fs = std::filesystem;

class FileReporters : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    folder_ = fs::temp_directory_path() /
              ("cclbench-report-test-" + std::to_string(getpid()) + "-" + test->name());
    fs::remove_all(folder_);
  }
  void TearDown() override { fs::remove_all(folder_); }

  static std::vector<std::string> readLines(const fs::path& path) {
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

  fs::path folder_;
};

RunHeader header() {
  RunHeader h;
  h.runId = "run-7";
  h.ranks = 2;
  h.backend = "fake";
  return h;
}

CaseRecord record(Placement placement, uint64_t wrong) {
  CaseRecord r;
  r.collective = Collective::kAllReduce;
  r.dtype = DType::kHalf;
  r.op = RedOp::kMax;
  r.placement = placement;
  r.sizeBytes = 4096;
  r.count = 2048;
  r.ranks = 2;
  r.iterationsPerBatch = 10;
  r.samplesUs = {5.0, 4.0, 6.0};
  r.timeUs = stats::summarize(r.samplesUs);
  r.algBandwidthGBps = 0.8192;
  r.busBandwidthGBps = 0.8192;
  r.checked = true;
  r.wrong = wrong;
  r.slowestRank = 1;
  r.stopReason = "fixed";
  return r;
}

RowRecords row() {
  return {record(Placement::kOutOfPlace, 0), record(Placement::kInPlace, 4)};
}

TableSummary tableSummary() {
  TableSummary s;
  s.collective = Collective::kAllReduce;
  return s;
}

Trailer trailer() {
  Trailer t;
  t.runId = "run-7";
  t.status = "complete";
  t.cases = 2;
  t.wrongTotal = 4;
  return t;
}

/// Feeds a whole run with one table of one row to `reporter`.
void feedRun(Reporter& reporter) {
  reporter.beginRun(header());
  reporter.beginTable({Collective::kAllReduce, true, {}, {}});
  reporter.row(row());
  reporter.endTable(tableSummary());
  reporter.endRun(trailer());
}

std::vector<std::string> splitCsv(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream in(line);
  std::string field;
  while (std::getline(in, field, ',')) fields.push_back(field);
  if (!line.empty() && line.back() == ',') fields.push_back("");
  return fields;
}

TEST_F(FileReporters, JsonlHasHeaderFirstCasesThenTrailer) {
  const fs::path path = folder_ / "nested" / "run.jsonl";  // parent folders are created
  auto reporter = createJsonlReporter(path.string());
  feedRun(*reporter);
  const auto lines = readLines(path);
  ASSERT_EQ(lines.size(), 4u);
  std::vector<nlohmann::json> records;
  for (const auto& line : lines) {
    ASSERT_TRUE(nlohmann::json::accept(line)) << line;
    records.push_back(nlohmann::json::parse(line));
    EXPECT_EQ(records.back().at("schema"), "cclbench.record");
    EXPECT_EQ(records.back().at("run_id"), "run-7");
  }
  EXPECT_EQ(recordType(records[0]), "run");
  EXPECT_EQ(recordType(records[1]), "case");
  EXPECT_EQ(recordType(records[2]), "case");
  EXPECT_EQ(recordType(records[3]), "end");
  EXPECT_EQ(caseRecordFromJson(records[1]).placement, Placement::kOutOfPlace);
  EXPECT_EQ(caseRecordFromJson(records[2]).placement, Placement::kInPlace);
  EXPECT_EQ(caseRecordFromJson(records[2]).wrong, 4u);
  EXPECT_EQ(records[3].at("wrong_total"), 4);
}

TEST_F(FileReporters, JsonlIsWrittenAsTheRunGoes) {
  const fs::path path = folder_ / "run.jsonl";
  auto reporter = createJsonlReporter(path.string());
  reporter->beginRun(header());
  EXPECT_EQ(readLines(path).size(), 1u);
  reporter->row({record(Placement::kOutOfPlace, 0), std::nullopt});
  EXPECT_EQ(readLines(path).size(), 2u);
  reporter->endRun(trailer());
  EXPECT_EQ(readLines(path).size(), 3u);
}

TEST_F(FileReporters, CsvAppearsOnlyAtTheEndOfTheRun) {
  const fs::path path = folder_ / "out" / "run.csv";
  auto reporter = createCsvReporter(path.string());
  reporter->beginRun(header());
  reporter->beginTable({Collective::kAllReduce, true, {}, {}});
  reporter->row(row());
  reporter->endTable(tableSummary());
  EXPECT_FALSE(fs::exists(path));
  reporter->endRun(trailer());
  ASSERT_TRUE(fs::exists(path));
  reporter.reset();
  EXPECT_FALSE(fs::exists(path.string() + ".partial"));
  const auto lines = readLines(path);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], csvHeader());
  const auto columns = splitCsv(lines[0]);
  EXPECT_EQ(columns.front(), "run_id");
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto fields = splitCsv(lines[i]);
    ASSERT_EQ(fields.size(), columns.size()) << lines[i];
    std::map<std::string, std::string> byName;
    for (std::size_t c = 0; c < columns.size(); ++c) byName[columns[c]] = fields[c];
    EXPECT_EQ(byName["run_id"], "run-7");
    EXPECT_EQ(byName["collective"], "allreduce");
    EXPECT_EQ(byName["dtype"], "half");
    EXPECT_EQ(byName["redop"], "max");
    EXPECT_EQ(byName["placement"], i == 1 ? "out" : "in");
    EXPECT_EQ(byName["size_bytes"], "4096");
    EXPECT_EQ(byName["batches"], "3");
    EXPECT_EQ(std::stod(byName["median_us"]), 5.0);
    EXPECT_EQ(byName["wrong"], i == 1 ? "0" : "4");
    EXPECT_EQ(byName["p50_us"], "");
  }
}

TEST_F(FileReporters, CsvLineKeepsItsColumnsWithPerIterationStats) {
  CaseRecord r = record(Placement::kOutOfPlace, 0);
  r.perIteration = PerIterationStats{100, 4.5, 9.25, 4.0, 10.0};
  const auto columns = splitCsv(csvHeader());
  const auto fields = splitCsv(csvLine(r, "x"));
  ASSERT_EQ(fields.size(), columns.size());
  EXPECT_EQ(columns[columns.size() - 2], "p50_us");
  EXPECT_EQ(std::stod(fields[fields.size() - 2]), 4.5);
  EXPECT_EQ(std::stod(fields.back()), 9.25);
}

TEST_F(FileReporters, CsvNotEndedLeavesNoFiles) {
  const fs::path path = folder_ / "run.csv";
  {
    auto reporter = createCsvReporter(path.string());
    reporter->beginRun(header());
    reporter->row(row());
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(fs::exists(path.string() + ".partial"));
}

void expectUnwritable(const std::function<void()>& create) {
  try {
    create();
    ADD_FAILURE() << "an unwritable path was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kInvalidUsage);
  }
}

TEST_F(FileReporters, UnwritablePathIsAUsageError) {
  fs::create_directories(folder_);
  const fs::path regularFile = folder_ / "file";
  std::ofstream(regularFile) << "x";
  // A path below a regular file cannot be created, even by root.
  const std::string below = (regularFile / "run.jsonl").string();
  expectUnwritable([&] { createJsonlReporter(below); });
  expectUnwritable([&] { createCsvReporter((regularFile / "run.csv").string()); });
  expectUnwritable([&] { createJsonlReporter((regularFile / "sub" / "run.jsonl").string()); });
  expectUnwritable([&] { createJsonlReporter(folder_.string()); });  // a folder, not a file
}

}  // namespace
}  // namespace cclbench
