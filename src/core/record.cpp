#include "core/json_text.hpp"
#include "core/record.hpp"

#include <chrono>
#include <cmath>
#include <ctime>
#include <limits>
#include <set>

#include "core/error.hpp"

namespace cclbench {
namespace {

using nlohmann::json;

json envelope(const char* type) {
  return {{"schema", kRecordSchemaName}, {"schema_version", kRecordSchemaVersion}, {"type", type}};
}

/// Reads the fields of one JSON object with type and range checks, remembering which keys it
/// consumed so the rest can be kept as `extra`. Errors name the record and the field.
class FieldReader {
 public:
  FieldReader(const json& j, std::string what) : j_(j), what_(std::move(what)) {
    if (!j.is_object()) fail("", "is not a JSON object");
    for (const char* key : {"schema", "schema_version", "type", "run_id"}) used_.insert(key);
  }

  /// The field's value, or null when it is absent (`required` throws instead).
  const json* find(const char* key, bool required) {
    used_.insert(key);
    const auto it = j_.find(key);
    if (it != j_.end()) return &*it;
    if (required) fail(key, "is missing");
    return nullptr;
  }

  std::string text(const char* key, bool required = false, std::string fallback = "") {
    const json* v = find(key, required);
    if (!v) return fallback;
    if (!v->is_string()) fail(key, "must be text");
    return v->get<std::string>();
  }

  int64_t integer(const char* key, bool required = false, int64_t fallback = 0,
                  int64_t low = std::numeric_limits<int>::min(),
                  int64_t high = std::numeric_limits<int>::max()) {
    const json* v = find(key, required);
    if (!v) return fallback;
    return integerValue(*v, key, low, high);
  }

  uint64_t count(const char* key, bool required = false, uint64_t fallback = 0) {
    const json* v = find(key, required);
    if (!v) return fallback;
    if (!v->is_number_unsigned() && !(v->is_number_integer() && v->get<int64_t>() >= 0)) {
      fail(key, "must be a whole number of 0 or more, got " + v->dump());
    }
    return v->get<uint64_t>();
  }

  double number(const char* key, bool required = false, double fallback = 0,
                bool nonNegative = false) {
    const json* v = find(key, required);
    if (!v) return fallback;
    return numberValue(*v, key, nonNegative);
  }

  bool flag(const char* key, bool required = false, bool fallback = false) {
    const json* v = find(key, required);
    if (!v) return fallback;
    if (!v->is_boolean()) fail(key, "must be true or false");
    return v->get<bool>();
  }

  std::vector<double> numbers(const char* key, bool required = false, bool nonNegative = false) {
    const json* v = find(key, required);
    std::vector<double> out;
    if (!v) return out;
    if (!v->is_array()) fail(key, "must be a list of numbers");
    out.reserve(v->size());
    for (const json& e : *v) out.push_back(numberValue(e, key, nonNegative));
    return out;
  }

  std::vector<std::string> texts(const char* key) {
    const json* v = find(key, false);
    std::vector<std::string> out;
    if (!v) return out;
    if (!v->is_array()) fail(key, "must be a list of text");
    for (const json& e : *v) {
      if (!e.is_string()) fail(key, "must be a list of text");
      out.push_back(e.get<std::string>());
    }
    return out;
  }

  std::map<std::string, std::string> textMap(const char* key) {
    const json* v = find(key, false);
    std::map<std::string, std::string> out;
    if (!v) return out;
    if (!v->is_object()) fail(key, "must be an object of text values");
    for (const auto& [k, e] : v->items()) {
      if (!e.is_string()) fail(key, "must be an object of text values ('" + k + "' is not)");
      out[k] = e.get<std::string>();
    }
    return out;
  }

  /// An object-valued field read with its own reader ("time_us.median" in errors).
  std::optional<FieldReader> object(const char* key, bool required = false) {
    const json* v = find(key, required);
    if (!v || v->is_null()) return std::nullopt;
    if (!v->is_object()) fail(key, "must be an object");
    return FieldReader(*v, what_ + " field '" + key + "'", true);
  }

  /// Any JSON value kept as it is (null when absent).
  json raw(const char* key) {
    const json* v = find(key, false);
    return v ? *v : json();
  }

  json leftovers() const {
    json out = json::object();
    for (const auto& [k, v] : j_.items()) {
      if (!used_.count(k)) out[k] = v;
    }
    return out;
  }

  int64_t integerValue(const json& v, const char* key, int64_t low, int64_t high) const {
    if (!v.is_number_integer() && !v.is_number_unsigned()) {
      fail(key, "must be a whole number, got " + jsonText(v));
    }
    if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(high)) {
      fail(key, "is out of range: " + jsonText(v));
    }
    const int64_t value = v.get<int64_t>();
    if (value < low || value > high) fail(key, "is out of range: " + jsonText(v));
    return value;
  }

  double numberValue(const json& v, const char* key, bool nonNegative) const {
    if (!v.is_number()) fail(key, "must be a number, got " + jsonText(v));
    const double value = v.get<double>();
    if (!std::isfinite(value)) fail(key, "must be a finite number, got " + jsonText(v));
    if (nonNegative && value < 0) fail(key, "must not be negative, got " + jsonText(v));
    return value;
  }

  [[noreturn]] void fail(const std::string& key, const std::string& problem) const {
    throw usageError(what_ + (key.empty() ? "" : " field '" + key + "'") + " " + problem);
  }

 private:
  FieldReader(const json& j, std::string what, bool) : j_(j), what_(std::move(what)) {}
  const json& j_;
  std::string what_;
  std::set<std::string> used_;
};

template <typename T, typename Parse>
T named(FieldReader& in, const char* key, Parse parse, const char* kind) {
  const std::string text = in.text(key, true);
  const auto value = parse(text);
  if (!value) in.fail(key, std::string("names an unknown ") + kind + " '" + text + "'");
  return *value;
}

void putExtra(json& j, const json& extra) {
  for (const auto& [k, v] : extra.items()) {
    if (!j.contains(k)) j[k] = v;
  }
}

}  // namespace

std::string utcNow() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

std::string recordType(const json& j) {
  if (!j.is_object()) return {};
  const auto it = j.find("type");
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

json toJson(const HostEntry& e) { return {{"host", e.host}, {"ranks", e.ranks}, {"cpus", e.cpus}}; }

HostEntry hostEntryFromJson(const json& j) {
  FieldReader in(j, "hosts entry");
  HostEntry e;
  e.host = in.text("host", true);
  if (const json* ranks = in.find("ranks", false)) {
    if (!ranks->is_array()) in.fail("ranks", "must be a list of ranks");
    for (const json& r : *ranks) {
      e.ranks.push_back(static_cast<int>(in.integerValue(r, "ranks", 0, INT32_MAX)));
    }
  }
  e.cpus = in.texts("cpus");
  return e;
}

json toJson(const RunHeader& h) {
  json j = envelope("run");
  j["run_id"] = h.runId;
  j["tool"] = {{"name", "cclbench"}, {"version", h.toolVersion}, {"git_revision", h.gitRevision}};
  j["start_utc"] = h.startUtc;
  j["command_line"] = h.commandLine;
  j["launcher"] = h.launcher;
  if (!h.launcherInterface.empty()) j["launcher_interface"] = h.launcherInterface;
  j["ranks"] = h.ranks;
  auto& hosts = j["hosts"] = json::array();
  for (const HostEntry& e : h.hosts) hosts.push_back(toJson(e));
  j["backend"] = {{"name", h.backend}, {"libraries", h.libraryVersions}};
  j["environment"] = h.environment;
  j["config"] = h.config;
  j["aggregation"] = name(h.aggregation);
  if (!h.topology.is_null()) j["topology"] = h.topology;
  if (!h.transport.is_null()) j["transport"] = h.transport;
  if (!h.mpiThreadRequested.empty() || !h.mpiThreadProvided.empty()) {
    j["mpi_thread"] = {{"requested", h.mpiThreadRequested}, {"provided", h.mpiThreadProvided}};
  }
  if (!h.oversubscription.is_null()) j["oversubscription"] = h.oversubscription;
  if (!h.tags.empty()) j["tags"] = h.tags;
  if (!h.labels.empty()) j["labels"] = h.labels;
  putExtra(j, h.extra);
  return j;
}

RunHeader runHeaderFromJson(const json& j) {
  FieldReader in(j, "run record");
  RunHeader h;
  if (const auto it = j.find("run_id"); it != j.end()) {
    if (!it->is_string()) in.fail("run_id", "must be text");
    h.runId = it->get<std::string>();
  }
  if (auto tool = in.object("tool")) {
    tool->text("name");
    h.toolVersion = tool->text("version");
    h.gitRevision = tool->text("git_revision");
  }
  h.startUtc = in.text("start_utc");
  h.commandLine = in.texts("command_line");
  h.launcher = in.text("launcher");
  h.launcherInterface = in.text("launcher_interface");
  h.ranks = static_cast<int>(in.integer("ranks", false, 0, 0));
  if (const json* hosts = in.find("hosts", false)) {
    if (!hosts->is_array()) in.fail("hosts", "must be a list");
    for (const json& e : *hosts) h.hosts.push_back(hostEntryFromJson(e));
  }
  if (auto backend = in.object("backend")) {
    h.backend = backend->text("name");
    h.libraryVersions = backend->textMap("libraries");
  }
  h.environment = in.textMap("environment");
  if (in.find("config", false)) h.config = in.raw("config");
  h.aggregation = in.find("aggregation", false)
                      ? named<Aggregation>(in, "aggregation", parseAggregation, "aggregation")
                      : Aggregation::kMax;
  h.topology = in.raw("topology");
  if (h.topology.is_object()) {
    const auto fingerprint = h.topology.find("fingerprint");
    if (fingerprint != h.topology.end() && fingerprint->is_string()) h.fingerprint = *fingerprint;
  }
  h.transport = in.raw("transport");
  if (auto thread = in.object("mpi_thread")) {
    h.mpiThreadRequested = thread->text("requested");
    h.mpiThreadProvided = thread->text("provided");
  }
  h.oversubscription = in.raw("oversubscription");
  h.tags = in.texts("tags");
  h.labels = in.textMap("labels");
  h.extra = in.leftovers();
  return h;
}

json toJson(const CaseRecord& r, const std::string& runId) {
  json j = envelope("case");
  j["run_id"] = runId;
  j["collective"] = name(r.collective);
  j["dtype"] = name(r.dtype);
  j["redop"] = name(r.op);
  j["root"] = r.root;
  j["placement"] = name(r.placement);
  j["size_bytes"] = r.sizeBytes;
  j["count"] = r.count;
  j["ranks"] = r.ranks;
  j["aggregation"] = name(r.aggregation);
  j["iterations_per_batch"] = r.iterationsPerBatch;
  j["batches"] = r.samplesUs.size();
  j["time_us"] = {{"median", r.timeUs.median},
                  {"min", r.timeUs.min},
                  {"max", r.timeUs.max},
                  {"mean", r.timeUs.mean},
                  {"stddev", r.timeUs.stddev},
                  {"ci_low", r.timeUs.medianCi.low},
                  {"ci_high", r.timeUs.medianCi.high},
                  {"ci_coverage", r.timeUs.medianCi.coverage},
                  {"cv", r.timeUs.cv}};
  j["algbw_gbps"] = r.algBandwidthGBps;
  j["busbw_gbps"] = r.busBandwidthGBps;
  j["checked"] = r.checked;
  j["wrong"] = r.wrong;
  j["slowest_rank"] = r.slowestRank;
  j["slowest_rank_median_us"] = r.slowestRankMedianUs;
  j["stop_reason"] = r.stopReason;
  j["samples_us"] = r.samplesUs;
  if (r.perIteration) {
    j["per_iteration"] = {{"count", r.perIteration->count}, {"p50_us", r.perIteration->p50Us},
                          {"p99_us", r.perIteration->p99Us}, {"min_us", r.perIteration->minUs},
                          {"max_us", r.perIteration->maxUs}};
  }
  if (r.calibration) {
    j["calibration"] = {{"batch_seconds", r.calibration->batchSeconds},
                        {"probes", r.calibration->probes}};
  }
  if (!r.perRankSamplesUs.empty()) j["per_rank_samples_us"] = r.perRankSamplesUs;
  if (r.pairRound >= 0) {
    j["pair_round"] = r.pairRound;
    json pairs = json::array();
    for (const auto& [a, b] : r.pairs) pairs.push_back({a, b});
    j["pairs"] = pairs;
  }
  if (!r.ncclAlgorithm.empty()) {
    j["nccl_choice"] = {{"algorithm", r.ncclAlgorithm}, {"protocol", r.ncclProtocol},
                        {"channels", r.ncclChannels}};
  }
  if (!r.candidate.empty()) j["candidate"] = r.candidate;
  if (r.candidateHonoured) j["candidate_honoured"] = *r.candidateHonoured;
  putExtra(j, r.extra);
  return j;
}

CaseRecord caseRecordFromJson(const json& j) {
  if (recordType(j) != "case") throw usageError("not a case record");
  FieldReader in(j, "case record");
  CaseRecord r;
  r.collective = named<Collective>(in, "collective", parseCollective, "collective");
  r.dtype = named<DType>(in, "dtype", parseDType, "data type");
  r.op = named<RedOp>(
      in, "redop",
      [](const std::string& s) {
        return s == "none" ? std::optional<RedOp>(RedOp::kNone) : parseRedOp(s);
      },
      "reduction op");
  r.root = static_cast<int>(in.integer("root", true, 0, -1));
  r.placement = named<Placement>(in, "placement", parsePlacement, "placement");
  r.sizeBytes = in.count("size_bytes", true);
  r.count = in.count("count", true);
  r.ranks = static_cast<int>(in.integer("ranks", true, 0, 1));
  r.aggregation = named<Aggregation>(in, "aggregation", parseAggregation, "aggregation");
  r.iterationsPerBatch = static_cast<int>(in.integer("iterations_per_batch", true, 0, 0));
  r.samplesUs = in.numbers("samples_us", true, true);
  const uint64_t batches = in.count("batches", false, r.samplesUs.size());
  if (batches != r.samplesUs.size()) {
    in.fail("batches", "says " + std::to_string(batches) + " but samples_us holds " +
                           std::to_string(r.samplesUs.size()));
  }
  if (auto t = in.object("time_us")) {
    r.timeUs.count = r.samplesUs.size();
    r.timeUs.median = t->number("median", true, 0, true);
    r.timeUs.min = t->number("min", true, 0, true);
    r.timeUs.max = t->number("max", true, 0, true);
    r.timeUs.mean = t->number("mean", false, 0, true);
    r.timeUs.stddev = t->number("stddev", false, 0, true);
    r.timeUs.medianCi.low = t->number("ci_low", false, r.timeUs.min, true);
    r.timeUs.medianCi.high = t->number("ci_high", false, r.timeUs.max, true);
    r.timeUs.medianCi.coverage = t->number("ci_coverage", false, 0, true);
    r.timeUs.cv = t->number("cv", false, 0, true);
  } else {
    r.timeUs = stats::summarize(r.samplesUs);
  }
  r.algBandwidthGBps = in.number("algbw_gbps", true, 0, true);
  r.busBandwidthGBps = in.number("busbw_gbps", true, 0, true);
  r.checked = in.flag("checked", true);
  r.wrong = in.count("wrong", true);
  r.slowestRank = static_cast<int>(in.integer("slowest_rank", true, 0, -1));
  r.slowestRankMedianUs = in.number("slowest_rank_median_us", true, 0);
  r.stopReason = in.text("stop_reason", true);
  if (auto p = in.object("per_iteration")) {
    r.perIteration = PerIterationStats{p->count("count", true), p->number("p50_us", true, 0, true),
                                       p->number("p99_us", true, 0, true),
                                       p->number("min_us", true, 0, true),
                                       p->number("max_us", true, 0, true)};
  }
  if (auto c = in.object("calibration")) {
    r.calibration = CalibrationInfo{c->number("batch_seconds", true, 0, true),
                                    static_cast<int>(c->integer("probes", false, 0, 0))};
  }
  if (const json* ranks = in.find("per_rank_samples_us", false)) {
    if (!ranks->is_array()) in.fail("per_rank_samples_us", "must be a list of lists");
    for (const json& rank : *ranks) {
      if (!rank.is_array()) in.fail("per_rank_samples_us", "must be a list of lists");
      auto& out = r.perRankSamplesUs.emplace_back();
      for (const json& v : rank) out.push_back(in.numberValue(v, "per_rank_samples_us", true));
    }
  }
  if (auto choice = in.object("nccl_choice")) {
    r.ncclAlgorithm = choice->text("algorithm");
    r.ncclProtocol = choice->text("protocol");
    r.ncclChannels = static_cast<int>(choice->integer("channels", false, 0, 0));
  }
  r.pairRound = static_cast<int>(in.integer("pair_round", false, -1, -1));
  if (const json* pairs = in.find("pairs", false)) {
    if (!pairs->is_array()) in.fail("pairs", "must be a list of [rank, rank] pairs");
    for (const json& p : *pairs) {
      if (!p.is_array() || p.size() != 2) in.fail("pairs", "must be a list of [rank, rank] pairs");
      r.pairs.emplace_back(static_cast<int>(in.integerValue(p[0], "pairs", 0, 1 << 30)),
                           static_cast<int>(in.integerValue(p[1], "pairs", 0, 1 << 30)));
    }
  }
  r.candidate = in.textMap("candidate");
  if (j.contains("candidate_honoured")) r.candidateHonoured = in.flag("candidate_honoured");
  r.extra = in.leftovers();
  return r;
}

json toJson(const Trailer& t) {
  json j = envelope("end");
  j["run_id"] = t.runId;
  j["status"] = t.status;
  j["exit_code"] = t.exitCode;
  j["message"] = t.message;
  j["cases"] = t.cases;
  j["wrong_total"] = t.wrongTotal;
  j["end_utc"] = t.endUtc;
  j["wall_seconds"] = t.wallSeconds;
  putExtra(j, t.extra);
  return j;
}

Trailer trailerFromJson(const json& j) {
  FieldReader in(j, "end record");
  Trailer t;
  if (const auto it = j.find("run_id"); it != j.end() && it->is_string()) t.runId = *it;
  t.status = in.text("status");
  t.exitCode = static_cast<int>(in.integer("exit_code", false, 0, 0, 255));
  t.message = in.text("message");
  t.cases = in.count("cases");
  t.wrongTotal = in.count("wrong_total");
  t.endUtc = in.text("end_utc");
  t.wallSeconds = in.number("wall_seconds", false, 0, true);
  t.extra = in.leftovers();
  return t;
}

}  // namespace cclbench
