#pragma once
/// Tests only: runs of records with every field set to seeded random values (odd text, exact
/// doubles of any magnitude, unknown extra keys), for the round-trip properties of the record,
/// the importer, the store and `export`.

#include <random>
#include <string>
#include <vector>

#include "core/record.hpp"

namespace cclbench::testgen {

/// One run as a writer produces it: header, cases, end record.
struct GeneratedRun {
  RunHeader header;
  std::vector<CaseRecord> cases;
  Trailer trailer;

  /// The run as JSON Lines records, one JSON value per line.
  std::vector<nlohmann::json> lines() const {
    std::vector<nlohmann::json> out{toJson(header)};
    for (const CaseRecord& c : cases) out.push_back(toJson(c, header.runId));
    out.push_back(toJson(trailer));
    return out;
  }
  std::string jsonl() const {
    std::string text;
    for (const auto& j : lines()) text += j.dump() + "\n";
    return text;
  }
};

class RecordGenerator {
 public:
  explicit RecordGenerator(uint64_t seed) : rng_(seed) {}

  std::string text(std::size_t maxLength = 12) {
    static const std::vector<std::string> pieces = {
        "a", "Z", "0", " ", "-", "_", "\"", "\\", "/", "\t", "\xC3\xA9", "\xE2\x82\xAC", "=", ",",
        "{", "}", "\xF0\x9F\x9A\x80", "%s", "\n"};
    std::string out;
    const std::size_t n = pick(1, maxLength);
    for (std::size_t i = 0; i < n; ++i) out += pieces[pick(0, pieces.size() - 1)];
    return out;
  }

  /// Doubles from tiny to huge, with full 53-bit mantissas.
  double positive() {
    std::uniform_real_distribution<double> mantissa(1.0, 2.0);
    return std::ldexp(mantissa(rng_), static_cast<int>(pick(0, 80)) - 40);
  }

  std::size_t pick(std::size_t low, std::size_t high) {
    return std::uniform_int_distribution<std::size_t>(low, high)(rng_);
  }

  nlohmann::json object(int depth = 0) {
    nlohmann::json j = nlohmann::json::object();
    const std::size_t n = pick(1, 4);
    for (std::size_t i = 0; i < n; ++i) {
      const std::string key = text(6);
      switch (pick(0, depth < 2 ? 5 : 3)) {
        case 0: j[key] = text(); break;
        case 1: j[key] = positive(); break;
        case 2: j[key] = static_cast<int64_t>(pick(0, 1u << 30)) - (1 << 29); break;
        case 3: j[key] = pick(0, 1) == 1; break;
        case 4: j[key] = object(depth + 1); break;
        default: j[key] = nlohmann::json::array({text(), positive(), object(depth + 1)}); break;
      }
    }
    return j;
  }

  std::map<std::string, std::string> textMap() {
    std::map<std::string, std::string> m;
    const std::size_t n = pick(1, 5);
    for (std::size_t i = 0; i < n; ++i) m[text(8)] = text(20);
    return m;
  }

  std::vector<double> doubles(std::size_t low, std::size_t high) {
    std::vector<double> v(pick(low, high));
    for (double& d : v) d = positive();
    return v;
  }

  GeneratedRun run() {
    GeneratedRun r;
    RunHeader& h = r.header;
    h.runId = "20261130T090000Z-" + std::to_string(pick(0, 0xffffff));
    h.toolVersion = text();
    h.gitRevision = text();
    h.startUtc = "2026-11-30T09:00:0" + std::to_string(pick(0, 9)) + "Z";
    h.commandLine = {"cclbench", "run", text(), text()};
    h.launcher = text();
    h.launcherInterface = text();
    h.ranks = static_cast<int>(pick(1, 4096));
    for (std::size_t i = 0, n = pick(1, 3); i < n; ++i) {
      h.hosts.push_back(HostEntry{text(), {static_cast<int>(i), static_cast<int>(i + n)},
                                  {text(4), text(4)}});
    }
    h.backend = text();
    h.libraryVersions = textMap();
    h.environment = textMap();
    h.config = object();
    h.aggregation = static_cast<Aggregation>(pick(0, 3));
    h.fingerprint = text(16);
    h.topology = object();
    h.topology["fingerprint"] = h.fingerprint;
    h.transport = object();
    h.mpiThreadRequested = text();
    h.mpiThreadProvided = text();
    h.oversubscription = object();
    h.tags = {text(), text()};
    h.labels = textMap();
    h.extra = {{"x_future_field", object()}};
    const std::vector<Collective> collectives = allCollectives();
    for (std::size_t i = 0, n = pick(1, 6); i < n; ++i) r.cases.push_back(caseRecord(h, collectives));
    Trailer& t = r.trailer;
    t.runId = h.runId;
    t.status = text();
    t.exitCode = static_cast<int>(pick(0, 255));
    t.message = text(40);
    t.cases = r.cases.size();
    t.wrongTotal = pick(0, 1u << 30);
    t.endUtc = text();
    t.wallSeconds = positive();
    t.extra = {{"x_end_note", text()}};
    return r;
  }

 private:
  CaseRecord caseRecord(const RunHeader& h, const std::vector<Collective>& collectives) {
    CaseRecord c;
    c.collective = collectives[pick(0, collectives.size() - 1)];
    c.dtype = static_cast<DType>(pick(0, static_cast<std::size_t>(DType::kFp8E5M2)));
    c.op = static_cast<RedOp>(pick(0, static_cast<std::size_t>(RedOp::kPreMulSum)));
    c.root = static_cast<int>(pick(0, 64)) - 1;
    c.placement = pick(0, 1) ? Placement::kInPlace : Placement::kOutOfPlace;
    c.sizeBytes = (uint64_t{1} << pick(0, 62)) + pick(0, 1000);
    c.count = pick(0, uint64_t{1} << 40);
    c.ranks = h.ranks;
    c.aggregation = h.aggregation;
    c.iterationsPerBatch = static_cast<int>(pick(1, 1 << 20));
    c.samplesUs = doubles(1, 40);
    c.timeUs = {c.samplesUs.size(), positive(), positive(), positive(), positive(), positive(),
                positive(), {positive(), positive(), positive()}};
    c.algBandwidthGBps = positive();
    c.busBandwidthGBps = positive();
    c.checked = pick(0, 1) == 1;
    c.wrong = pick(0, uint64_t{1} << 50);
    c.slowestRank = static_cast<int>(pick(0, 4095));
    c.slowestRankMedianUs = positive();
    c.stopReason = text();
    c.perIteration = PerIterationStats{pick(1, 1000), positive(), positive(), positive(), positive()};
    c.calibration = CalibrationInfo{positive(), static_cast<int>(pick(1, 20))};
    for (std::size_t i = 0, n = pick(1, 4); i < n; ++i) c.perRankSamplesUs.push_back(doubles(0, 5));
    c.ncclAlgorithm = text();
    c.ncclProtocol = text();
    c.ncclChannels = static_cast<int>(pick(0, 64));
    c.candidate = textMap();
    c.extra = {{"x_case_extra", object()}};
    return c;
  }

  std::mt19937_64 rng_;
};

}  // namespace cclbench::testgen
