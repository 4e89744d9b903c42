#include "cli/run_sources.hpp"

#include <algorithm>
#include <filesystem>

#include "core/environment.hpp"
#include "core/error.hpp"
#include "store/import.hpp"
#if defined(CCLBENCH_HAVE_STORE)
#include "store/result_store.hpp"
#endif

namespace cclbench {
namespace {

bool allDigits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

void addFile(const std::string& path, std::vector<ResolvedRun>& out) {
  const std::vector<ImportedRun> runs = readResultsFile(path);
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const ImportedRun& r = runs[i];
    std::string label = std::filesystem::path(path).filename().string();
    if (runs.size() > 1) label += " #" + std::to_string(i + 1);
    out.push_back({label, r.header, r.incomplete ? "incomplete" : "complete", r.source, "", {},
                   r.cases});
  }
}

#if defined(CCLBENCH_HAVE_STORE)
ResolvedRun storedRun(ResultStore& store, int64_t id, const std::string& label) {
  const auto run = store.run(id);
  if (!run) throw usageError("no run " + std::to_string(id) + " in " + store.path());
  RunHeader header = run->header;
  header.runId = run->uid;
  return {label, header, displayStatus(*run), run->source, run->fingerprint, run->meta.tags,
          store.cases(id)};
}
#endif

}  // namespace

std::vector<ResolvedRun> resolveRunOperands(const std::vector<std::string>& operands,
                                            const std::string& db) {
  std::vector<ResolvedRun> out;
#if defined(CCLBENCH_HAVE_STORE)
  std::unique_ptr<ResultStore> store;
  auto history = [&]() -> ResultStore& {
    if (!store) {
      store = std::make_unique<ResultStore>(db.empty() ? ResultStore::defaultPath(processEnvironment())
                                                       : db);
    }
    return *store;
  };
#endif
  for (const std::string& op : operands) {
    std::string text = op;
    const bool forcedFile = text.rfind("file:", 0) == 0;
    const bool forcedRun = text.rfind("run:", 0) == 0;
    if (forcedFile) text = text.substr(5);
    if (forcedRun) text = text.substr(4);
    if (forcedFile || (!forcedRun && !allDigits(text) && text.rfind("latest", 0) != 0)) {
      if (!std::filesystem::exists(text)) throw usageError("no such file: " + text);
      addFile(text, out);
      continue;
    }
#if defined(CCLBENCH_HAVE_STORE)
    if (allDigits(text)) {
      out.push_back(storedRun(history(), std::stoll(text), "run " + text));
      continue;
    }
    RunFilter filter;
    filter.limit = 1;
    if (text.size() > 7 && text[6] == ':') filter.tag = text.substr(7);
    else if (text != "latest") throw usageError("cannot read operand '" + op + "'");
    const auto runs = history().listRuns(filter);
    if (runs.empty()) throw usageError("no run matches '" + op + "' in " + history().path());
    out.push_back(storedRun(history(), runs[0].id, op + " (run " + std::to_string(runs[0].id) + ")"));
#else
    throw Error(ExitCode::kNotAvailable, "operand '" + op + "' needs the results database, and "
                                         "this cclbench was built without SQLite");
#endif
  }
  return out;
}

}  // namespace cclbench
