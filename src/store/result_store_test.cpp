#include "store/result_store.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "core/record_testing.hpp"
#include "store/schema.hpp"
#include "store/sqlite.hpp"

namespace cclbench {
namespace {

std::string freshPath(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("cclbench-store-" + std::to_string(getpid()) + "-" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return (dir / "results.db").string();
}

RunHeader header(const std::string& uid, const std::string& start = "2026-11-26T10:00:00Z") {
  RunHeader h;
  h.runId = uid;
  h.startUtc = start;
  h.toolVersion = "0.1.0";
  h.ranks = 4;
  h.backend = "mpi";
  h.launcher = "openmpi";
  h.hosts = {{"node01", {0, 1}, {"0", "1"}}, {"node02", {2, 3}, {"0", "1"}}};
  h.config = {{"min_bytes", 8}};
  h.aggregation = Aggregation::kMax;
  return h;
}

CaseRecord caseOf(uint64_t bytes, double medianUs) {
  CaseRecord c;
  c.collective = Collective::kAllReduce;
  c.dtype = DType::kFloat;
  c.op = RedOp::kSum;
  c.sizeBytes = bytes;
  c.count = bytes / 4;
  c.ranks = 4;
  c.samplesUs = {medianUs * 0.99, medianUs, medianUs * 1.01};
  c.timeUs = stats::summarize(c.samplesUs);
  c.busBandwidthGBps = static_cast<double>(bytes) / medianUs / 1e3;
  c.checked = true;
  c.stopReason = "precision";
  return c;
}

TEST(ResultStore, CreatesTheCurrentSchemaAndRoundTripsARun) {
  const std::string path = freshPath("roundtrip");
  ResultStore store(path);
  const int64_t run = store.beginRun(header("r1"), {{"nightly"}, {{"rack", "A7"}}}, "cclbench", "",
                                     RunStatus::kRunning, "fp123");
  store.addCases(run, {caseOf(1024, 10), caseOf(2048, 12)});
  store.finishRun(run, Trailer{"r1", "complete", 0, "", 2, 0, "2026-11-26T10:01:00Z", 60});
  const auto stored = store.run(run);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->status, "complete");
  EXPECT_EQ(stored->fingerprint, "fp123");
  EXPECT_EQ(stored->caseCount, 2);
  EXPECT_EQ(stored->header.hosts.size(), 2u);
  EXPECT_EQ(stored->meta.tags, std::vector<std::string>{"nightly"});
  EXPECT_EQ(stored->meta.labels.at("rack"), "A7");
  const auto cases = store.cases(run);
  ASSERT_EQ(cases.size(), 2u);
  EXPECT_EQ(cases[1].sizeBytes, 2048u);
  EXPECT_EQ(cases[1].samplesUs.size(), 3u);
  EXPECT_DOUBLE_EQ(cases[1].timeUs.median, 12);
  sql::Database db(path, false);
  EXPECT_EQ(store::schemaVersion(db), store::currentSchemaVersion());
}

TEST(ResultStore, MigratesAVersionOneDatabase) {
  const std::string path = freshPath("migrate");
  {
    sql::Database db(path, true);
    store::migrate(db, 1);
    ASSERT_EQ(store::schemaVersion(db), 1);
    db.exec("INSERT INTO runs (run_uid, status, source, started_utc, fingerprint) "
            "VALUES ('old', 'complete', 'cclbench', '2025-01-01T00:00:00Z', 'fpold')");
  }
  ResultStore store(path);  // migrates to the current version
  const auto runs = store.listRuns({});
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].uid, "old");
  const int64_t run = store.beginRun(header("new"), {{}, {{"k", "v"}}}, "cclbench", "",
                                     RunStatus::kRunning, "fp");
  EXPECT_EQ(store.run(run)->meta.labels.at("k"), "v");  // run_labels exists only from v2
  sql::Database db(path, false);
  EXPECT_EQ(store::schemaVersion(db), store::currentSchemaVersion());
}

TEST(ResultStore, RefusesADatabaseFromTheFuture) {
  const std::string path = freshPath("future");
  {
    sql::Database db(path, true);
    db.exec("PRAGMA user_version = 999");
  }
  try {
    ResultStore store(path);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kInvalidUsage);
    EXPECT_NE(std::string(e.what()).find("newer"), std::string::npos);
  }
}

TEST(ResultStore, FiltersRuns) {
  ResultStore store(freshPath("filter"));
  store.beginRun(header("a", "2026-11-01T00:00:00Z"), {{"nightly"}, {}}, "cclbench", "",
                 RunStatus::kComplete, "fpA");
  store.beginRun(header("b", "2026-11-02T00:00:00Z"), {{"acceptance"}, {}}, "cclbench", "",
                 RunStatus::kComplete, "fpB");
  RunHeader other = header("c", "2026-11-03T00:00:00Z");
  other.backend = "nccl";
  other.hosts = {{"gpu17", {0}, {"0"}}};
  store.beginRun(other, {{"nightly"}, {}}, "cclbench", "", RunStatus::kComplete, "fpA");
  auto uids = [](const std::vector<StoredRun>& runs) {
    std::vector<std::string> out;
    for (const auto& r : runs) out.push_back(r.uid);
    return out;
  };
  EXPECT_EQ(uids(store.listRuns({})), (std::vector<std::string>{"c", "b", "a"}));
  RunFilter f;
  f.tag = "nightly";
  EXPECT_EQ(uids(store.listRuns(f)), (std::vector<std::string>{"c", "a"}));
  f = {};
  f.fingerprint = "fpB";
  EXPECT_EQ(uids(store.listRuns(f)), (std::vector<std::string>{"b"}));
  f = {};
  f.host = "gpu17";
  EXPECT_EQ(uids(store.listRuns(f)), (std::vector<std::string>{"c"}));
  f = {};
  f.backend = "mpi";
  f.since = "2026-11-02";
  EXPECT_EQ(uids(store.listRuns(f)), (std::vector<std::string>{"b"}));
  f = {};
  f.limit = 1;
  EXPECT_EQ(uids(store.listRuns(f)), (std::vector<std::string>{"c"}));
  f = {};
  f.tag = "acceptance";
  f.limit = 1;  // the newest run with the tag, not the newest run
  EXPECT_EQ(uids(store.listRuns(f)), (std::vector<std::string>{"b"}));
  f.tag = "nightly";
  f.fingerprint = "fpA";
  f.limit = 5;
  EXPECT_EQ(uids(store.listRuns(f)), (std::vector<std::string>{"c", "a"}));
}

TEST(ResultStore, ImportedRunsKeepTheirFingerprint) {
  ResultStore store(freshPath("import-fingerprint"));
  RunHeader withTopology = header("jsonl");
  withTopology.fingerprint = "fp-from-topology";
  ResultStore::Import tagged{withTopology, "cclbench-jsonl", {caseOf(8, 1)}, Trailer{},
                             RunStatus::kComplete};
  ResultStore::Import bare{header("nccl"), "nccl-tests", {caseOf(8, 1)}, Trailer{},
                           RunStatus::kComplete};
  store.importRuns({tagged, bare}, {{"nightly"}, {}}, "a.jsonl");
  RunFilter f;
  f.fingerprint = "fp-from-topology";
  const auto runs = store.listRuns(f);  // what latest/baseline select by
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].uid, "jsonl");
  EXPECT_EQ(store.run(*store.findRun("nccl"))->fingerprint, "");
}

TEST(ResultStore, ImportIsAllOrNothing) {
  ResultStore store(freshPath("import"));
  store.importRun(header("dup"), {}, "nccl-tests", "a.txt", {caseOf(8, 1)}, Trailer{}, RunStatus::kComplete, "");
  // The same run id again violates the unique key: nothing of the second import may remain.
  EXPECT_THROW(store.importRun(header("dup"), {}, "nccl-tests", "b.txt",
                               {caseOf(8, 1), caseOf(16, 2)}, Trailer{}, RunStatus::kComplete, ""),
               Error);
  const auto runs = store.listRuns({});
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].sourceFile, "a.txt");
  EXPECT_EQ(store.cases(runs[0].id).size(), 1u);
}

TEST(ResultStore, ConcurrentWritersLoseNothing) {
  const std::string path = freshPath("concurrent");
  ResultStore{path};  // create the schema first
  constexpr int kWriters = 6, kRunsEach = 10;
  std::vector<pid_t> children;
  for (int w = 0; w < kWriters; ++w) {
    const pid_t pid = fork();
    if (pid == 0) {
      int rc = 0;
      try {
        ResultStore store(path);
        for (int r = 0; r < kRunsEach; ++r) {
          const std::string uid = "w" + std::to_string(w) + "-r" + std::to_string(r);
          const int64_t id = store.beginRun(header(uid), {}, "cclbench", "", RunStatus::kRunning, "");
          for (uint64_t size = 8; size <= 1024; size *= 2) store.addCases(id, {caseOf(size, 3)});
          store.finishRun(id, Trailer{uid, "complete", 0, "", 8, 0, "", 1});
        }
      } catch (const std::exception& e) {
        std::fprintf(stderr, "writer %d: %s\n", w, e.what());
        rc = 1;
      }
      std::_Exit(rc);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  ResultStore store(path);
  const auto runs = store.listRuns({});
  ASSERT_EQ(runs.size(), static_cast<std::size_t>(kWriters * kRunsEach));
  for (const auto& r : runs) {
    EXPECT_EQ(r.status, "complete");
    EXPECT_EQ(r.caseCount, 8);
  }
}

TEST(ResultStore, AKilledRunKeepsItsFinishedSizesAndStaysIncomplete) {
  const std::string path = freshPath("killed");
  ResultStore{path};
  const pid_t pid = fork();
  if (pid == 0) {
    ResultStore store(path);
    const int64_t id = store.beginRun(header("killed"), {}, "cclbench", "", RunStatus::kRunning, "");
    store.addCases(id, {caseOf(8, 1)});
    store.addCases(id, {caseOf(16, 1)});
    raise(SIGKILL);  // dies mid-sweep, before finishRun
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  ResultStore store(path);
  const auto runs = store.listRuns({});
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].status, "running");        // never marked complete
  EXPECT_EQ(displayStatus(runs[0]), "incomplete");  // and its writer is gone
  EXPECT_EQ(store.cases(runs[0].id).size(), 2u);
}

TEST(NetworkFilesystemWarning, LocalDisksGetNone) {
  EXPECT_EQ(networkFilesystemWarning(freshPath("local")), "");
}

}  // namespace
}  // namespace cclbench

namespace cclbench {
namespace {

std::vector<nlohmann::json> jsonLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<nlohmann::json> out;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

std::vector<nlohmann::json> linesOf(const RunRecords& r) {
  std::vector<nlohmann::json> out{toJson(r.header)};
  for (const CaseRecord& c : r.cases) out.push_back(toJson(c, r.header.runId));
  if (r.trailer) out.push_back(toJson(*r.trailer));
  return out;
}

TEST(ResultStoreRecords, EveryFieldOfEveryRecordSurvivesTheStore) {
  const std::string path = freshPath("whole-records");
  ResultStore store(path);
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    const testgen::GeneratedRun run = testgen::RecordGenerator(seed).run();
    // The way `cclbench run` writes: begin, cases as they finish, end.
    const int64_t id = store.beginRun(run.header, {}, "cclbench", "", RunStatus::kRunning,
                                      run.header.fingerprint);
    store.addCases(id, {run.cases.begin(), run.cases.begin() + 1});
    store.addCases(id, {run.cases.begin() + 1, run.cases.end()});
    store.finishRun(id, run.trailer);
    const RunRecords back = store.records(id);
    EXPECT_EQ(back.header, run.header) << "seed " << seed;
    EXPECT_EQ(back.cases, run.cases) << "seed " << seed;
    ASSERT_TRUE(back.trailer.has_value());
    EXPECT_EQ(*back.trailer, run.trailer) << "seed " << seed;
    EXPECT_EQ(linesOf(back), run.lines()) << "seed " << seed;
    // The header's tags and labels are the run's tags and labels in the database.
    const StoredRun stored = *store.run(id);
    for (const auto& t : run.header.tags) {
      EXPECT_NE(std::find(stored.meta.tags.begin(), stored.meta.tags.end(), t),
                stored.meta.tags.end());
    }
    EXPECT_EQ(stored.meta.labels, run.header.labels);
  }
}

TEST(ResultStoreRecords, ARunThatNeverEndedHasNoEndRecord) {
  ResultStore store(freshPath("never-ended"));
  const testgen::GeneratedRun run = testgen::RecordGenerator(7).run();
  const int64_t id =
      store.beginRun(run.header, {}, "cclbench", "", RunStatus::kRunning, run.header.fingerprint);
  store.addCases(id, run.cases);
  const RunRecords back = store.records(id);
  EXPECT_FALSE(back.trailer.has_value());
  EXPECT_EQ(back.cases, run.cases);
}

/// tests/fixtures/db/schema-v2.db was written by cclbench at schema version 2 (before whole
/// records were kept): a 2-rank run with -I 1 and --per-rank-times (run 1, whose JSON Lines file
/// is beside it), an nccl-tests import (run 2) and an OSU import (run 3).
TEST(ResultStoreMigration, ADatabaseOfSchemaVersion2IsMigratedAndStillReads) {
  const std::string path = freshPath("migrate-v2");
  const std::string fixtures = CCLBENCH_FIXTURES "/db/";
  std::filesystem::copy_file(fixtures + "schema-v2.db", path,
                             std::filesystem::copy_options::overwrite_existing);
  {
    sql::Database db(path, false);
    ASSERT_EQ(store::schemaVersion(db), 2);
  }
  ResultStore store(path);
  {
    sql::Database db(path, false);
    EXPECT_EQ(store::schemaVersion(db), store::currentSchemaVersion());
  }
  EXPECT_EQ(store.listRuns({}).size(), 3u);
  const std::vector<nlohmann::json> written = jsonLines(fixtures + "schema-v2-run1.jsonl");
  const RunRecords old = store.records(1);
  const RunHeader writtenHeader = runHeaderFromJson(written.front());
  // What version 2 kept, it still gives back.
  EXPECT_EQ(old.header.runId, writtenHeader.runId);
  EXPECT_EQ(old.header.commandLine, writtenHeader.commandLine);
  EXPECT_EQ(old.header.hosts, writtenHeader.hosts);
  EXPECT_EQ(old.header.environment, writtenHeader.environment);
  EXPECT_EQ(old.header.config, writtenHeader.config);
  EXPECT_EQ(old.header.topology, writtenHeader.topology);
  EXPECT_EQ(old.header.libraryVersions, writtenHeader.libraryVersions);
  ASSERT_EQ(old.cases.size(), written.size() - 2);
  for (std::size_t i = 0; i < old.cases.size(); ++i) {
    const CaseRecord c = caseRecordFromJson(written[i + 1]);
    EXPECT_EQ(old.cases[i].samplesUs, c.samplesUs);
    EXPECT_EQ(old.cases[i].sizeBytes, c.sizeBytes);
    EXPECT_EQ(old.cases[i].collective, c.collective);
    ASSERT_TRUE(old.cases[i].perIteration.has_value());
    EXPECT_EQ(old.cases[i].perIteration->p99Us, c.perIteration->p99Us);
  }
  ASSERT_TRUE(old.trailer.has_value());
  EXPECT_EQ(old.trailer->status, "complete");
  EXPECT_EQ(store.cases(2).size(), 62u);
  EXPECT_EQ(store.cases(3).size(), 24u);
  // New runs in the migrated database keep every field.
  const testgen::GeneratedRun run = testgen::RecordGenerator(11).run();
  const int64_t id =
      store.beginRun(run.header, {}, "cclbench", "", RunStatus::kRunning, run.header.fingerprint);
  store.addCases(id, run.cases);
  store.finishRun(id, run.trailer);
  EXPECT_EQ(linesOf(store.records(id)), run.lines());
}

}  // namespace
}  // namespace cclbench
