// readResultsFile: reads a file, tells its format from the content and hands it to the parser.
#include "store/import.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/input_file.hpp"
#include "store/import_detail.hpp"

namespace cclbench {
namespace {

using namespace import_detail;


/// A short, stable name for a file's content, so importing the same file twice gives the same
/// run id (FNV-1a, 64 bits).
std::string contentHash(const std::string& content) {
  uint64_t hash = 14695981039346656037ull;
  for (const unsigned char ch : content) hash = (hash ^ ch) * 1099511628211ull;
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

bool firstLineIsCclbenchRecord(const std::string& content) {
  const std::size_t eol = content.find('\n');
  const auto j = nlohmann::json::parse(content.substr(0, eol), nullptr, false);
  if (!j.is_object()) return false;
  const auto it = j.find("schema");
  return it != j.end() && it->is_string() && it->get<std::string>() == kRecordSchemaName;
}

std::vector<ParsedRun> parseText(const std::string& path, const std::string& content) {
  const SourceText text = splitSource(path, content);
  const FileFacts facts = scanFileFacts(text);
  const bool ncclTests = looksLikeNcclTests(text);
  const bool osu = looksLikeOsu(text);
  const bool ncclLog = std::any_of(text.lines.begin(), text.lines.end(),
                                   [](const SourceLine& l) { return isNcclLogLine(l.text); });
  if (!ncclTests && !osu && ncclLog) {
    fail(path, 1,
         "an NCCL debug log without an nccl-tests result table: nothing to import "
         "(cclbench inspect-log reads such logs)");
  }
  if (!ncclTests && !osu) {
    fail(path, 1,
         "unknown format: not nccl-tests output (no '# nThread' header or table), nccl-tests "
         "JSON, OSU micro-benchmarks output or cclbench JSON Lines");
  }
  std::vector<ParsedRun> runs;
  if (ncclTests) runs = parseNcclTestsConsole(text, facts);
  if (osu) {
    for (ParsedRun& r : parseOsu(text, facts)) runs.push_back(std::move(r));
  }
  std::stable_sort(runs.begin(), runs.end(), [](const ParsedRun& a, const ParsedRun& b) {
    return a.firstLine < b.firstLine;
  });
  if (runs.empty()) fail(path, 1, "no result table found");
  return runs;
}

}  // namespace

std::vector<ImportedRun> readResultsFile(const std::string& path) {
  return readResultsText(path, readInputFile(path));
}

std::vector<ImportedRun> readResultsText(const std::string& path, std::string content) {
  if (content.starts_with("\xEF\xBB\xBF")) content.erase(0, 3);  // a UTF-8 byte order mark
  const std::size_t first = content.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) fail(path, 1, "empty file: no results to read");
  std::vector<ParsedRun> parsed;
  if (content[first] == '{') {
    parsed = firstLineIsCclbenchRecord(content) ? parseCclbenchJsonl(path, content)
                                                : parseNcclTestsJson(path, content);
  } else {
    parsed = parseText(path, content);
  }
  const std::string hash = contentHash(content);
  std::vector<ImportedRun> runs;
  for (std::size_t i = 0; i < parsed.size(); ++i) {
    ImportedRun& run = parsed[i].run;
    if (run.header.runId.empty()) {
      run.header.runId = run.source + "-" + hash;
      if (parsed.size() > 1) run.header.runId += "-" + std::to_string(i + 1);
    }
    if (run.trailer.runId.empty()) run.trailer.runId = run.header.runId;
    runs.push_back(std::move(run));
  }
  return runs;
}

namespace import_detail {
namespace {

bool isLauncherWord(std::string_view w) {
  for (std::string_view l : {"mpirun", "mpiexec", "orterun", "srun", "torchrun", "aprun"}) {
    if (w == l ||
        (w.size() > l.size() && w.substr(w.size() - l.size() - 1) == "/" + std::string(l)))
      return true;
  }
  return false;
}

bool isBenchmarkWord(std::string_view w) {
  const std::size_t slash = w.find_last_of('/');
  const std::string_view base = slash == std::string_view::npos ? w : w.substr(slash + 1);
  const bool perf = base.size() > 5 && (base.ends_with("_perf") || base.ends_with("_perf_mpi"));
  return perf || startsWith(base, "osu_");
}

/// Records a shell command that starts an nccl-tests or OSU binary (a pasted terminal session).
void scanCommand(const SourceLine& line, FileFacts& facts) {
  const auto ws = words(line.text);
  std::size_t start = ws.size();
  for (std::size_t i = 0; i < ws.size(); ++i) {
    if (isLauncherWord(ws[i]) && start == ws.size()) start = i;
    if (!isBenchmarkWord(ws[i])) continue;
    if (start == ws.size()) start = i;
    if (ws[i].find("_perf") != std::string_view::npos) {
      facts.perfCommands.emplace_back(line.number, std::string(ws[i]));
    }
    facts.commandLines.emplace_back(line.number,
                                    std::vector<std::string>(ws.begin() + start, ws.end()));
    return;
  }
}

}  // namespace

FileFacts scanFileFacts(const SourceText& source) {
  FileFacts facts;
  for (const SourceLine& line : source.lines) {
    const std::string_view text = trim(line.text);
    if (text.empty() || text[0] == '#' || isNcclLogLine(text)) continue;
    scanCommand(line, facts);
    if (text.find("mpirun noticed") != std::string_view::npos ||
        text.find("Primary job  terminated") != std::string_view::npos) {
      facts.launcherHint = "openmpi";
    } else if (startsWith(text, "srun: ") && facts.launcherHint.empty()) {
      facts.launcherHint = "slurm";
    }
    for (std::string_view mark : {"exited on signal", "Segmentation fault", "srun: error",
                                  "BAD TERMINATION", "core dumped", "Aborted"}) {
      if (text.find(mark) != std::string_view::npos) {
        facts.launcherFailures.emplace_back(line.number, std::string(text));
        break;
      }
    }
  }
  return facts;
}

bool looksLikeNcclTests(const SourceText& source) {
  for (const SourceLine& line : source.lines) {
    const std::string_view text = trim(line.text);
    if (text.empty() || text[0] != '#') continue;
    for (std::string_view mark : {"# nThread ", "# Collective test starting",
                                  "# nccl-tests version", "# NCCL Tests compiled"}) {
      if (startsWith(text, mark)) return true;
    }
    const auto ws = words(text);
    if (ws.size() > 2 && (ws[1] == "size" || ws[1] == "bytes") &&
        text.find("busbw") != std::string_view::npos) {
      return true;
    }
  }
  return false;
}

bool looksLikeOsu(const SourceText& source) {
  for (const SourceLine& line : source.lines) {
    std::string_view text = trim(line.text);
    if (startsWith(text, "#")) text = trim(text.substr(1));
    if (startsWith(text, "OSU ") && text.find(" Test") != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace import_detail
}  // namespace cclbench
