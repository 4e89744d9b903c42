// The OSU reader on v7 and CUDA variants and collective tables, and the cclbench JSON Lines
// reader: round trip of records written by toJson, runs without an end record, bad lines.
#include <gtest/gtest.h>

#include "store/import.hpp"
#include "store/import_test_util.hpp"

namespace cclbench {
namespace {

using import_test::caseAt;
using import_test::expectUsageError;
using import_test::hasNote;
using import_test::writeTemp;

TEST(ImportOsu, Version7CudaLatencyAndCollectivesInOneFile) {
  const std::string text = R"($ mpirun -np 4 ./osu_allreduce -f -m 4:8
# OSU MPI Allreduce Latency Test v7.3
# Datatype: MPI_INT.
# Size       Avg Latency(us)   Min Latency(us)   Max Latency(us)  Iterations
4                       3.20              2.90              3.50        1000
8                       3.30              3.00              3.60        1000

# OSU MPI-CUDA Latency Test v7.4
# Datatype: MPI_CHAR.
# Send Buffer on DEVICE (D) and Receive Buffer on DEVICE (D)
# Size       Avg Latency(us)
1                       2.48
2                       2.47
# OSU MPI Bandwidth Test v5.9
# Size      Bandwidth (MB/s)
1                       3.50
1048576             12000.00
)";
  const auto runs = readResultsFile(writeTemp("osu.txt", text));
  ASSERT_EQ(runs.size(), 3u);
  const ImportedRun& ar = runs[0];
  EXPECT_EQ(ar.source, "osu");
  EXPECT_EQ(ar.header.ranks, 4);  // from the command line
  EXPECT_EQ(ar.header.libraryVersions.at("osu"), "OSU micro-benchmarks 7.3");
  const CaseRecord& r = caseAt(ar, 4, Placement::kOutOfPlace);
  EXPECT_EQ(r.collective, Collective::kAllReduce);
  EXPECT_EQ(r.dtype, DType::kInt32);
  EXPECT_EQ(r.count, 1u);
  EXPECT_EQ(r.op, RedOp::kSum);
  EXPECT_EQ(r.aggregation, Aggregation::kMean);
  EXPECT_DOUBLE_EQ(r.timeUs.median, 3.20);
  EXPECT_DOUBLE_EQ(r.algBandwidthGBps, 4 / 3.20 / 1e3);
  EXPECT_DOUBLE_EQ(r.busBandwidthGBps, r.algBandwidthGBps * busBandwidthFactor(r.collective, 4));
  EXPECT_DOUBLE_EQ(r.slowestRankMedianUs, 3.50);
  EXPECT_EQ(r.iterationsPerBatch, 1000);
  const ImportedRun& lat = runs[1];
  EXPECT_EQ(lat.header.config["buffers"],
            "Send Buffer on DEVICE (D) and Receive Buffer on DEVICE (D)");
  EXPECT_EQ(lat.cases.size(), 2u);
  EXPECT_EQ(lat.cases[0].collective, Collective::kLatency);
  EXPECT_EQ(lat.cases[0].aggregation, Aggregation::kRank0);
  const CaseRecord& bw = caseAt(runs[2], 1048576, Placement::kOutOfPlace);
  EXPECT_EQ(bw.collective, Collective::kBandwidth);
  EXPECT_DOUBLE_EQ(bw.algBandwidthGBps, 12.0);
  EXPECT_DOUBLE_EQ(bw.timeUs.median, 1048576 / 12000.0);  // us per message
}

TEST(ImportOsu, CollectiveWithoutProcessCountLeavesBusBandwidthZero) {
  const auto runs = readResultsFile(writeTemp("osu-ag.txt", R"(# OSU MPI Allgather Latency Test v7.4
# Datatype: MPI_CHAR.
# Size       Avg Latency(us)
1024                   10.00
)"));
  ASSERT_EQ(runs.size(), 1u);
  const CaseRecord& r = runs[0].cases.at(0);
  EXPECT_EQ(r.collective, Collective::kAllGather);
  EXPECT_EQ(r.sizeBytes, 1024u);  // OSU's per-rank size
  EXPECT_EQ(r.ranks, 0);
  EXPECT_DOUBLE_EQ(r.algBandwidthGBps, 1024 / 10.0 / 1e3);
  EXPECT_EQ(r.busBandwidthGBps, 0.0);
  EXPECT_TRUE(hasNote(runs[0], "per-rank"));
}

TEST(ImportOsu, MalformedAndUnsupported) {
  expectUsageError(writeTemp("osu-bad.txt",
                             "# OSU MPI Latency Test v7.4\n# Size       Avg "
                             "Latency(us)\n1                       1.00\n"
                             "2                       abc\n"),
                   4);
  expectUsageError(writeTemp("osu-scatter.txt", "\n# OSU MPI Scatter Latency Test v7.4\n"), 2);
  // Impossible values are refused, never stored: negative, NaN and infinite times.
  for (const char* value : {"-1.00", "nan", "inf", "1e999"}) {
    const std::string message = expectUsageError(
        writeTemp("osu-odd.txt", std::string("# OSU MPI Latency Test v7.4\n# Size       Avg "
                                             "Latency(us)\n1                       1.00\n"
                                             "2                       ") +
                                     value + "\n"),
        4);
    EXPECT_NE(message.find(value), std::string::npos) << message;
  }
}

RunHeader sampleHeader(const std::string& id) {
  RunHeader h;
  h.runId = id;
  h.toolVersion = "0.1.0";
  h.gitRevision = "abc123";
  h.startUtc = "2026-11-26T09:52:38Z";
  h.commandLine = {"cclbench", "run", "-c", "allreduce"};
  h.launcher = "threads";
  h.ranks = 2;
  h.hosts = {{"h1", {0, 1}, {"0-3", "4-7"}}};
  h.backend = "nccl";
  h.libraryVersions = {{"nccl", "NCCL 2.28.9"}};
  h.environment = {{"NCCL_DEBUG", "WARN"}};
  h.config = {{"iterations", 20}};
  h.aggregation = Aggregation::kMax;
  return h;
}

CaseRecord sampleCase(uint64_t size) {
  CaseRecord r;
  r.collective = Collective::kAllReduce;
  r.dtype = DType::kBfloat16;
  r.op = RedOp::kSum;
  r.placement = Placement::kInPlace;
  r.sizeBytes = size;
  r.count = size / 2;
  r.ranks = 2;
  r.iterationsPerBatch = 17;
  r.samplesUs = {12.5, 11.0, 13.25};
  r.timeUs = stats::summarize(r.samplesUs);
  r.algBandwidthGBps = 1.5;
  r.busBandwidthGBps = 1.5;
  r.checked = true;
  r.wrong = 3;
  r.slowestRank = 1;
  r.slowestRankMedianUs = 12.9;
  r.stopReason = "precision";
  r.perIteration = PerIterationStats{100, 12.1, 15.5, 10.9, 19.0};
  return r;
}

std::string jsonl(const RunHeader& h, const std::vector<CaseRecord>& cases, bool withEnd) {
  std::string out = toJson(h).dump() + "\n";
  for (const CaseRecord& r : cases) out += toJson(r, h.runId).dump() + "\n";
  if (withEnd) {
    Trailer t{h.runId, "complete", 7, "wrong data", cases.size(), 6, "2026-11-26T09:53:00Z", 22};
    out += toJson(t).dump() + "\n";
  }
  return out;
}

TEST(ImportCclbenchJsonl, RecordsRoundTrip) {
  const RunHeader h = sampleHeader("20261126T095238Z-a1b2c3");
  const std::vector<CaseRecord> cases{sampleCase(1024), sampleCase(2048)};
  const std::string second = jsonl(sampleHeader("20261126T100000Z-d4e5f6"), {}, false);
  const auto runs = readResultsFile(writeTemp("run.jsonl", jsonl(h, cases, true) + second));
  ASSERT_EQ(runs.size(), 2u);
  const ImportedRun& run = runs[0];
  EXPECT_EQ(run.source, "cclbench-jsonl");
  EXPECT_EQ(toJson(run.header), toJson(h));
  ASSERT_EQ(run.cases.size(), 2u);
  for (std::size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(toJson(run.cases[i], h.runId), toJson(cases[i], h.runId));
  }
  EXPECT_EQ(run.trailer.exitCode, 7);
  EXPECT_EQ(run.trailer.wrongTotal, 6u);
  EXPECT_DOUBLE_EQ(run.trailer.wallSeconds, 22);
  EXPECT_FALSE(run.incomplete);
  EXPECT_TRUE(runs[1].incomplete);  // no end record
  EXPECT_TRUE(hasNote(runs[1], "no end record"));
  EXPECT_EQ(runs[1].header.runId, "20261126T100000Z-d4e5f6");
}

TEST(ImportCclbenchJsonl, TopologyAndFingerprintSurvive) {
  RunHeader h = sampleHeader("20261126T095238Z-f00d");
  h.fingerprint = "3f9a1c0d5e7b2a64";
  h.topology = {{"fingerprint", h.fingerprint}, {"nodes", 2}, {"host", {{"hostname", "gpu01"}}}};
  const auto runs = readResultsFile(writeTemp("topology.jsonl", jsonl(h, {sampleCase(8)}, true)));
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].header.fingerprint, "3f9a1c0d5e7b2a64");  // latest/baseline select by it
  EXPECT_EQ(runs[0].header.topology, h.topology);
  EXPECT_EQ(toJson(runs[0].header), toJson(h));
}

TEST(ImportCclbenchJsonl, KilledWriterKeepsItsCases) {
  const RunHeader h = sampleHeader("r1");
  std::string text = jsonl(h, {sampleCase(1024)}, false);
  text += toJson(sampleCase(2048), h.runId).dump().substr(0, 40);  // cut mid-line
  const auto runs = readResultsFile(writeTemp("killed.jsonl", text));
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_TRUE(runs[0].incomplete);
  EXPECT_EQ(runs[0].cases.size(), 1u);
  EXPECT_TRUE(hasNote(runs[0], "cut short"));
  EXPECT_EQ(runs[0].trailer.status, "incomplete");
  EXPECT_EQ(runs[0].trailer.cases, 1u);
}

TEST(ImportCclbenchJsonl, MalformedLinesNameTheirLine) {
  const RunHeader h = sampleHeader("r1");
  const std::string head = jsonl(h, {sampleCase(1024)}, false);  // lines 1-2
  expectUsageError(writeTemp("a.jsonl", head + "{not json\n" + head), 3);
  nlohmann::json missing = toJson(sampleCase(8), h.runId);
  missing.erase("samples_us");
  const std::string m = expectUsageError(writeTemp("b.jsonl", head + missing.dump() + "\n"), 3);
  EXPECT_NE(m.find("samples_us"), std::string::npos) << m;
  const std::string caseFirst = toJson(sampleCase(8), "r1").dump() + "\n";
  expectUsageError(writeTemp("c.jsonl", caseFirst + head), 1);
  nlohmann::json newer = toJson(h);
  newer["schema_version"] = kRecordSchemaVersion + 1;
  expectUsageError(writeTemp("d.jsonl", newer.dump() + "\n"), 1);
  nlohmann::json other = toJson(sampleCase(8), "someone-else");
  expectUsageError(writeTemp("e.jsonl", head + other.dump() + "\n"), 3);
}

}  // namespace
}  // namespace cclbench
