// nccl-tests -J JSON, versions 1 to 3 (and 4's per-result "tuning" object, ignored): one compact
// document per run. The writer's quirks: booleans as "true"/"false" strings, root as a padded
// string ("    -1"), nwrong a double or null (validation off), NaN as "nan", the early v1 keys
// "average_bus_bandwidith"/"bandwidith", and "devices" holding one entry per process (its first
// rank), not per rank. A writer killed mid-run leaves the document unclosed: the complete results
// before the cut are read and the run is marked incomplete.
#include <algorithm>
#include <cmath>
#include <limits>

#include "core/environment.hpp"
#include "store/import_detail.hpp"

namespace cclbench::import_detail {
namespace {

using nlohmann::json;

constexpr int kNewestKnownVersion = 4;

struct JsonReader {
  const std::string& path;

  [[noreturn]] void bad(const std::string& where, const std::string& what) const {
    fail(path, 1, "nccl-tests JSON: " + where + " " + what);
  }
  double number(const json& v, const std::string& where) const {
    if (v.is_number()) return v.get<double>();
    if (v.is_null()) return std::numeric_limits<double>::quiet_NaN();
    if (v.is_string()) {
      const auto value = toNumber(trim(v.get<std::string>()));
      if (value) return *value;
    }
    bad(where, "is not a number");
  }
  int64_t integer(const json& v, const std::string& where) const {
    if (v.is_number_integer()) return v.get<int64_t>();
    if (v.is_number()) return static_cast<int64_t>(std::llround(v.get<double>()));
    if (v.is_string()) {
      if (const auto value = toInteger(v.get<std::string>())) return *value;
    }
    bad(where, "is not a whole number");
  }
  const json& field(const json& object, const char* key, const std::string& where) const {
    const auto it = object.find(key);
    if (it == object.end()) bad(where + "." + key, "is missing");
    return *it;
  }
};

bool flag(const json& v) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_string()) return v.get<std::string>() == "true";
  return v.is_number() && v.get<double>() != 0;
}

std::size_t lineOfByte(const std::string& content, std::size_t byte) {
  const std::size_t end = std::min(byte, content.size());
  return 1 + static_cast<std::size_t>(std::count(content.begin(), content.begin() + end, '\n'));
}

/// The document cut after its last complete result and closed again; nullopt if none parses.
std::optional<json> salvage(const std::string& content) {
  const std::size_t results = content.find("\"results\":[");
  if (results == std::string::npos) return std::nullopt;
  const std::size_t open = results + 11;
  std::size_t end = content.size();
  for (int tries = 0; tries < 64 && end > open; ++tries) {
    const std::size_t brace = content.find_last_of('}', end - 1);
    const std::size_t cut = brace == std::string::npos || brace < open ? open : brace + 1;
    json doc = json::parse(content.substr(0, cut) + "]}", nullptr, false);
    if (!doc.is_discarded()) return doc;
    if (cut == open) return std::nullopt;
    end = brace;
  }
  return std::nullopt;
}

Measurement measurement(const JsonReader& in, const json& o, const std::string& where) {
  Measurement m;
  const auto time = o.find("time") != o.end() ? o.find("time") : o.find("cpu_time");
  if (time == o.end()) in.bad(where + ".time", "is missing");
  m.timeUs = in.number(*time, where + ".time");
  m.algBandwidthGBps = in.number(in.field(o, "alg_bw", where), where + ".alg_bw");
  m.busBandwidthGBps = in.number(in.field(o, "bus_bw", where), where + ".bus_bw");
  const auto wrong = o.find("nwrong");
  if (wrong != o.end() && !wrong->is_null()) {
    const double value = in.number(*wrong, where + ".nwrong");
    if (!(value >= 0)) in.bad(where + ".nwrong", "is not a count");
    m.wrong = static_cast<uint64_t>(std::llround(value));
  }
  return m;
}

std::optional<PerIterationStats> perIteration(const JsonReader& in, const json& result,
                                              const char* key, const std::string& where) {
  const auto it = result.find(key);
  if (it == result.end() || !it->is_object()) return std::nullopt;
  const json& o = *it;
  const std::string at = where + "." + key;
  PerIterationStats s;
  const int64_t skipped = o.contains("skipped_iterations")
                              ? in.integer(o["skipped_iterations"], at + ".skipped_iterations")
                              : 0;
  const auto times = o.find("times_us");
  const std::size_t all = times != o.end() && times->is_array() ? times->size() : 0;
  s.count = all > static_cast<std::size_t>(skipped) ? all - static_cast<std::size_t>(skipped) : 0;
  s.minUs = in.number(in.field(o, "min_us", at), at + ".min_us");
  s.maxUs = in.number(in.field(o, "max_us", at), at + ".max_us");
  s.p50Us = in.number(in.field(o, "p50_us", at), at + ".p50_us");
  s.p99Us = in.number(in.field(o, "p99_us", at), at + ".p99_us");
  return s;
}

void readResult(const JsonReader& in, const json& r, std::size_t index, Collective collective,
                CaseList& cases) {
  const std::string where = "results[" + std::to_string(index) + "]";
  if (!r.is_object()) in.bad(where, "is not an object");
  CaseKey key;
  key.collective = collective;
  key.sizeBytes = static_cast<uint64_t>(in.integer(in.field(r, "size", where), where + ".size"));
  key.count = static_cast<uint64_t>(in.integer(in.field(r, "count", where), where + ".count"));
  const json& type = in.field(r, "type", where);
  const auto dtype = type.is_string() ? parseDType(type.get<std::string>()) : std::nullopt;
  if (!dtype) in.bad(where + ".type", "is not a data type nccl-tests knows");
  key.dtype = *dtype;
  const json& redop = in.field(r, "redop", where);
  const std::string op = redop.is_string() ? redop.get<std::string>() : "";
  const auto parsedOp = op == "none" ? std::optional<RedOp>(RedOp::kNone) : parseRedOp(op);
  if (!parsedOp) in.bad(where + ".redop", "is not a reduction nccl-tests knows");
  key.op = info(collective).reduces ? *parsedOp : RedOp::kNone;  // as cclbench records it
  key.root = static_cast<int>(in.integer(in.field(r, "root", where), where + ".root"));
  for (const auto& [name, placement] : {std::pair{"out_of_place", Placement::kOutOfPlace},
                                        std::pair{"in_place", Placement::kInPlace}}) {
    const auto it = r.find(name);
    if (it == r.end() || it->is_null()) continue;  // trace replay writes "out_of_place":null
    Measurement m = measurement(in, *it, where + "." + name);
    m.perIteration = perIteration(
        in, r, placement == Placement::kOutOfPlace ? "out_of_place_per_iter" : "in_place_per_iter",
        where);
    key.placement = placement;
    cases.add(key, m);
  }
}

/// Ranks and hosts from "devices": one entry per process, holding its first rank.
void readDevices(const JsonReader& in, const json& config, RunHeader& h) {
  const auto devices = config.find("devices");
  if (devices == config.end() || !devices->is_array()) return;
  const int64_t perProcess =
      std::max<int64_t>(1, settingCount(config, "nthreads", 1, in.path, 1)) *
      std::max<int64_t>(1, settingCount(config, "ngpus", 1, in.path, 1));
  for (std::size_t i = 0; i < devices->size(); ++i) {
    const json& d = (*devices)[i];
    const std::string where = "config.devices[" + std::to_string(i) + "]";
    const int64_t first = in.integer(in.field(d, "rank", where), where + ".rank");
    const std::string host = d.value("hostname", "");
    auto entry = std::find_if(h.hosts.begin(), h.hosts.end(),
                              [&](const HostEntry& e) { return e.host == host; });
    if (entry == h.hosts.end()) entry = h.hosts.insert(h.hosts.end(), HostEntry{host, {}, {}});
    for (int64_t r = first; r < first + perProcess; ++r)
      entry->ranks.push_back(static_cast<int>(r));
    h.ranks += static_cast<int>(perProcess);
  }
}

void readHeader(const JsonReader& in, const json& doc, ImportedRun& run) {
  RunHeader& h = run.header;
  h.backend = "nccl";
  h.aggregation = Aggregation::kMean;
  if (const auto args = doc.find("args"); args != doc.end() && args->is_array()) {
    for (const json& a : *args) h.commandLine.push_back(a.is_string() ? a.get<std::string>() : "");
  }
  Environment env;
  for (const json& e : doc.value("env", json::array())) {
    const std::string text = e.is_string() ? e.get<std::string>() : "";
    const std::size_t eq = text.find('=');
    if (eq != std::string::npos) env[text.substr(0, eq)] = text.substr(eq + 1);
  }
  h.environment =
      filterByPrefix(env, {"NCCL_", "UCX_", "OMPI_", "UCC_", "CCLBENCH_", "CUDA_VISIBLE"});
  if (const auto v = doc.find("nccl_version"); v != doc.end()) {
    const int64_t code = in.integer(*v, "nccl_version");
    h.libraryVersions["nccl"] = "NCCL " + std::to_string(code / 10000) + "." +
                                std::to_string(code / 100 % 100) + "." + std::to_string(code % 100);
  }
  h.startUtc = doc.value("start_time", "");
  run.trailer.endUtc = doc.value("end_time", "");
  if (!h.startUtc.empty()) run.notes.push_back("start and end times are the writer's local time");
  h.config = json::object();
  if (const auto config = doc.find("config"); config != doc.end() && config->is_object()) {
    for (const auto& [key, value] : config->items()) {
      if (key == "devices") continue;
      const bool text = value.is_string();
      h.config[key] = text && (value == "true" || value == "false") ? json(flag(value)) : value;
    }
    readDevices(in, *config, h);
  }
}

std::optional<Collective> collectiveOf(const std::string& path, ImportedRun& run) {
  const auto& args = run.header.commandLine;
  if (!args.empty()) {
    if (const auto c = collectiveOfBinary(args[0], path, 1)) {
      run.header.config["binary"] = args[0];
      return c;
    }
  }
  if (const auto c = collectiveFromFileName(path)) {
    run.notes.push_back(std::string("args[0] names no nccl-tests binary: collective '") + name(*c) +
                        "' taken from the file name");
    return c;
  }
  return std::nullopt;
}

void readSummary(const JsonReader& in, const json& doc, ImportedRun& run, std::string& failure) {
  if (const auto oob = doc.find("out_of_bounds"); oob != doc.end() && oob->is_object()) {
    run.reportedOutOfBounds = static_cast<uint64_t>(
        in.integer(in.field(*oob, "count", "out_of_bounds"), "out_of_bounds.count"));
    if (oob->contains("okay") && !flag((*oob)["okay"])) failure = "out of bounds values";
  }
  auto avg = doc.find("average_bus_bandwidth");
  if (avg == doc.end()) avg = doc.find("average_bus_bandwidith");  // v1 before v2.17.9
  if (avg != doc.end() && avg->is_object()) {
    auto bw = avg->find("bandwidth");
    if (bw == avg->end()) bw = avg->find("bandwidith");
    if (bw != avg->end()) run.reportedAvgBusBandwidthGBps = in.number(*bw, "average_bus_bandwidth");
    const auto okay = avg->find("okay");
    const bool low = okay != avg->end() && ((okay->is_boolean() && !okay->get<bool>()) ||
                                            (okay->is_string() && *okay == "false"));
    if (low && failure.empty()) {
      failure = "average bus bandwidth is under the floor (NCCL_TESTS_MIN_BW)";
    }
  }
  run.incomplete = !run.reportedAvgBusBandwidthGBps;
  for (const json& e : doc.value("errors", json::array())) {
    if (e.is_string() && !e.get<std::string>().empty()) {
      run.notes.push_back("nccl-tests reported: " + e.get<std::string>());
    }
  }
}

json parseDocument(const std::string& path, const std::string& content, ImportedRun& run) {
  try {
    return json::parse(content);
  } catch (const json::parse_error& e) {
    const bool cutShort = e.byte >= trim(content).size();
    if (auto doc = cutShort ? salvage(content) : std::nullopt) {
      run.notes.push_back(
          "the JSON ends early (the writer stopped mid-file): results up to the "
          "cut are read");
      return std::move(*doc);
    }
    std::string what = e.what();
    if (const std::size_t at = what.find("] "); at != std::string::npos) what = what.substr(at + 2);
    fail(path, lineOfByte(content, e.byte), "not valid JSON: " + what);
  } catch (const json::exception& e) {
    // A number too large for any type (out_of_range 406), and nlohmann's other refusals.
    std::string what = e.what();
    if (const std::size_t at = what.find("] "); at != std::string::npos) what = what.substr(at + 2);
    fail(path, 1, "not valid JSON: " + what);
  }
}

/// Reads a parsed document into `run`; nlohmann's type errors escape to the caller.
void readDocument(const std::string& path, const json& doc, ImportedRun& run) {
  const JsonReader in{path};
  if (!doc.is_object() || !doc.contains("results") || !doc["results"].is_array()) {
    fail(path, 1,
         "JSON that is neither nccl-tests -J output (no 'results' list) nor cclbench "
         "JSON Lines");
  }
  const int64_t version = doc.contains("version") ? in.integer(doc["version"], "version") : 0;
  if (version < 1 || version > kNewestKnownVersion) {
    run.notes.push_back("nccl-tests JSON version " + std::to_string(version) +
                        " is not one this reader knows (1 to 4): read as the newest");
  }
  readHeader(in, doc, run);
  const auto collective = collectiveOf(path, run);
  const json& results = doc["results"];
  if (!collective && !results.empty()) {
    fail(path, 1,
         "cannot tell which collective this nccl-tests JSON measured: args[0] names no "
         "*_perf binary and the file name names no collective");
  }
  if (collective) run.header.config["collective"] = name(*collective);
  const int64_t iterations =
      int64_t{settingCount(run.header.config, "iterations", 0, path, 1)} *
      std::max(1, settingCount(run.header.config, "aggregated_iterations", 1, path, 1));
  if (iterations > std::numeric_limits<int>::max()) {
    fail(path, 1, "iterations x aggregated iterations is out of range");
  }
  CaseList cases(run.header.ranks, Aggregation::kMean, static_cast<int>(iterations));
  for (std::size_t i = 0; i < results.size(); ++i) {
    readResult(in, results[i], i, *collective, cases);
  }
  for (std::string& note : cases.notes()) run.notes.push_back(std::move(note));
  run.cases = cases.take();
  std::string failure;
  readSummary(in, doc, run, failure);
  if (run.incomplete) {
    run.notes.push_back("no summary (average_bus_bandwidth): the run did not finish");
  }
  finishTrailer(run, !failure.empty(), failure);
}

}  // namespace

std::vector<ParsedRun> parseNcclTestsJson(const std::string& path, const std::string& content) {
  ParsedRun out;
  out.firstLine = 1;
  out.run.source = "nccl-tests-json";
  const json doc = parseDocument(path, content, out.run);
  try {
    readDocument(path, doc, out.run);
  } catch (const json::exception& e) {
    std::string what = e.what();
    if (const std::size_t at = what.find("] "); at != std::string::npos) what.erase(0, at + 2);
    fail(path, 1, "nccl-tests JSON: " + what);
  }
  std::vector<ParsedRun> runs;
  runs.push_back(std::move(out));
  return runs;
}

}  // namespace cclbench::import_detail
