// nccl-tests console output: runs (one per "# nThread" header or binary), their tables, footers.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <limits>
#include <set>

#include "store/import_detail.hpp"
#include "store/import_nccl_table.hpp"

namespace cclbench::import_detail {
namespace {

/// Everything one nccl-tests run printed, as read so far.
struct ConsoleRun {
  std::size_t firstLine = 0;
  std::size_t binaryLine = 0;
  std::string binary;
  std::string testsVersion;
  std::string ncclVersion;
  std::string ncclHeaders;
  nlohmann::json config = nlohmann::json::object();
  std::vector<RankLine> rankLines;
  std::size_t headerLines = 0;
  std::optional<TableLayout> layout;
  std::vector<TableRow> rows;
  std::size_t partialRowLine = 0;
  /// A row that does not parse: the output's end where it is the table's last word (a copy cut
  /// short, a crash mid-line), an error where more rows or a footer follow.
  std::size_t cutRowLine = 0;
  std::string cutRowError;
  std::optional<double> avgBusBw;
  std::optional<uint64_t> outOfBounds;
  std::string footerFailure;
  std::vector<std::string> notes;

  bool tableBegun() const { return layout || !rows.empty() || avgBusBw || outOfBounds; }
};

std::string ncclVersionText(std::string_view code) {
  const auto value = toInteger(code);
  if (!value) return std::string(code);
  // NCCL >= 2.9 encodes MAJOR*10000 + MINOR*100 + PATCH; older ones MAJOR*1000 + MINOR*100 + PATCH.
  const int64_t v = *value;
  const int64_t major = v >= 10000 ? v / 10000 : v / 1000;
  const int64_t minor = v >= 10000 ? v / 100 % 100 : v / 100 % 10;
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(v % 100);
}

std::string shortNumber(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

class ConsoleParser {
 public:
  ConsoleParser(const SourceText& source, const FileFacts& facts)
      : source_(source), facts_(facts) {}

  void feedStream(const std::vector<SourceLine>& lines) {
    current_ = nullptr;
    pendingNcclVersion_.clear();
    for (const SourceLine& line : lines) feed(line);
  }

  std::vector<ParsedRun> finish();

 private:
  void feed(const SourceLine& line);
  ConsoleRun& open(std::size_t line, bool startsRun);
  void comment(const SourceLine& line, std::string_view body);
  bool footer(std::string_view body);
  bool row(const SourceLine& line, std::string_view text);
  ParsedRun build(ConsoleRun& run, std::size_t nextRunLine);
  std::optional<Collective> collectiveOf(ConsoleRun& run);
  void fillHeader(const ConsoleRun& r, ImportedRun& run) const;
  void addNotes(const ConsoleRun& r, ImportedRun& run, std::size_t nextRunLine) const;

  const SourceText& source_;
  const FileFacts& facts_;
  std::deque<ConsoleRun> runs_;  // a deque: current_ stays valid as runs are added
  ConsoleRun* current_ = nullptr;
  std::string pendingNcclVersion_;
};

ConsoleRun& ConsoleParser::open(std::size_t line, bool startsRun) {
  if (current_ == nullptr || (startsRun && current_->tableBegun())) {
    runs_.emplace_back();
    runs_.back().firstLine = line;
    runs_.back().ncclVersion = pendingNcclVersion_;
    current_ = &runs_.back();
  }
  return *current_;
}

void ConsoleParser::feed(const SourceLine& line) {
  const std::string_view text = trim(line.text);
  if (text.empty()) return;
  if (const std::size_t at = text.find("NCCL version "); at != std::string_view::npos) {
    const auto ws = words(text.substr(at + 13));
    const std::string version = ws.empty() ? "" : std::string(ws[0].substr(0, ws[0].find('+')));
    if (current_ == nullptr) pendingNcclVersion_ = version;
    if (current_ != nullptr && current_->ncclVersion.empty()) current_->ncclVersion = version;
  }
  if (isNcclLogLine(text)) return;
  if (text[0] == '#') return comment(line, trim(text.substr(1)));
  if (footer(text)) return;  // v1 printed its footer without '#'
  row(line, text);
}

void ConsoleParser::comment(const SourceLine& line, std::string_view body) {
  const std::size_t n = line.number;
  if (startsWith(body, "nccl-tests version ")) {
    ConsoleRun& r = open(n, true);
    const auto ws = words(body);
    r.testsVersion = ws.size() > 2 ? std::string(ws[2]) : "";
    for (std::string_view w : ws) {
      if (startsWith(w, "nccl-headers=")) r.ncclHeaders = ncclVersionText(w.substr(13));
      if (startsWith(w, "nccl-library=")) r.ncclVersion = ncclVersionText(w.substr(13));
    }
  } else if (startsWith(body, "Collective test starting:")) {
    ConsoleRun& r = open(n, true);
    r.binary = std::string(trim(body.substr(25)));
    r.binaryLine = n;
  } else if (startsWith(body, "nThread ")) {
    ConsoleRun& r = open(n, true);
    if (r.headerLines++ == 1) {
      r.notes.push_back(
          "the run header is printed more than once: several processes wrote into "
          "this output (nccl-tests built without MPI but started by a launcher?)");
    }
    r.config.update(parseRunParameters(body));
  } else if (startsWith(body, "NCCL Tests compiled with NCCL ")) {
    open(n, true).ncclHeaders = std::string(trim(body.substr(30)));
  } else if (startsWith(body, "Rank ")) {
    if (const auto rank = parseRankLine(body)) open(n, false).rankLines.push_back(*rank);
  } else if (startsWith(body, "Collective test concluded:")) {
    ConsoleRun& r = open(n, false);
    if (r.binary.empty()) {
      r.binary = std::string(trim(body.substr(26)));
      r.binaryLine = n;
    }
  } else if (startsWith(body, "Blocking Enabled")) {
    open(n, false).config["blocking_collectives"] = true;
  } else if (startsWith(body, "Parallel Init Enabled")) {
    open(n, false).config["parallel_init"] = true;
  } else if (startsWith(body, "Per-Iteration Report")) {
    ConsoleRun& r = open(n, false);
    r.config["per_iter_timing"] = true;
    if (const std::size_t at = body.find("skips first "); at != std::string_view::npos) {
      const auto ws = words(body.substr(at + 12));
      if (!ws.empty() && toInteger(ws[0])) r.config["per_iter_skip"] = *toInteger(ws[0]);
    }
  } else if (startsWith(body, "Reducing maxBytes") || startsWith(body, "error:")) {
    open(n, false).notes.push_back("nccl-tests printed: " + std::string(body));
  } else if (!footer(body)) {
    if (auto layout = parseColumnHeader(std::string("# ") + std::string(body))) {
      open(n, current_ != nullptr && !current_->rows.empty()).layout = std::move(layout);
    }
  }
}

bool ConsoleParser::footer(std::string_view body) {
  const bool oob = startsWith(body, "Out of bounds values");
  const bool avg = startsWith(body, "Avg bus bandwidth");
  if ((!oob && !avg) || current_ == nullptr) return oob || avg;
  if (current_->cutRowLine != 0) {
    fail(source_.path, current_->cutRowLine, current_->cutRowError + ", yet the table's footer follows");
  }
  const std::size_t colon = body.find(':');
  const auto ws = words(colon == std::string_view::npos ? "" : body.substr(colon + 1));
  const bool failed = ws.size() > 1 && ws[1] == "FAILED";
  if (oob && !ws.empty()) {
    current_->outOfBounds = toUnsigned(ws[0]);
    if (failed) current_->footerFailure = "out of bounds values: " + std::string(ws[0]);
  }
  if (avg && !ws.empty()) {
    current_->avgBusBw = toNumber(ws[0]);
    if (failed && current_->footerFailure.empty()) {
      current_->footerFailure = "average bus bandwidth " + std::string(ws[0]) +
                                " GB/s is under the floor (NCCL_TESTS_MIN_BW)";
    }
  }
  return true;
}

bool ConsoleParser::row(const SourceLine& line, std::string_view text) {
  const auto ws = words(text);
  if (ws.size() < 3 || current_ == nullptr || !current_->layout) return false;
  if (!toUnsigned(ws[0])) {
    // A table-wide row whose size is a negative number is an impossible row, not a stray line.
    const auto signedSize = toInteger(ws[0]);
    if (signedSize && *signedSize < 0 && ws.size() == current_->layout->fullWidth()) {
      fail(source_.path, line.number, "size '" + std::string(ws[0]) + "' is negative");
    }
    return false;
  }
  ConsoleRun& r = *current_;
  if (ws.size() >= 2 && !toUnsigned(ws[1]) && ws.size() != r.layout->fullWidth()) return false;
  if (r.partialRowLine != 0) {
    fail(source_.path, r.partialRowLine,
         "table row has only its out-of-place columns, yet more rows follow");
  }
  if (r.cutRowLine != 0) fail(source_.path, r.cutRowLine, r.cutRowError + ", yet more rows follow");
  const int iterations = settingCount(r.config, "iterations", 0, source_.path, r.firstLine);
  const int skipped = settingCount(r.config, "per_iter_skip", 0, source_.path, r.firstLine);
  if (ws.size() != r.layout->fullWidth() && ws.size() != r.layout->outOfPlaceWidth()) {
    // Kept aside: only the end of the table (more rows or a footer) tells a cut from an error.
    r.cutRowLine = line.number;
    r.cutRowError = "table row has " + std::to_string(ws.size()) +
                    " fields where the column header has " +
                    std::to_string(r.layout->fullWidth());
    return true;
  }
  r.rows.push_back(parseTableRow(ws, *r.layout, source_.path, line.number,
                                 static_cast<std::size_t>(std::max(0, iterations - skipped))));
  if (!r.rows.back().in) r.partialRowLine = line.number;
  return true;
}

std::optional<Collective> ConsoleParser::collectiveOf(ConsoleRun& r) {
  if (!r.binary.empty()) {
    if (const auto c = collectiveOfBinary(r.binary, source_.path, r.binaryLine)) return c;
  }
  std::optional<Collective> fromCommand;
  for (const auto& [line, word] : facts_.perfCommands) {
    if (line > r.firstLine) break;
    if (const auto c = collectiveOfBinary(word, source_.path, line)) {
      fromCommand = c;
      r.binary = word;
    }
  }
  if (fromCommand) return fromCommand;
  if (const auto c = collectiveFromFileName(source_.path)) {
    r.notes.push_back(std::string("the output names no nccl-tests binary: collective '") +
                      name(*c) + "' taken from the file name");
    return c;
  }
  if (r.rows.empty()) return std::nullopt;
  fail(source_.path, r.firstLine,
       "cannot tell which collective this nccl-tests table measured: the output names no "
       "*_perf binary ('# Collective test starting' line or command line) and the file name "
       "names no collective (name the file e.g. allreduce-<...>.txt)");
}

void ConsoleParser::fillHeader(const ConsoleRun& r, ImportedRun& run) const {
  RunHeader& h = run.header;
  h.backend = "nccl";
  h.aggregation = Aggregation::kMean;
  h.launcher = source_.launcher.empty() ? facts_.launcherHint : source_.launcher;
  h.config = r.config;
  if (!r.binary.empty()) h.config["binary"] = r.binary;
  if (!r.testsVersion.empty()) h.libraryVersions["nccl_tests"] = "nccl-tests " + r.testsVersion;
  if (!r.ncclVersion.empty()) h.libraryVersions["nccl"] = "NCCL " + r.ncclVersion;
  if (!r.ncclHeaders.empty()) h.libraryVersions["nccl_headers"] = "NCCL headers " + r.ncclHeaders;
  for (const auto& [line, command] : facts_.commandLines) {
    if (line < r.firstLine) h.commandLine = command;
  }
  std::set<int> ranks;
  for (const RankLine& rl : r.rankLines) {
    if (!ranks.insert(rl.rank).second) continue;
    auto host = std::find_if(h.hosts.begin(), h.hosts.end(),
                             [&](const HostEntry& e) { return e.host == rl.host; });
    if (host == h.hosts.end()) host = h.hosts.insert(h.hosts.end(), HostEntry{rl.host, {}, {}});
    host->ranks.push_back(rl.rank);
  }
  h.ranks = static_cast<int>(ranks.size());
  if (ranks.size() < r.rankLines.size()) {
    run.notes.push_back(std::to_string(r.rankLines.size() - ranks.size()) +
                        " rank lines repeat a rank number: independent runs wrote into this "
                        "output; ranks counts distinct rank numbers");
  }
}

void ConsoleParser::addNotes(const ConsoleRun& r, ImportedRun& run, std::size_t nextRun) const {
  if (run.incomplete) {
    run.notes.push_back("no footer ('# Avg bus bandwidth'): the table stops after " +
                        std::to_string(r.rows.size()) +
                        " rows (the run crashed or hung, or the copy is cut short)");
  }
  if (r.partialRowLine != 0) {
    run.notes.push_back("line " + std::to_string(r.partialRowLine) +
                        ": the last row has no in-place result");
  }
  if (r.cutRowLine != 0) {
    run.notes.push_back("line " + std::to_string(r.cutRowLine) +
                        ": the last row is cut short (" + r.cutRowError + "): left out");
  }
  for (const auto& [line, text] : facts_.launcherFailures) {
    if (line > r.firstLine && line < nextRun) run.notes.push_back("launcher: " + text);
  }
  double residual = 0, busSum = 0;
  std::size_t busCount = 0;
  bool approximate = false;
  for (const TableRow& row : r.rows) {
    residual = std::max(residual, row.residual);
    approximate |= row.approximateWrong;
    busSum += row.out.busBandwidthGBps + (row.in ? row.in->busBandwidthGBps : 0);
    busCount += row.in ? 2 : 1;
  }
  if (r.layout && r.layout->residual) {
    run.notes.push_back(
        "old nccl-tests format: the 'error' column is each case's largest "
        "residual (largest here: " +
        shortNumber(residual) +
        "), not a count of wrong elements, so cases are imported as unchecked");
  }
  if (approximate) {
    run.notes.push_back(
        "some #wrong counts are printed with 6 significant digits (%g) and are "
        "approximate");
  }
  if (r.avgBusBw && busCount > 0) {
    const double mean = busSum / static_cast<double>(busCount);
    if (std::fabs(mean - *r.avgBusBw) > 0.02 + 0.001 * *r.avgBusBw) {
      run.notes.push_back("the footer's average bus bandwidth " + shortNumber(*r.avgBusBw) +
                          " differs from the mean of the rows' busbw " + shortNumber(mean));
    }
  }
}

ParsedRun ConsoleParser::build(ConsoleRun& r, std::size_t nextRunLine) {
  ParsedRun out;
  out.firstLine = r.firstLine;
  ImportedRun& run = out.run;
  run.source = "nccl-tests";
  const auto collective = collectiveOf(r);
  if (collective) r.config["collective"] = name(*collective);
  fillHeader(r, run);
  const int64_t iterations =
      int64_t{settingCount(r.config, "iterations", 0, source_.path, r.firstLine)} *
      std::max(1, settingCount(r.config, "aggregated_iterations", 1, source_.path, r.firstLine));
  if (iterations > std::numeric_limits<int>::max()) {
    fail(source_.path, r.firstLine, "iterations x aggregated iterations is out of range");
  }
  CaseList cases(run.header.ranks, Aggregation::kMean, static_cast<int>(iterations));
  for (const TableRow& row : r.rows) {
    // cclbench records "none" for operations that do not reduce (nccl-tests prints "sum" there).
    const RedOp op = info(*collective).reduces ? row.op : RedOp::kNone;
    CaseKey key{*collective,   row.dtype, op, row.root, Placement::kOutOfPlace,
                row.sizeBytes, row.count};
    cases.add(key, row.out);
    key.placement = Placement::kInPlace;
    if (row.in) cases.add(key, *row.in);
  }
  if (cases.repeats() > 0) {
    run.notes.push_back(std::to_string(cases.repeats()) +
                        " results repeat earlier cases (nccl-tests -N): kept as more samples");
  }
  for (std::string& note : cases.notes()) run.notes.push_back(std::move(note));
  run.cases = cases.take();
  run.incomplete = !r.avgBusBw || r.partialRowLine != 0 || r.cutRowLine != 0;
  run.reportedAvgBusBandwidthGBps = r.avgBusBw;
  run.reportedOutOfBounds = r.outOfBounds;
  for (std::string& note : r.notes) run.notes.push_back(std::move(note));
  addNotes(r, run, nextRunLine);
  std::vector<std::string> notes;  // each once, in order (two processes print the same lines)
  for (std::string& note : run.notes) {
    if (std::find(notes.begin(), notes.end(), note) == notes.end())
      notes.push_back(std::move(note));
  }
  run.notes = std::move(notes);
  finishTrailer(run, !r.footerFailure.empty(), r.footerFailure);
  return out;
}

std::vector<ParsedRun> ConsoleParser::finish() {
  std::vector<std::size_t> starts;
  for (const ConsoleRun& r : runs_) starts.push_back(r.firstLine);
  std::sort(starts.begin(), starts.end());
  std::vector<ParsedRun> out;
  for (ConsoleRun& r : runs_) {
    // A run that printed no result row (cut or crashed before its table) has nothing to store.
    if (r.rows.empty()) continue;
    const auto next = std::upper_bound(starts.begin(), starts.end(), r.firstLine);
    out.push_back(build(r, next == starts.end() ? SIZE_MAX : *next));
  }
  if (out.empty() && !runs_.empty()) {
    fail(source_.path, runs_.front().firstLine,
         "nccl-tests output without a single result row (cut short or failed before its "
         "table): nothing to import");
  }
  return out;
}

}  // namespace

std::vector<ParsedRun> parseNcclTestsConsole(const SourceText& source, const FileFacts& facts) {
  ConsoleParser parser(source, facts);
  for (const auto& stream : source.streams) parser.feedStream(stream);
  return parser.finish();
}

}  // namespace cclbench::import_detail
