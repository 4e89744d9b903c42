#include "core/record.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <regex>

#include "core/error.hpp"
#include "core/record_testing.hpp"

namespace cclbench {
namespace {

CaseRecord sampleRecord() {
  CaseRecord r;
  r.collective = Collective::kReduceScatter;
  r.dtype = DType::kBfloat16;
  r.op = RedOp::kPreMulSum;
  r.root = -1;
  r.placement = Placement::kInPlace;
  r.sizeBytes = 1048576;
  r.count = 131072;
  r.ranks = 4;
  r.aggregation = Aggregation::kMean;
  r.iterationsPerBatch = 17;
  r.samplesUs = {12.5, 11.0, 13.25, 12.0, 12.75};
  r.timeUs = stats::summarize(r.samplesUs);
  r.algBandwidthGBps = 83.886;
  r.busBandwidthGBps = 62.9145;
  r.checked = true;
  r.wrong = 3;
  r.slowestRank = 2;
  r.slowestRankMedianUs = 12.9;
  r.stopReason = "precision";
  r.perIteration = PerIterationStats{100, 12.1, 15.5, 10.9, 19.0};
  r.perRankSamplesUs = {{1, 2}, {3, 4}, {5, 6}, {7, 8}};
  r.candidate = {{"algorithm", "ring"}, {"protocol", "ll128"}};
  r.candidateHonoured = false;
  return r;
}

TEST(CaseRecordJson, RoundTripKeepsEveryField) {
  const CaseRecord in = sampleRecord();
  const nlohmann::json j = toJson(in, "run-42");
  const CaseRecord out = caseRecordFromJson(nlohmann::json::parse(j.dump()));
  EXPECT_EQ(out.collective, in.collective);
  EXPECT_EQ(out.dtype, in.dtype);
  EXPECT_EQ(out.op, in.op);
  EXPECT_EQ(out.root, in.root);
  EXPECT_EQ(out.placement, in.placement);
  EXPECT_EQ(out.sizeBytes, in.sizeBytes);
  EXPECT_EQ(out.count, in.count);
  EXPECT_EQ(out.ranks, in.ranks);
  EXPECT_EQ(out.aggregation, in.aggregation);
  EXPECT_EQ(out.iterationsPerBatch, in.iterationsPerBatch);
  EXPECT_EQ(out.samplesUs, in.samplesUs);
  EXPECT_DOUBLE_EQ(out.timeUs.median, 12.5);
  EXPECT_DOUBLE_EQ(out.timeUs.min, 11.0);
  EXPECT_DOUBLE_EQ(out.timeUs.max, 13.25);
  EXPECT_DOUBLE_EQ(out.algBandwidthGBps, in.algBandwidthGBps);
  EXPECT_DOUBLE_EQ(out.busBandwidthGBps, in.busBandwidthGBps);
  EXPECT_EQ(out.checked, in.checked);
  EXPECT_EQ(out.wrong, in.wrong);
  EXPECT_EQ(out.slowestRank, in.slowestRank);
  EXPECT_DOUBLE_EQ(out.slowestRankMedianUs, in.slowestRankMedianUs);
  EXPECT_EQ(out.stopReason, in.stopReason);
  ASSERT_TRUE(out.perIteration.has_value());
  EXPECT_EQ(out.perIteration->count, 100u);
  EXPECT_DOUBLE_EQ(out.perIteration->p50Us, 12.1);
  EXPECT_DOUBLE_EQ(out.perIteration->p99Us, 15.5);
  EXPECT_DOUBLE_EQ(out.perIteration->minUs, 10.9);
  EXPECT_DOUBLE_EQ(out.perIteration->maxUs, 19.0);
  EXPECT_EQ(out.perRankSamplesUs, in.perRankSamplesUs);
  EXPECT_EQ(out.candidate, in.candidate);
  EXPECT_EQ(out.candidateHonoured, std::optional<bool>(false));
  EXPECT_EQ(j.at("candidate_honoured"), false);
  EXPECT_TRUE(out.extra.empty()) << out.extra.dump();
  CaseRecord plain = in;
  plain.candidateHonoured.reset();
  EXPECT_FALSE(toJson(plain, "run-42").contains("candidate_honoured"));
  EXPECT_FALSE(toJson(plain, "run-42").contains("pairs"));
  // --all-pairs: the round and its pairs.
  CaseRecord round = in;
  round.pairRound = 2;
  round.pairs = {{0, 3}, {1, 2}};
  const nlohmann::json rj = toJson(round, "run-42");
  EXPECT_EQ(rj.at("pairs"), nlohmann::json::parse("[[0,3],[1,2]]"));
  const CaseRecord back = caseRecordFromJson(nlohmann::json::parse(rj.dump()));
  EXPECT_EQ(back.pairRound, 2);
  EXPECT_EQ(back.pairs, round.pairs);
  EXPECT_TRUE(back.extra.empty()) << back.extra.dump();
}

TEST(CaseRecordJson, RoundTripOfEveryIdentity) {
  for (Collective c : allCollectives()) {
    for (DType t : {DType::kInt8, DType::kHalf, DType::kFp8E4M3, DType::kFp8E5M2}) {
      for (RedOp op : {RedOp::kNone, RedOp::kSum, RedOp::kAvg}) {
        for (Aggregation a :
             {Aggregation::kRank0, Aggregation::kMean, Aggregation::kMin, Aggregation::kMax}) {
          CaseRecord r;
          r.collective = c;
          r.dtype = t;
          r.op = op;
          r.aggregation = a;
          r.placement = Placement::kOutOfPlace;
          r.ranks = 2;
          const CaseRecord back = caseRecordFromJson(toJson(r, "x"));
          EXPECT_EQ(back.collective, c);
          EXPECT_EQ(back.dtype, t);
          EXPECT_EQ(back.op, op);
          EXPECT_EQ(back.aggregation, a);
          EXPECT_EQ(back.placement, Placement::kOutOfPlace);
          EXPECT_FALSE(back.perIteration.has_value());
          EXPECT_TRUE(back.perRankSamplesUs.empty());
        }
      }
    }
  }
}

TEST(CaseRecordJson, CarriesSchemaAndReadableNames) {
  const nlohmann::json j = toJson(sampleRecord(), "run-42");
  EXPECT_EQ(j.at("schema"), "cclbench.record");
  EXPECT_TRUE(j.at("schema_version").is_number_integer());
  EXPECT_EQ(j.at("schema_version"), kRecordSchemaVersion);
  EXPECT_EQ(j.at("type"), "case");
  EXPECT_EQ(recordType(j), "case");
  EXPECT_EQ(j.at("run_id"), "run-42");
  EXPECT_EQ(j.at("collective"), "reducescatter");
  EXPECT_EQ(j.at("dtype"), "bfloat16");
  EXPECT_EQ(j.at("redop"), "mulsum");
  EXPECT_EQ(j.at("placement"), "in");
  EXPECT_EQ(j.at("aggregation"), "mean");
  EXPECT_EQ(j.at("batches"), 5);
  EXPECT_DOUBLE_EQ(j.at("time_us").at("median").get<double>(), 12.5);
}

TEST(RunHeaderJson, EnvelopeAndFields) {
  RunHeader h;
  h.runId = "abc";
  h.toolVersion = "0.1.0";
  h.ranks = 2;
  h.backend = "mpi";
  h.hosts = {{"node1", {0, 1}, {"0-3", "4-7"}}};
  h.aggregation = Aggregation::kMin;
  const nlohmann::json j = toJson(h);
  EXPECT_EQ(j.at("schema"), "cclbench.record");
  EXPECT_EQ(j.at("schema_version"), kRecordSchemaVersion);
  EXPECT_EQ(recordType(j), "run");
  EXPECT_EQ(j.at("run_id"), "abc");
  EXPECT_EQ(j.at("ranks"), 2);
  EXPECT_EQ(j.at("backend").at("name"), "mpi");
  EXPECT_EQ(j.at("hosts").at(0).at("ranks").size(), 2u);
  EXPECT_EQ(j.at("aggregation"), "min");
}

TEST(TrailerJson, EnvelopeAndFields) {
  Trailer t;
  t.runId = "abc";
  t.status = "failed";
  t.exitCode = 7;
  t.wrongTotal = 12;
  const nlohmann::json j = toJson(t);
  EXPECT_EQ(j.at("schema"), "cclbench.record");
  EXPECT_EQ(recordType(j), "end");
  EXPECT_EQ(j.at("exit_code"), 7);
  EXPECT_EQ(j.at("wrong_total"), 12);
  EXPECT_EQ(j.at("status"), "failed");
}

void expectInvalid(const nlohmann::json& j, const std::string& mentions) {
  try {
    caseRecordFromJson(j);
    ADD_FAILURE() << "accepted " << j.dump();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kInvalidUsage);
    EXPECT_NE(std::string(e.what()).find(mentions), std::string::npos) << e.what();
  }
}

TEST(CaseRecordJson, MissingOrBadFieldsAreUsageErrors) {
  const nlohmann::json good = toJson(sampleRecord(), "r");
  for (const char* key : {"collective", "dtype", "redop", "root", "size_bytes", "count", "ranks",
                          "aggregation", "samples_us", "busbw_gbps", "wrong", "stop_reason"}) {
    nlohmann::json j = good;
    j.erase(key);
    expectInvalid(j, key);
  }
  nlohmann::json j = good;
  j["dtype"] = "float7";
  expectInvalid(j, "float7");
  j = good;
  j["collective"] = "allscatter";
  expectInvalid(j, "allscatter");
  j = good;
  j["aggregation"] = "median";
  expectInvalid(j, "median");
  j = good;
  j["wrong"] = "three";
  expectInvalid(j, "wrong");
  j = good;
  j["collective"] = 3;
  expectInvalid(j, "collective");
  j = good;
  j["placement"] = "sideways";
  expectInvalid(j, "sideways");
  j = good;
  j["per_iteration"].erase("p99_us");
  expectInvalid(j, "p99_us");
  j = good;
  j["pairs"] = nlohmann::json::parse("[[0,1,2]]");
  expectInvalid(j, "pairs");
  j["pairs"] = "0-1";
  expectInvalid(j, "pairs");
}

TEST(CaseRecordJson, OtherRecordTypesAreRejected) {
  RunHeader h;
  expectInvalid(toJson(h), "case");
  expectInvalid(nlohmann::json::array(), "case");
  nlohmann::json j = toJson(sampleRecord(), "r");
  j["type"] = "end";
  expectInvalid(j, "case");
  EXPECT_EQ(recordType(nlohmann::json::object()), "");
}

TEST(RecordJson, EveryTypeRoundTripsWholeWithEveryFieldSet) {
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    const testgen::GeneratedRun run = testgen::RecordGenerator(seed).run();
    const std::vector<nlohmann::json> lines = run.lines();
    // Through text, as a file carries them: struct equality covers every field.
    auto reread = [](const nlohmann::json& j) { return nlohmann::json::parse(j.dump()); };
    const RunHeader header = runHeaderFromJson(reread(lines.front()));
    EXPECT_EQ(header, run.header) << "seed " << seed << ": " << lines.front().dump();
    EXPECT_EQ(toJson(header), lines.front()) << "seed " << seed;
    for (std::size_t i = 0; i < run.cases.size(); ++i) {
      const CaseRecord c = caseRecordFromJson(reread(lines[i + 1]));
      EXPECT_EQ(c, run.cases[i]) << "seed " << seed << ": " << lines[i + 1].dump();
      EXPECT_EQ(toJson(c, run.header.runId), lines[i + 1]) << "seed " << seed;
    }
    const Trailer end = trailerFromJson(reread(lines.back()));
    EXPECT_EQ(end, run.trailer) << "seed " << seed;
    EXPECT_EQ(toJson(end), lines.back()) << "seed " << seed;
  }
}

TEST(RecordJson, UnknownKeysAreKeptAndWrittenBack) {
  nlohmann::json j = toJson(sampleRecord(), "r");
  j["from_a_newer_cclbench"] = {{"nested", {1, 2, 3}}};
  const nlohmann::json back = toJson(caseRecordFromJson(j), "r");
  EXPECT_EQ(back, j);
  RunHeader h;
  h.runId = "r";
  nlohmann::json hj = toJson(h);
  hj["new_header_field"] = "kept";
  EXPECT_EQ(toJson(runHeaderFromJson(hj)), hj);
}

TEST(CaseRecordJson, NumbersThatWereNotInTheInputAreRefused) {
  const nlohmann::json good = toJson(sampleRecord(), "r");
  nlohmann::json j = good;
  j["size_bytes"] = 1e30;  // was stored as 0
  expectInvalid(j, "size_bytes");
  j = good;
  j["size_bytes"] = -8;
  expectInvalid(j, "size_bytes");
  j = good;
  j["samples_us"] = {1.0, -2.0};
  expectInvalid(j, "samples_us");
  j = good;
  j["time_us"]["median"] = -1.0;
  expectInvalid(j, "median");
  j = good;
  j["time_us"]["max"] = std::numeric_limits<double>::infinity();  // a caller's, not a file's
  expectInvalid(j, "max");
  j = good;
  j["busbw_gbps"] = nullptr;  // what a NaN becomes in JSON
  expectInvalid(j, "busbw_gbps");
  j = good;
  j["batches"] = 99;
  expectInvalid(j, "batches");
  j = good;
  j["ranks"] = 0;
  expectInvalid(j, "ranks");
  j = good;
  j["iterations_per_batch"] = 3000000000ull;
  expectInvalid(j, "iterations_per_batch");
}

TEST(UtcNow, IsIso8601Utc) {
  EXPECT_TRUE(std::regex_match(utcNow(), std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)")))
      << utcNow();
}

}  // namespace
}  // namespace cclbench
