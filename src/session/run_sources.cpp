#include "session/run_sources.hpp"

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

bool isDigits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

/// "" -> no tag, ":TAG" -> TAG.
std::optional<std::string> tagOf(const std::string& rest, const std::string& operand) {
  if (rest.empty()) return std::nullopt;
  if (rest[0] != ':' || rest.size() == 1) {
    throw usageError("cannot read operand '" + operand + "' (latest[:TAG] or baseline[:TAG][~N])");
  }
  return rest.substr(1);
}

}  // namespace

Operand parseOperand(const std::string& text) {
  auto startsWith = [&](const std::string& prefix) { return text.rfind(prefix, 0) == 0; };
  auto nonEmpty = [&](std::string value) {
    if (value.empty()) throw usageError("operand '" + text + "' names nothing after the prefix");
    return value;
  };
  if (startsWith("run:")) return {text, OperandKind::kRun, nonEmpty(text.substr(4)), "", {}, 1};
  if (startsWith("file:")) return {text, OperandKind::kFile, nonEmpty(text.substr(5)), "", {}, 1};
  if (isDigits(text)) return {text, OperandKind::kRun, text, "", {}, 1};
  if (startsWith("tune:")) {
    std::string id = nonEmpty(text.substr(5)), purpose;
    for (const char* side : {"default", "tuned"}) {
      const std::string suffix = std::string(":") + side;
      if (id.size() > suffix.size() && id.ends_with(suffix)) {
        id.resize(id.size() - suffix.size());
        purpose = std::string("validation-") + side;
      }
    }
    return {text, OperandKind::kTune, id, purpose, {}, 1};
  }
  if (startsWith("matrix:")) return {text, OperandKind::kMatrix, nonEmpty(text.substr(7)), "", {}, 1};
  if (text == "latest" || startsWith("latest:")) {
    return {text, OperandKind::kLatest, "", "", tagOf(text.substr(6), text), 1};
  }
  if (text == "baseline" || startsWith("baseline:") || startsWith("baseline~")) {
    std::string rest = text.substr(8);
    int count = 5;
    if (const auto tilde = rest.rfind('~'); tilde != std::string::npos) {
      const std::string n = rest.substr(tilde + 1);
      if (!isDigits(n) || n.size() > 6 || std::stoi(n) < 1) {
        throw usageError("cannot read the run count of '" + text +
                         "' (baseline[:TAG][~N], N >= 1)");
      }
      count = std::stoi(n);
      rest = rest.substr(0, tilde);
    }
    return {text, OperandKind::kBaseline, "", "", tagOf(rest, text), count};
  }
  if (std::filesystem::exists(text)) return {text, OperandKind::kFile, text, "", {}, 1};
  throw usageError("'" + text +
                   "' is no run id, existing file, latest[:TAG], baseline[:TAG][~N] or "
                   "tune:ID[:default|:tuned] or matrix:ID (file:PATH and run:ID remove any doubt)");
}

std::string resultsDatabasePath(const std::string& option) {
  if (!option.empty()) return option;
  const Environment env = processEnvironment();
  const auto it = env.find("CCLBENCH_DB");
  return it != env.end() && !it->second.empty() ? it->second : "results/cclbench.db";
}

/// The results database, opened on first use: file operands never need it.
class RunSources::History {
 public:
  explicit History(std::string path) : path_(std::move(path)) {}
  const std::string& path() const { return path_; }

#if defined(CCLBENCH_HAVE_STORE)
  std::optional<ResolvedRun> run(const std::string& idOrUid) {
    const std::optional<int64_t> id = isDigits(idOrUid) && idOrUid.size() < 19
                                          ? std::optional<int64_t>(std::stoll(idOrUid))
                                          : store().findRun(idOrUid);
    const auto stored = id ? store().run(*id) : std::nullopt;
    if (!stored) return std::nullopt;
    return load(*stored);
  }
  std::vector<ResolvedRun> list(const std::optional<std::string>& tag,
                                const std::string& fingerprint, const std::set<int64_t>& exclude,
                                int count) {
    RunFilter filter;
    filter.tag = tag;
    filter.fingerprint = fingerprint;
    filter.limit = count + static_cast<int>(exclude.size());
    std::vector<ResolvedRun> out;
    for (const StoredRun& r : store().listRuns(filter)) {
      if (exclude.count(r.id) == 0 && static_cast<int>(out.size()) < count) out.push_back(load(r));
    }
    return out;
  }
  std::vector<ResolvedRun> labelled(const std::vector<std::pair<std::string, std::string>>& labels) {
    RunFilter filter;
    filter.labels = labels;
    std::vector<ResolvedRun> out;
    for (const StoredRun& r : store().listRuns(filter)) out.push_back(load(r));
    std::reverse(out.begin(), out.end());  // oldest first: the order they ran in
    return out;
  }
  std::optional<std::pair<int64_t, std::string>> newest(const std::optional<std::string>& tag) {
    RunFilter filter;
    filter.tag = tag;
    filter.limit = 1;
    const auto runs = store().listRuns(filter);
    if (runs.empty()) return std::nullopt;
    return std::make_pair(runs[0].id, runs[0].fingerprint);
  }

 private:
  ResultStore& store() {
    if (!store_) {
      if (!std::filesystem::exists(path_)) {
        throw usageError("no results database at " + path_ + " (give --db PATH or set CCLBENCH_DB)");
      }
      store_ = std::make_unique<ResultStore>(path_, ResultStore::Access::kRead);
    }
    return *store_;
  }
  ResolvedRun load(const StoredRun& r) {
    const std::string status = displayStatus(r);
    RunHeader header = r.header;
    header.runId = r.uid;
    return {"run " + std::to_string(r.id) + (status == "complete" ? "" : " (" + status + ")"),
            r.id, header, status, r.source, r.fingerprint, r.meta.tags, r.meta.labels,
            store().cases(r.id)};
  }
  std::unique_ptr<ResultStore> store_;
#else
  [[noreturn]] static void noDatabase() {
    throw Error(ExitCode::kNotAvailable,
                "run ids, latest and baseline need the results database, and this cclbench was "
                "built without SQLite: use files instead (file:PATH)");
  }
  std::optional<ResolvedRun> run(const std::string&) { noDatabase(); }
  std::vector<ResolvedRun> list(const std::optional<std::string>&, const std::string&,
                                const std::set<int64_t>&, int) {
    noDatabase();
  }
  std::optional<std::pair<int64_t, std::string>> newest(const std::optional<std::string>&) {
    noDatabase();
  }
  std::vector<ResolvedRun> labelled(const std::vector<std::pair<std::string, std::string>>&) {
    noDatabase();
  }
#endif

 private:
  std::string path_;
};

RunSources::RunSources(std::string databasePath, std::string fingerprint)
    : history_(std::make_unique<History>(std::move(databasePath))),
      fingerprint_(std::move(fingerprint)) {}

RunSources::~RunSources() = default;

const std::string& RunSources::databasePath() const { return history_->path(); }

std::vector<ResolvedRun> RunSources::resolve(const Operand& op, const std::set<int64_t>& exclude) {
  std::vector<ResolvedRun> runs;
  switch (op.kind) {
    case OperandKind::kRun: {
      auto run = history_->run(op.value);
      if (!run) throw usageError("no run " + op.value + " in " + databasePath());
      runs.push_back(std::move(*run));
      break;
    }
    case OperandKind::kFile: return fileRuns(op);
    case OperandKind::kLatest:
    case OperandKind::kBaseline: runs = selection(op, exclude); break;
    case OperandKind::kTune: {
      std::vector<std::pair<std::string, std::string>> labels{{"tune", op.value}};
      if (!op.purpose.empty()) labels.emplace_back("purpose", op.purpose);
      runs = history_->labelled(labels);
      if (runs.empty()) {
        throw usageError("no run of " + op.text + " in " + databasePath() +
                         " (a tune labels its launches tune=ID)");
      }
      break;
    }
    case OperandKind::kMatrix: {
      runs = history_->labelled({{"matrix", op.value}});
      if (runs.empty()) {
        throw usageError("no run of " + op.text + " in " + databasePath() +
                         " (cclbench matrix labels its jobs matrix=ID and prints the ID)");
      }
      break;
    }
  }
  for (const ResolvedRun& r : runs) runIds_.insert(r.id);
  return runs;
}

std::vector<ResolvedRun> RunSources::fileRuns(const Operand& op) {
  if (!std::filesystem::is_regular_file(op.value)) throw usageError("no file " + op.value);
  std::vector<ImportedRun> imported = readResultsFile(op.value);
  if (imported.empty()) throw usageError(op.value + ": holds no runs");
  std::vector<ResolvedRun> runs;
  for (std::size_t i = 0; i < imported.size(); ++i) {
    ImportedRun& r = imported[i];
    const std::string label =
        imported.size() == 1 ? op.value : op.value + " #" + std::to_string(i + 1);
    runs.push_back({label, 0, r.header, r.incomplete ? "incomplete" : "complete", r.source,
                    r.header.fingerprint, {}, {}, std::move(r.cases)});
  }
  return runs;
}

std::string RunSources::fingerprintFor(const Operand& op) {
  if (!fingerprint_.empty()) {
    notes_.push_back({op.text, fingerprint_, "--fingerprint"});
    return fingerprint_;
  }
  const auto newest = history_->newest(op.tag);
  if (!newest) {
    throw usageError("no run" + (op.tag ? " tagged " + *op.tag : std::string()) + " in " +
                     databasePath() + " for '" + op.text + "'");
  }
  notes_.push_back({op.text, newest->second,
                    "of the newest run" + (op.tag ? " tagged " + *op.tag : std::string()) +
                        " (run " + std::to_string(newest->first) + ")"});
  return newest->second;
}

std::vector<ResolvedRun> RunSources::selection(const Operand& op,
                                               const std::set<int64_t>& exclude) {
  const std::string fingerprint = fingerprintFor(op);
  std::vector<ResolvedRun> runs = history_->list(op.tag, fingerprint, exclude, op.count);
  if (runs.empty()) {
    throw usageError("no run matches '" + op.text + "' (fingerprint '" + fingerprint + "') in " +
                     databasePath());
  }
  return runs;
}

}  // namespace cclbench
