#include "nightly/nightly.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>

#include "core/error.hpp"
#include "nightly/nightly_run.hpp"
#include "store/result_store.hpp"

namespace cclbench::nightly {
namespace {

/// A results database with a synthetic nightly history of one check's allreduce at 1 MiB.
class History : public testing::Test {
 protected:
  void SetUp() override {
    path_ = testing::TempDir() + "/nightly-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "-" + testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
    std::filesystem::remove(path_);
    store_ = std::make_unique<ResultStore>(path_);
  }
  void TearDown() override {
    store_.reset();
    for (const char* suffix : {"", "-wal", "-shm", ".lock"}) std::filesystem::remove(path_ + suffix);
  }

  /// One night's job: medians around `us` (0.5% batch noise), stored unless `store` is false.
  NightJob night(int n, double us, bool store = true, const std::string& fingerprint = "f00d") {
    NightJob j;
    j.check = "allreduce";
    j.hosts = "n1,n2";
    j.fingerprint = fingerprint;
    RunHeader& h = j.header;
    char when[32];
    std::snprintf(when, sizeof when, "2026-%02d-%02dT02:00:00Z", 1 + n / 28, 1 + n % 28);
    h.runId = "run-" + std::to_string(n) + "-" + fingerprint;
    h.startUtc = when;
    h.ranks = 2;
    h.backend = "mpi";
    h.fingerprint = fingerprint;
    h.tags = {"nightly"};
    h.labels = {{"spec", "fabric"}, {"check", "allreduce"}, {"hosts", "n1,n2"}, {"night", "night-" + std::to_string(n)}};
    CaseRecord c;
    c.collective = Collective::kAllReduce;
    c.op = RedOp::kSum;
    c.sizeBytes = 1 << 20;
    c.count = c.sizeBytes / 4;
    c.ranks = 2;
    std::mt19937_64 rng(static_cast<uint64_t>(n) * 7919 + static_cast<uint64_t>(us * 1000));
    std::normal_distribution<double> noise(0, 0.005);
    for (int i = 0; i < 9; ++i) c.samplesUs.push_back(us * std::exp(noise(rng)));
    std::vector<double> sorted = c.samplesUs;
    std::sort(sorted.begin(), sorted.end());
    c.timeUs.median = sorted[4];
    c.busBandwidthGBps = c.sizeBytes / c.timeUs.median / 1e3;
    j.cases = {c};
    if (store) {
      Trailer t;
      t.runId = h.runId;
      store_->importRun(h, RunMeta{}, "cclbench-jsonl", "night.jsonl", j.cases, t, RunStatus::kComplete, fingerprint);
    }
    return j;
  }

  NightReport judge(const NightJob& tonight, int batteryExit = 0) {
    acceptance::AcceptReport battery;
    battery.spec = "fabric";
    battery.exitCode = batteryExit;
    JudgeOptions o;
    o.spec = "fabric";
    return judgeNight(battery, {tonight}, *store_, o, tonight.header.labels.at("night"));
  }

  std::string path_;
  std::unique_ptr<ResultStore> store_;
};

TEST_F(History, TheFirstNightPassesAndSaysSo) {
  const NightReport r = judge(night(0, 10));
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_TRUE(r.firstNight);
  ASSERT_EQ(r.cases.size(), 1u);
  EXPECT_FALSE(r.cases[0].compared);
  EXPECT_NE(summaryMarkdown(r).find("First night"), std::string::npos);
}

TEST_F(History, AnEightPercentStepIsARegressionOnItsNight) {
  for (int n = 0; n < 10; ++n) night(n, 10);
  const NightReport quiet = judge(night(10, 10.02));
  EXPECT_EQ(quiet.exitCode, 0) << summaryMarkdown(quiet);
  EXPECT_EQ(quiet.jobs[0].baselineNights, 7);
  const NightReport step = judge(night(11, 10.8));
  EXPECT_EQ(step.exitCode, 8) << summaryMarkdown(step);
  EXPECT_EQ(step.regressions, 1);
  ASSERT_TRUE(step.cases[0].compared);
  EXPECT_NEAR(step.cases[0].compared->timeRatio, 1.08, 0.01);
  EXPECT_NE(summaryMarkdown(step).find("% slower than the baseline"), std::string::npos) << summaryMarkdown(step);
  // The battery's own failures are more severe than a regression.
  EXPECT_EQ(judge(night(12, 10.8), 7).exitCode, 7);
}

TEST_F(History, ASlowDriftIsFlaggedByTheChangePointNotByTheBaseline) {
  // 0.5% a night from night 30 on: against the last 7 nights never 3%, but a change in history.
  int flagged = -1;
  for (int n = 0; n < 60 && flagged < 0; ++n) {
    const double us = 10 * (n >= 30 ? std::pow(1.005, n - 29) : 1.0);
    const NightJob tonight = night(n, us);
    const NightReport r = judge(tonight);
    ASSERT_TRUE(r.cases[0].compared || n == 0);
    if (r.cases[0].compared) {
      EXPECT_LT(r.cases[0].compared->timeRatio, 1.03) << n;
    }
    if (r.cases[0].drift && r.cases[0].drift->flagged) {
      flagged = n;
      EXPECT_EQ(r.exitCode, 8);
      const Drift& d = *r.cases[0].drift;
      EXPECT_NEAR(static_cast<double>(d.change.index), 30, 5);
      EXPECT_EQ(d.runs.back(), tonight.header.runId);
      EXPECT_NE(reportHtml(r).find("class=\"change\""), std::string::npos);
      EXPECT_NE(summaryMarkdown(r).find("drift: +"), std::string::npos) << summaryMarkdown(r);
    }
  }
  EXPECT_GE(flagged, 30);
  EXPECT_LE(flagged, 40);
}

TEST_F(History, OnlyTheSameFingerprintIsABaseline) {
  for (int n = 0; n < 8; ++n) night(n, 5, true, "beef");
  const NightReport r = judge(night(8, 10));
  EXPECT_TRUE(r.firstNight);
  EXPECT_EQ(r.exitCode, 0);
}

TEST_F(History, PrometheusAndJunitSayWhatHappened) {
  for (int n = 0; n < 8; ++n) night(n, 10);
  NightReport r = judge(night(8, 11));
  r.battery.hostOrder = {"n1", "n2"};
  r.battery.hosts["n1"].fingerprint = "f00d";
  r.battery.hosts["n2"].fingerprint = "f00d";
  const std::string prom = prometheusText(r, 1.8e9);
  EXPECT_NE(prom.find("cclbench_busbw_gbps{spec=\"fabric\",check=\"allreduce\",collective=\"allreduce\",dtype=\"float\","
                      "size_bytes=\"1048576\",fingerprint=\"f00d\"} "),
            std::string::npos)
      << prom;
  EXPECT_NE(prom.find("cclbench_nightly_verdict{spec=\"fabric\"} 1\n"), std::string::npos);
  EXPECT_NE(prom.find("cclbench_nightly_regressions{spec=\"fabric\"} 1\n"), std::string::npos);
  EXPECT_NE(prom.find("cclbench_nightly_info{spec=\"fabric\",night=\"night-8\",hosts=\"n1,n2\"} 1"), std::string::npos);
  EXPECT_NE(prom.find("cclbench_nightly_last_run_timestamp_seconds{spec=\"fabric\"} 1800000000\n"), std::string::npos);
  const std::string xml = junitXml(r);
  EXPECT_NE(xml.find("tests=\"1\" failures=\"1\""), std::string::npos) << xml;
}

TEST_F(History, PruneKeepsWhatTheBaselinesUse) {
  for (int n = 0; n < 20; ++n) night(n, 10);             // 2026-01-01 .. 2026-01-20, one series
  for (int n = 0; n < 3; ++n) night(n, 10, true, "beef");  // another fingerprint, old
  const std::set<int64_t> keep = baselineRunIds(*store_, 7);
  EXPECT_EQ(keep.size(), 10u);  // 7 + the other series' 3
  // Started before the 19th: 18 + 3 runs, 8 of them baselines (nights 13-17 and the other 3).
  EXPECT_EQ(store_->pruneRuns("2026-01-19", keep), 13u);
  RunFilter all;
  const auto left = store_->listRuns(all);
  EXPECT_EQ(left.size(), 10u);
  for (const auto& r : left) EXPECT_FALSE(store_->cases(r.id).empty());
  // Tonight still has its 7 nights to compare with.
  EXPECT_EQ(judge(night(20, 10)).jobs[0].baselineNights, 7);
}

TEST(DatabaseLock, ASecondWriterWaitsThenGivesUp) {
  const std::string db = testing::TempDir() + "/locked.db";
  {
    DatabaseLock first(db, 1);
    try {
      DatabaseLock second(db, 0.3);
      FAIL() << "two writers held the lock";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::kTimeout);
      EXPECT_NE(std::string(e.what()).find("stayed locked"), std::string::npos);
    }
  }
  DatabaseLock again(db, 0.3);  // released with the first
  std::filesystem::remove(db + ".lock");
}

}  // namespace
}  // namespace cclbench::nightly
