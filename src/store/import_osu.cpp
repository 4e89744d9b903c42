// OSU micro-benchmarks output: point-to-point latency / bandwidth / bi-directional bandwidth and
// the blocking collectives' latency tables, v5 to v7 (with or without '#', CUDA variants).
//
// OSU's conventions (FACTS.md section 3): sizes are per-rank message sizes, MB/s is 1e6 bytes/s,
// latency is half the round trip, collectives report the average latency over ranks. In cclbench
// terms:
// - bw: algbw = MB/s / 1000; time per message = size / (MB/s x 1e6) s.
// - bibw: OSU's figure counts the bytes of both directions, and so does cclbench's bibw algbw
//   (algorithmBytes is twice the size): algbw = MB/s / 1000 again, and the time per message
//   (one each way) = 2 x size / (MB/s x 1e6) s.
// - latency: time = the latency; algbw = size / time.
// - collectives: time = the average latency; algbw = algorithmBytes / time; busbw needs the rank
//   count, which OSU does not print: 0 unless a command line in the file says it (-np N).
//   size_bytes stays OSU's per-rank size, also for all-gather, reduce-scatter and all-to-all,
//   where nccl-tests and cclbench print the total over ranks (a note says so).
// OSU prints no end marker, so a table cut short cannot be told from a complete one.
#include <algorithm>
#include <cmath>
#include <cctype>
#include <deque>

#include "store/import_detail.hpp"

namespace cclbench::import_detail {
namespace {

struct OsuRow {
  std::size_t line = 0;
  uint64_t size = 0;
  double value = 0;  ///< average latency (us) or bandwidth (MB/s)
  std::optional<double> maxLatency;
  std::optional<int64_t> iterations;
  std::optional<bool> valid;
};

struct OsuRun {
  std::size_t firstLine = 0;
  std::string title;
  std::string version;
  Collective collective = Collective::kLatency;
  std::string datatype = "MPI_CHAR";
  std::string buffers;
  std::vector<std::string> columns;  ///< avg, min, max, iterations, bw, validation, other
  std::vector<OsuRow> rows;
};

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return out;
}

bool has(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

/// The operation an OSU title names; nullopt for benchmarks cclbench has no counterpart of.
std::optional<Collective> osuCollective(const std::string& title) {
  const std::string t = lower(title);
  if (has(t, "non-blocking") || has(t, "multiple bandwidth") || has(t, "message rate") ||
      has(t, "gatherv") || has(t, "alltoallv") || has(t, "alltoallw") || has(t, "scatterv")) {
    return std::nullopt;
  }
  return collectiveOfOsuTitle(t);
}

std::string columnKind(const std::string& label) {
  const std::string l = lower(label);
  if (has(l, "validation")) return "validation";
  if (has(l, "min lat")) return "min";
  if (has(l, "max lat")) return "max";
  if (has(l, "tail lat")) return "other";
  if (has(l, "latency")) return "avg";
  if (has(l, "iterations")) return "iterations";
  if (has(l, "messages/s")) return "other";
  if (has(l, "mb/s")) return "bw";
  return "other";
}

/// "Size      Avg Latency(us)   Min Latency(us) ...": labels are separated by 2+ spaces.
std::vector<std::string> osuColumns(std::string_view header) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < header.size()) {
    std::size_t end = header.find("  ", i);
    if (end == std::string_view::npos) end = header.size();
    const std::string_view label = trim(header.substr(i, end - i));
    if (!label.empty()) out.push_back(out.empty() ? "size" : columnKind(std::string(label)));
    i = end + 2;
  }
  return out;
}

DType osuDType(const std::string& datatype) {
  if (datatype == "MPI_INT") return DType::kInt32;
  if (datatype == "MPI_FLOAT") return DType::kFloat;
  if (datatype == "MPI_DOUBLE") return DType::kDouble;
  if (datatype == "MPI_LONG" || datatype == "MPI_LONG_LONG") return DType::kInt64;
  if (datatype == "MPI_BYTE" || datatype == "MPI_UNSIGNED_CHAR") return DType::kUint8;
  return DType::kInt8;  // MPI_CHAR, OSU's default
}

class OsuParser {
 public:
  OsuParser(const SourceText& source, const FileFacts& facts) : source_(source), facts_(facts) {}
  void feedStream(const std::vector<SourceLine>& lines);
  std::vector<ParsedRun> finish() const;

 private:
  void feed(const SourceLine& line);
  void row(const SourceLine& line, const std::vector<std::string_view>& ws);
  ParsedRun build(const OsuRun& r) const;
  RunHeader header(const OsuRun& r) const;
  int ranksOf(const OsuRun& r) const;

  const SourceText& source_;
  const FileFacts& facts_;
  std::deque<OsuRun> runs_;
  OsuRun* current_ = nullptr;
};

void OsuParser::feedStream(const std::vector<SourceLine>& lines) {
  current_ = nullptr;
  for (const SourceLine& line : lines) feed(line);
}

void OsuParser::feed(const SourceLine& line) {
  std::string_view text = trim(line.text);
  const bool comment = startsWith(text, "#");
  if (comment) text = trim(text.substr(1));
  if (text.empty() || isNcclLogLine(text)) return;
  if (startsWith(text, "OSU ") && text.find(" Test") != std::string_view::npos) {
    OsuRun& r = runs_.emplace_back();
    current_ = &r;
    r.firstLine = line.number;
    const std::size_t end = text.find(" Test") + 5;
    r.title = std::string(text.substr(0, end));
    const auto rest = words(text.substr(end));
    if (!rest.empty() && startsWith(rest[0], "v")) r.version = std::string(rest[0].substr(1));
    const auto c = osuCollective(r.title);
    if (!c)
      fail(source_.path, line.number,
           "OSU benchmark '" + r.title + "' has no cclbench counterpart");
    r.collective = *c;
    return;
  }
  if (current_ == nullptr) return;
  if (startsWith(text, "Datatype:")) {
    const auto ws = words(text.substr(9));
    if (!ws.empty()) current_->datatype = std::string(trim(ws[0].substr(0, ws[0].find('.'))));
  } else if (startsWith(text, "Send Buffer on ")) {
    current_->buffers = std::string(text);
  } else if (startsWith(text, "Size ")) {
    current_->columns = osuColumns(text);
  } else if (!comment && !current_->columns.empty()) {
    const auto ws = words(text);
    if (ws.size() >= 2 && toUnsigned(ws[0]) &&
        (toNumber(ws[1]) || ws.size() == current_->columns.size())) {
      row(line, ws);
    }
  }
}

void OsuParser::row(const SourceLine& line, const std::vector<std::string_view>& ws) {
  const auto& columns = current_->columns;
  if (ws.size() != columns.size()) {
    fail(source_.path, line.number,
         "OSU row has " + std::to_string(ws.size()) + " fields where the header has " +
             std::to_string(columns.size()));
  }
  OsuRow row;
  row.line = line.number;
  row.size = *toUnsigned(ws[0]);
  for (std::size_t i = 1; i < ws.size(); ++i) {
    if (columns[i] == "validation") {
      row.valid = ws[i] == "Pass" || ws[i] == "pass";
      continue;
    }
    const auto value = toNumber(ws[i]);
    if (!value) fail(source_.path, line.number, "'" + std::string(ws[i]) + "' is not a number");
    // OSU prints times, bandwidths and counts: never negative, never NaN or infinite.
    if (!std::isfinite(*value) || *value < 0) {
      fail(source_.path, line.number,
           "'" + std::string(ws[i]) + "' in column '" + columns[i] +
               "' is not a time, bandwidth or count (negative, NaN or infinite)");
    }
    if (i == 1) row.value = *value;
    if (columns[i] == "max") row.maxLatency = *value;
    if (columns[i] == "iterations") {
      if (*value > 1e15 || *value != std::floor(*value)) {
        fail(source_.path, line.number, "iterations '" + std::string(ws[i]) + "' is not a count");
      }
      row.iterations = static_cast<int64_t>(*value);
    }
  }
  current_->rows.push_back(row);
}

int OsuParser::ranksOf(const OsuRun& r) const {
  if (info(r.collective).pointToPoint) return has(lower(r.title), "multi") ? 0 : 2;
  int ranks = 0;
  for (const auto& [line, command] : facts_.commandLines) {
    if (line >= r.firstLine) break;
    for (std::size_t i = 0; i + 1 < command.size(); ++i) {
      if (command[i] == "-np" || command[i] == "-n" || command[i] == "--ntasks") {
        ranks = static_cast<int>(toInteger(command[i + 1]).value_or(0));
      }
    }
  }
  return ranks;
}

RunHeader OsuParser::header(const OsuRun& r) const {
  RunHeader h;
  h.backend = "mpi";
  h.launcher = source_.launcher.empty() ? facts_.launcherHint : source_.launcher;
  h.ranks = ranksOf(r);
  h.aggregation = info(r.collective).pointToPoint ? Aggregation::kRank0 : Aggregation::kMean;
  h.config = {{"benchmark", r.title}, {"collective", name(r.collective)}, {"datatype", r.datatype}};
  if (!r.buffers.empty()) h.config["buffers"] = r.buffers;
  if (!r.version.empty()) h.libraryVersions["osu"] = "OSU micro-benchmarks " + r.version;
  for (const auto& [line, command] : facts_.commandLines) {
    if (line < r.firstLine) h.commandLine = command;
  }
  return h;
}

CaseRecord osuCase(const OsuRun& r, const OsuRow& row, const RunHeader& h) {
  const Collective c = r.collective;
  const DType dtype = osuDType(r.datatype);
  CaseKey key{c,
              dtype,
              info(c).reduces ? RedOp::kSum : RedOp::kNone,
              info(c).rooted ? 0 : -1,
              Placement::kOutOfPlace,
              row.size,
              row.size / sizeOf(dtype)};
  const double bytes = algorithmBytes(c, row.size);
  const bool bandwidth = c == Collective::kBandwidth || c == Collective::kBiBandwidth;
  Measurement m;
  m.timeUs = bandwidth ? (row.value > 0 ? bytes / row.value : 0) : row.value;
  m.algBandwidthGBps = bandwidth ? row.value / 1000 : (m.timeUs > 0 ? bytes / m.timeUs / 1e3 : 0);
  if (info(c).pointToPoint) {
    m.busBandwidthGBps = m.algBandwidthGBps;
  } else if (h.ranks > 0) {
    m.busBandwidthGBps = m.algBandwidthGBps * busBandwidthFactor(c, h.ranks);
  }
  if (row.valid) m.wrong = *row.valid ? 0 : 1;
  CaseList one(h.ranks, h.aggregation, static_cast<int>(row.iterations.value_or(0)));
  one.add(key, m);
  CaseRecord record = std::move(one.take().front());
  if (row.maxLatency) record.slowestRankMedianUs = *row.maxLatency;  // the slowest rank's average
  return record;
}

ParsedRun OsuParser::build(const OsuRun& r) const {
  ParsedRun out;
  out.firstLine = r.firstLine;
  ImportedRun& run = out.run;
  run.source = "osu";
  run.header = header(r);
  for (const OsuRow& row : r.rows) run.cases.push_back(osuCase(r, row, run.header));
  if (r.collective == Collective::kAllGather || r.collective == Collective::kReduceScatter ||
      r.collective == Collective::kAllToAll) {
    run.notes.push_back(
        "OSU sizes are per-rank: size_bytes is the per-rank message size, while "
        "nccl-tests and cclbench give this collective's size over all ranks");
  }
  if (!info(r.collective).pointToPoint && run.header.ranks == 0) {
    run.notes.push_back("OSU does not print the process count: ranks unknown, busbw left 0");
  }
  finishTrailer(run, false, "");
  if (run.trailer.wrongTotal > 0) {
    run.notes.push_back("OSU validation failed for some sizes (counted as 1 wrong element each)");
  }
  return out;
}

std::vector<ParsedRun> OsuParser::finish() const {
  std::vector<ParsedRun> out;
  for (const OsuRun& r : runs_) out.push_back(build(r));
  return out;
}

}  // namespace

std::vector<ParsedRun> parseOsu(const SourceText& source, const FileFacts& facts) {
  OsuParser parser(source, facts);
  for (const auto& stream : source.streams) parser.feedStream(stream);
  return parser.finish();
}

}  // namespace cclbench::import_detail
