#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "store/result_store.hpp"

namespace cclbench {
namespace {

namespace fs = std::filesystem;

struct Outcome {
  int code = 0;
  std::string out;
  std::string error;  ///< the Error's message when the command threw
};

/// Runs the command in-process as main() would: an Error becomes its exit code.
Outcome runCompare(std::vector<std::string> args) {
  Outcome o;
  testing::internal::CaptureStdout();
  try {
    o.code = compareCommand(nullptr, nullptr, args);
  } catch (const Error& e) {
    o.code = static_cast<int>(e.code());
    o.error = e.what();
  }
  o.out = testing::internal::GetCapturedStdout();
  return o;
}

RunHeader header(const std::string& uid, int minute, int ranks = 8) {
  RunHeader h;
  h.runId = uid;
  h.startUtc =
      "2026-11-26T10:" + std::string(minute < 10 ? "0" : "") + std::to_string(minute) + ":00Z";
  h.toolVersion = "0.1.0";
  h.ranks = ranks;
  h.backend = "mpi";
  h.launcher = "openmpi";
  h.config = nlohmann::json::object();
  h.aggregation = Aggregation::kMax;
  return h;
}

/// Two allreduce cases with 20 log-normal batch times each, medians scaled by `factor`.
std::vector<CaseRecord> cases(std::mt19937_64& rng, double factor, int ranks = 8) {
  std::normal_distribution<double> noise(0, 0.01);
  std::vector<CaseRecord> out;
  for (uint64_t bytes : {uint64_t{1024}, uint64_t{1048576}}) {
    CaseRecord c;
    c.collective = Collective::kAllReduce;
    c.dtype = DType::kFloat;
    c.op = RedOp::kSum;
    c.sizeBytes = bytes;
    c.count = bytes / 4;
    c.ranks = ranks;
    c.iterationsPerBatch = 10;
    const double base = bytes == 1024 ? 12.0 : 300.0;
    for (int i = 0; i < 20; ++i) c.samplesUs.push_back(base * factor * std::exp(noise(rng)));
    c.timeUs = stats::summarize(c.samplesUs);
    c.busBandwidthGBps = static_cast<double>(bytes) / c.timeUs.median / 1e3;
    c.stopReason = "precision";
    out.push_back(c);
  }
  return out;
}

/// A database with: runs 1-4 nightly at the usual speed, run 5 nightly and 10% slower, run 6
/// tagged "wide" with 16 ranks. Every run has the topology fingerprint "fpA".
class CompareCommandTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() / ("cclbench-compare-" + std::to_string(getpid()) + "-" +
                                     testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = (dir_ / "history.db").string();
    ResultStore store(db_);
    std::mt19937_64 rng(11);
    for (int r = 1; r <= 6; ++r) {
      const int ranks = r == 6 ? 16 : 8;
      const RunHeader h = header("run-" + std::to_string(r), r, ranks);
      const RunMeta meta{{r == 6 ? "wide" : "nightly"}, {}};
      const int64_t id = store.beginRun(h, meta, "cclbench", "", RunStatus::kRunning, "fpA");
      runCases_[r] = cases(rng, r == 5 ? 1.10 : 1.0, ranks);
      store.addCases(id, runCases_[r]);
      store.finishRun(id, Trailer{h.runId, "complete", 0, "", 2, 0, h.startUtc, 1});
    }
  }
  void TearDown() override { fs::remove_all(dir_); }

  /// Writes run r as a cclbench JSON Lines file.
  std::string writeJsonl(int r) {
    const std::string path = (dir_ / ("run" + std::to_string(r) + ".jsonl")).string();
    std::ofstream out(path);
    const RunHeader h = header("file-run-" + std::to_string(r), r);
    out << toJson(h).dump() << "\n";
    for (const CaseRecord& c : runCases_[r]) out << toJson(c, h.runId).dump() << "\n";
    out << toJson(Trailer{h.runId, "complete", 0, "", 2, 0, h.startUtc, 1}).dump() << "\n";
    return path;
  }

  Outcome compare(std::vector<std::string> args) {
    args.push_back("--db");
    args.push_back(db_);
    return runCompare(args);
  }

  fs::path dir_;
  std::string db_;
  std::map<int, std::vector<CaseRecord>> runCases_;
};

TEST_F(CompareCommandTest, RunIdsGiveVerdicts) {
  const Outcome same = compare({"1", "2"});
  ASSERT_EQ(same.code, 0) << same.error;
  EXPECT_NE(same.out.find("A (baseline): run 1\n"), std::string::npos) << same.out;
  EXPECT_NE(same.out.find("0 slower, 0 faster, 2 no change"), std::string::npos) << same.out;
  const Outcome slower = compare({"run:1", "run:5"});
  ASSERT_EQ(slower.code, 0) << slower.error;
  EXPECT_NE(slower.out.find("2 slower, 0 faster"), std::string::npos) << slower.out;
  EXPECT_EQ(compare({"1", "5", "--fail-on-regression"}).code, 8);
  EXPECT_EQ(compare({"5", "1", "--fail-on-regression"}).code, 0);  // B faster: no regression
  EXPECT_EQ(compare({"run:run-1", "run:run-2"}).code, 0);          // run uids
}

TEST_F(CompareCommandTest, BaselineOfRunsAgainstLatest) {
  const Outcome o = compare({"baseline:nightly~3", "latest:nightly", "--fail-on-regression"});
  EXPECT_EQ(o.code, 8) << o.error << o.out;
  // The baseline leaves out run 5, which latest:nightly names.
  EXPECT_NE(o.out.find("baseline:nightly~3 = run 4, run 3, run 2"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("B: latest:nightly = run 5"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("'fpA' (of the newest run tagged nightly (run 5))"), std::string::npos);
  EXPECT_NE(o.out.find(" 3/20 "), std::string::npos) << o.out;  // one sample per baseline run
  EXPECT_NE(o.out.find("2 slower"), std::string::npos) << o.out;
  const Outcome pinned = compare({"baseline", "latest", "--fingerprint", "fpA", "--force"});
  EXPECT_EQ(pinned.code, 0) << pinned.error;
  EXPECT_NE(pinned.out.find("'fpA' (--fingerprint)"), std::string::npos) << pinned.out;
  EXPECT_EQ(compare({"latest:nightly", "--fingerprint", "other", "baseline:nightly"}).code, 6);
}

TEST_F(CompareCommandTest, JsonParsesAndHoldsEveryComparison) {
  const Outcome o = compare({"1", "2", "5", "--json"});
  ASSERT_EQ(o.code, 0) << o.error;
  const nlohmann::json j = nlohmann::json::parse(o.out);
  EXPECT_EQ(j["schema"], "cclbench.compare");
  ASSERT_EQ(j["comparisons"].size(), 2u);
  EXPECT_EQ(j["comparisons"][0]["b"]["label"], "run 2");
  EXPECT_EQ(j["comparisons"][0]["summary"]["no_change"], 2);
  EXPECT_EQ(j["comparisons"][1]["summary"]["slower"], 2);
  const auto& c = j["comparisons"][1]["cases"][0];
  EXPECT_EQ(c["verdict"], "slower");
  EXPECT_NEAR(c["time_ratio"].get<double>(), 1.10, 0.02);
  EXPECT_EQ(c["time_ratio_ci"].size(), 2u);
  EXPECT_LT(c["q"].get<double>(), 0.05);
}

TEST_F(CompareCommandTest, FileOperandsAndMarkdown) {
  const std::string file = writeJsonl(5);
  const Outcome o = compare({"1", "file:" + file, "--markdown"});
  ASSERT_EQ(o.code, 0) << o.error;
  EXPECT_NE(o.out.find("| collective | type |"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("**slower**"), std::string::npos) << o.out;
  const Outcome plain = compare({writeJsonl(2), "1"});  // an existing path without file:
  ASSERT_EQ(plain.code, 0) << plain.error;
  EXPECT_NE(plain.out.find("2 no change"), std::string::npos) << plain.out;
  // Files alone need no database at all.
  EXPECT_EQ(runCompare({file, writeJsonl(1), "--db", (dir_ / "none.db").string()}).code, 0);
  EXPECT_FALSE(fs::exists(dir_ / "none.db"));
}

TEST_F(CompareCommandTest, BadOperandsExitSixWithOneLine) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"1", "999"},                 // unknown run id
           {"1", "no-such-file.jsonl"},  // neither a run nor a file
           {"1", "file:" + (dir_ / "missing.jsonl").string()},
           {"1", "latest:nosuchtag"},           // nothing matched
           {"1", "baseline:nightly~0"},         // bad count
           {"1", "6"},                          // 8 ranks against 16, not forced
           {"1"},                               // one operand
           {"1", "2", "--json", "--markdown"},  // contradictory
           {"1", "2", "--threshold", "x"},
           {"1", "2", "--threshold", "2"}}) {
    const Outcome o = compare(args);
    EXPECT_EQ(o.code, 6) << testing::PrintToString(args) << ": " << o.out;
    EXPECT_EQ(o.error.find('\n'), std::string::npos) << o.error;
    EXPECT_FALSE(o.error.empty());
  }
  const Outcome refused = compare({"1", "6"});
  EXPECT_NE(refused.error.find("ranks A 8 / B 16"), std::string::npos) << refused.error;
  EXPECT_NE(refused.error.find("--force"), std::string::npos);
  const Outcome forced = compare({"1", "6", "--force"});
  EXPECT_EQ(forced.code, 0) << forced.error;
  EXPECT_NE(forced.out.find("despite differences"), std::string::npos) << forced.out;
  EXPECT_EQ(runCompare({"1", "2", "--db", (dir_ / "absent.db").string()}).code, 6);
  EXPECT_EQ(compare({"--help"}).code, 0);
}

}  // namespace
}  // namespace cclbench
