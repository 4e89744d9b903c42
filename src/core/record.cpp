#include "core/record.hpp"

#include <chrono>
#include <ctime>

#include "core/error.hpp"

namespace cclbench {
namespace {

nlohmann::json envelope(const char* type) {
  return {{"schema", kRecordSchemaName}, {"schema_version", kRecordSchemaVersion}, {"type", type}};
}

template <typename T, typename Parse>
T parsedField(const nlohmann::json& j, const char* key, Parse parse) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_string()) {
    throw usageError(std::string("case record: missing or non-text field '") + key + "'");
  }
  const auto value = parse(it->template get<std::string>());
  if (!value) {
    throw usageError(std::string("case record: unknown ") + key + " '" +
                     it->template get<std::string>() + "'");
  }
  return *value;
}

template <typename T>
T field(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end()) throw usageError(std::string("case record: missing field '") + key + "'");
  try {
    return it->template get<T>();
  } catch (const nlohmann::json::exception&) {
    throw usageError(std::string("case record: field '") + key + "' has the wrong type");
  }
}

std::optional<Aggregation> parseAggregation(const std::string& text) {
  for (Aggregation a : {Aggregation::kRank0, Aggregation::kMean, Aggregation::kMin,
                        Aggregation::kMax}) {
    if (text == name(a)) return a;
  }
  return std::nullopt;
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

std::string recordType(const nlohmann::json& j) {
  const auto it = j.find("type");
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

nlohmann::json toJson(const RunHeader& h) {
  nlohmann::json j = envelope("run");
  j["run_id"] = h.runId;
  j["tool"] = {{"name", "cclbench"}, {"version", h.toolVersion}, {"git_revision", h.gitRevision}};
  j["start_utc"] = h.startUtc;
  j["command_line"] = h.commandLine;
  j["launcher"] = h.launcher;
  j["ranks"] = h.ranks;
  auto& hosts = j["hosts"] = nlohmann::json::array();
  for (const HostEntry& e : h.hosts) {
    hosts.push_back({{"host", e.host}, {"ranks", e.ranks}, {"cpus", e.cpus}});
  }
  j["backend"] = {{"name", h.backend}, {"libraries", h.libraryVersions}};
  j["environment"] = h.environment;
  j["config"] = h.config;
  j["aggregation"] = name(h.aggregation);
  if (!h.topology.is_null()) j["topology"] = h.topology;
  if (!h.transport.is_null()) j["transport"] = h.transport;
  return j;
}

nlohmann::json toJson(const CaseRecord& r, const std::string& runId) {
  nlohmann::json j = envelope("case");
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
  if (!r.perRankSamplesUs.empty()) j["per_rank_samples_us"] = r.perRankSamplesUs;
  if (!r.ncclAlgorithm.empty()) {
    j["nccl_choice"] = {{"algorithm", r.ncclAlgorithm}, {"protocol", r.ncclProtocol},
                        {"channels", r.ncclChannels}};
  }
  return j;
}

nlohmann::json toJson(const Trailer& t) {
  nlohmann::json j = envelope("end");
  j["run_id"] = t.runId;
  j["status"] = t.status;
  j["exit_code"] = t.exitCode;
  j["message"] = t.message;
  j["cases"] = t.cases;
  j["wrong_total"] = t.wrongTotal;
  j["end_utc"] = t.endUtc;
  j["wall_seconds"] = t.wallSeconds;
  return j;
}

CaseRecord caseRecordFromJson(const nlohmann::json& j) {
  if (recordType(j) != "case") throw usageError("not a case record");
  CaseRecord r;
  r.collective = parsedField<Collective>(j, "collective", parseCollective);
  r.dtype = parsedField<DType>(j, "dtype", parseDType);
  r.op = parsedField<RedOp>(j, "redop", [](const std::string& s) -> std::optional<RedOp> {
    return s == "none" ? std::optional<RedOp>(RedOp::kNone) : parseRedOp(s);
  });
  r.root = field<int>(j, "root");
  r.placement = parsedField<Placement>(j, "placement", [](const std::string& s) {
    return s == "in"    ? std::optional<Placement>(Placement::kInPlace)
           : s == "out" ? std::optional<Placement>(Placement::kOutOfPlace)
                        : std::nullopt;
  });
  r.sizeBytes = field<uint64_t>(j, "size_bytes");
  r.count = field<uint64_t>(j, "count");
  r.ranks = field<int>(j, "ranks");
  r.aggregation = parsedField<Aggregation>(j, "aggregation", parseAggregation);
  r.iterationsPerBatch = field<int>(j, "iterations_per_batch");
  r.samplesUs = field<std::vector<double>>(j, "samples_us");
  r.timeUs = stats::summarize(r.samplesUs);
  r.algBandwidthGBps = field<double>(j, "algbw_gbps");
  r.busBandwidthGBps = field<double>(j, "busbw_gbps");
  r.checked = field<bool>(j, "checked");
  r.wrong = field<uint64_t>(j, "wrong");
  r.slowestRank = field<int>(j, "slowest_rank");
  r.slowestRankMedianUs = field<double>(j, "slowest_rank_median_us");
  r.stopReason = field<std::string>(j, "stop_reason");
  if (const auto it = j.find("per_iteration"); it != j.end()) {
    r.perIteration = PerIterationStats{field<std::size_t>(*it, "count"),
                                       field<double>(*it, "p50_us"), field<double>(*it, "p99_us"),
                                       field<double>(*it, "min_us"), field<double>(*it, "max_us")};
  }
  if (const auto it = j.find("per_rank_samples_us"); it != j.end()) {
    r.perRankSamplesUs = it->get<std::vector<std::vector<double>>>();
  }
  if (const auto it = j.find("nccl_choice"); it != j.end() && it->is_object()) {
    r.ncclAlgorithm = it->value("algorithm", "");
    r.ncclProtocol = it->value("protocol", "");
    r.ncclChannels = it->value("channels", 0);
  }
  return r;
}

}  // namespace cclbench
