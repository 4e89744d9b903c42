#include "tuners/tune_result.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace cclbench::tune {
namespace {

TuneResult sample() {
  TuneResult t;
  t.tuneId = "tune-20261130T120000Z-abcdef";
  t.createdUtc = "2026-11-30T12:00:00Z";
  t.toolVersion = "0.1.0";
  t.gitRevision = "7daccf4";
  t.backend = "mpi";
  t.space = "openmpi-coll-tuned";
  t.spaceSource = "ompi_info";
  t.spaceApplication = "case";
  t.strategy = "race";
  t.fingerprint = "8fdfbb73d1df77ed";
  t.ranks = 2;
  t.nodes = 1;
  t.libraries = {{"mpi_library", "Open MPI v4.1.4"}};
  t.sizes = {4u << 20, 8u << 20};
  CollectiveTune c;
  c.collective = Collective::kAllReduce;
  c.candidates = {{"default", {}, false, "", {{4u << 20, {100, 99, 101}}}},
                  {"ring", {{"algorithm", "4"}}, false, "", {{8u << 20, {50, 49, 51}}}}};
  c.best = {{4u << 20, "default"}, {8u << 20, "ring"}};
  Rule r;
  r.collective = Collective::kAllReduce;
  r.candidate = {{{"algorithm", "4"}}};
  r.description = "ring";
  r.sizes = {{8u << 20, 100, 50, 101, 51, 1.98, 1.9, 2.05, true, ""}};
  r.trialRunIds = {"run-1"};
  c.rules = {r};
  Rule d = r;
  d.sizes[0].bytes = 4u << 20;
  d.sizes[0].kept = false;
  d.sizes[0].reason = "the validated gain is not significant";
  c.dropped = {d};
  c.trialSeconds = 12.5;
  c.trials = 9;
  t.collectives = {c};
  t.usage = {{"mpirun flags", "mpirun --mca coll_tuned_use_dynamic_rules 1 ..."}};
  t.files = {{"openmpi_rules", "/tmp/x/openmpi-rules.conf"}};
  return t;
}

TEST(TuneResult, JsonRoundTripsEveryField) {
  const TuneResult t = sample();
  const nlohmann::json j = toJson(t);
  EXPECT_EQ(j.at("schema"), kTuneSchemaName);
  EXPECT_EQ(j.at("collectives")[0].at("rules")[0].at("min_bytes"), 8u << 20);
  EXPECT_EQ(j.at("collectives")[0].at("rules")[0].at("candidate").at("algorithm"), "4");
  EXPECT_EQ(j.at("topology").at("fingerprint"), "8fdfbb73d1df77ed");
  const TuneResult back = tuneResultFromJson(nlohmann::json::parse(j.dump()));
  EXPECT_EQ(toJson(back), j);
  EXPECT_THROW(tuneResultFromJson(nlohmann::json::object()), Error);
  nlohmann::json newer = j;
  newer["schema_version"] = kTuneSchemaVersion + 1;
  EXPECT_THROW(tuneResultFromJson(newer), Error);
}

TEST(TuneResult, SummariesSayWhatWonAndHowToUseIt) {
  const TuneResult t = sample();
  const std::string md = summaryMarkdown(t);
  EXPECT_NE(md.find("| 8 MiB | ring | 1.98x [1.90, 2.05] | kept |"), std::string::npos) << md;
  EXPECT_NE(md.find("dropped: the validated gain is not significant"), std::string::npos);
  EXPECT_NE(md.find("mpirun --mca coll_tuned_use_dynamic_rules 1"), std::string::npos);
  EXPECT_NE(md.find("**50.00**"), std::string::npos) << "the winner is marked";
  const std::string console = consoleSummary(t);
  EXPECT_NE(console.find("ring"), std::string::npos);
  EXPECT_NE(console.find("kept"), std::string::npos);
  TuneResult none = sample();
  none.collectives[0].rules.clear();
  none.collectives[0].dropped.clear();
  EXPECT_NE(consoleSummary(none).find("the defaults are best here"), std::string::npos);
}

}  // namespace
}  // namespace cclbench::tune
