// The round-trip properties of the history, through the real commands: for runs whose records
// have every field set, export(import(x)) == x and export(store(x)) == x, line by line.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "core/record_testing.hpp"
#include "store/import.hpp"
#include "store/result_store.hpp"

namespace cclbench {
namespace {

namespace fs = std::filesystem;

fs::path freshFolder(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() /
                       ("cclbench-roundtrip-" + std::to_string(getpid()) + "-" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::vector<nlohmann::json> jsonLines(const fs::path& path) {
  std::ifstream in(path);
  std::vector<nlohmann::json> out;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

/// Runs a history subcommand in-process, its stdout captured and dropped.
int quietly(int (*command)(int*, char***, const std::vector<std::string>&),
            const std::vector<std::string>& args) {
  ::testing::internal::CaptureStdout();
  const int rc = command(nullptr, nullptr, args);
  ::testing::internal::GetCapturedStdout();
  return rc;
}

TEST(HistoryRoundTrip, ExportOfImportIsTheInput) {
  const fs::path dir = freshFolder("import");
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    const testgen::GeneratedRun run = testgen::RecordGenerator(seed).run();
    const fs::path file = dir / ("run-" + std::to_string(seed) + ".jsonl");
    std::ofstream(file) << run.jsonl();
    const std::vector<ImportedRun> read = readResultsFile(file.string());
    ASSERT_EQ(read.size(), 1u);
    std::vector<nlohmann::json> lines{toJson(read[0].header)};
    for (const CaseRecord& c : read[0].cases) lines.push_back(toJson(c, read[0].header.runId));
    lines.push_back(toJson(read[0].trailer));
    EXPECT_EQ(lines, run.lines()) << "seed " << seed;
    EXPECT_FALSE(read[0].incomplete);
  }
}

TEST(HistoryRoundTrip, ExportOfAStoredRunIsWhatTheRunWrote) {
  const fs::path dir = freshFolder("store");
  const std::string db = (dir / "history.db").string();
  for (uint64_t seed = 1; seed <= 25; ++seed) {
    const testgen::GeneratedRun run = testgen::RecordGenerator(1000 + seed).run();
    const std::string n = std::to_string(seed);
    // Imported with `cclbench import`, written back with `cclbench export`.
    const fs::path in = dir / ("in-" + n + ".jsonl"), out = dir / ("out-" + n + ".jsonl");
    std::ofstream(in) << run.jsonl();
    ASSERT_EQ(quietly(importCommand, {in.string(), "--db", db, "--tag", "imported"}), 0);
    ASSERT_EQ(quietly(exportCommand, {std::to_string(2 * seed - 1), "--db", db, "--out", out.string()}),
              0);
    EXPECT_EQ(jsonLines(out), run.lines()) << "seed " << seed << " (import, export)";

    // Stored the way `cclbench run` stores, written back with `cclbench export`.
    testgen::GeneratedRun live = run;
    live.header.runId += "-live";
    live.trailer.runId = live.header.runId;
    {
      ResultStore store(db);
      const int64_t id = store.beginRun(live.header, {}, "cclbench", "", RunStatus::kRunning,
                                        live.header.fingerprint);
      ASSERT_EQ(id, 2 * static_cast<int64_t>(seed));
      for (const CaseRecord& c : live.cases) store.addCases(id, {c});
      store.finishRun(id, live.trailer);
    }
    const fs::path out2 = dir / ("live-" + n + ".jsonl");
    ASSERT_EQ(quietly(exportCommand, {std::to_string(2 * seed), "--db", db, "--out", out2.string()}), 0);
    EXPECT_EQ(jsonLines(out2), live.lines()) << "seed " << seed << " (run, export)";

    // The one-document form holds the same records.
    const fs::path doc = dir / ("doc-" + n + ".json");
    ASSERT_EQ(quietly(exportCommand, {std::to_string(2 * seed), "--db", db, "--json", "--out",
                                      doc.string()}),
              0);
    const nlohmann::json whole = nlohmann::json::parse(std::ifstream(doc));
    const std::vector<nlohmann::json> lines = live.lines();
    EXPECT_EQ(whole.at("run"), lines.front());
    EXPECT_EQ(whole.at("end"), lines.back());
    EXPECT_EQ(whole.at("cases").size(), live.cases.size());
  }
}

}  // namespace
}  // namespace cclbench
