// cclbench's own JSON Lines (results/README.md): a "run" line, "case" lines, an "end" line; a
// file may hold several runs one after another. No "end" line means the run was cut short.
#include "core/error.hpp"
#include "store/import_detail.hpp"

namespace cclbench::import_detail {
namespace {

using nlohmann::json;

/// One JSON Lines file being read: the runs so far and whether each has its "end" line.
struct JsonlReader {
  const std::string& path;
  std::vector<ParsedRun> runs;
  std::vector<bool> ended;

  void record(const json& j, std::size_t line);
  void finish();
};

void JsonlReader::record(const json& j, std::size_t line) {
  const auto schema = j.find("schema");
  if (!j.is_object() || schema == j.end() || *schema != kRecordSchemaName) {
    fail(path, line,
         std::string("not a cclbench record (no \"schema\":\"") + kRecordSchemaName + "\")");
  }
  const int version = settingCount(j, "schema_version", 0, path, line);
  if (version > kRecordSchemaVersion) {
    fail(path, line,
         "written by a newer cclbench (schema_version " + std::to_string(version) +
             "; this one reads up to " + std::to_string(kRecordSchemaVersion) + ")");
  }
  const std::string type = recordType(j);
  if (type == "run") {
    runs.emplace_back();
    runs.back().firstLine = line;
    runs.back().run.source = "cclbench-jsonl";
    runs.back().run.header = runHeaderFromJson(j);
    ended.push_back(false);
    return;
  }
  if (type != "case" && type != "end") return;  // newer record types: ignored
  if (runs.empty()) fail(path, line, type + " record before any run record");
  ImportedRun& run = runs.back().run;
  if (j.value("run_id", "") != run.header.runId) {
    fail(path, line,
         type + " record of run '" + j.value("run_id", "") + "' inside run '" + run.header.runId +
             "'");
  }
  if (type == "case") {
    if (ended.back()) fail(path, line, "case record after the run's end record");
    run.cases.push_back(caseRecordFromJson(j));
  } else {
    run.trailer = trailerFromJson(j);
    ended.back() = true;
  }
}

void JsonlReader::finish() {
  for (std::size_t i = 0; i < runs.size(); ++i) {
    ImportedRun& run = runs[i].run;
    if (!ended[i]) {
      run.incomplete = true;
      run.notes.push_back(
          "no end record: the run was killed, timed out or crashed; its case "
          "records are kept");
      run.trailer.runId = run.header.runId;
      finishTrailer(run, false, "");
    } else if (run.trailer.cases != run.cases.size()) {
      run.notes.push_back("the end record counts " + std::to_string(run.trailer.cases) +
                          " cases; the file holds " + std::to_string(run.cases.size()));
    }
  }
}

}  // namespace

std::vector<ParsedRun> parseCclbenchJsonl(const std::string& path, const std::string& content) {
  JsonlReader reader{path, {}, {}};
  std::size_t start = 0;
  for (std::size_t number = 1; start < content.size(); ++number) {
    std::size_t end = content.find('\n', start);
    const bool lastWithoutNewline = end == std::string::npos;
    if (lastWithoutNewline) end = content.size();
    const std::string_view text = trim(std::string_view(content).substr(start, end - start));
    start = end + 1;
    if (text.empty()) continue;
    json j;
    try {
      j = json::parse(text);
    } catch (const json::parse_error& e) {
      if (lastWithoutNewline && !reader.runs.empty() && !reader.ended.back()) {
        reader.runs.back().run.notes.push_back("line " + std::to_string(number) +
                                               " is cut short (the writer was stopped)");
        break;
      }
      std::string what = e.what();
      if (const std::size_t at = what.find("] "); at != std::string::npos) what.erase(0, at + 2);
      fail(path, number, "not valid JSON: " + what);
    } catch (const json::exception& e) {
      std::string what = e.what();  // a number too large for any type (out_of_range 406)
      if (const std::size_t at = what.find("] "); at != std::string::npos) what.erase(0, at + 2);
      fail(path, number, "not valid JSON: " + what);
    }
    try {
      reader.record(j, number);
    } catch (const json::exception& e) {
      fail(path, number, std::string("bad record: ") + e.what());
    } catch (const Error& e) {
      if (std::string(e.what()).starts_with(path + ":")) throw;
      fail(path, number, e.what());
    }
  }
  reader.finish();
  if (reader.runs.empty()) fail(path, 1, "cclbench JSON Lines without a run record");
  return std::move(reader.runs);
}

}  // namespace cclbench::import_detail
