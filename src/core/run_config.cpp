#include "core/run_config.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace cclbench {

const char* name(Aggregation a) {
  switch (a) {
    case Aggregation::kRank0: return "rank0";
    case Aggregation::kMean: return "mean";
    case Aggregation::kMin: return "min";
    case Aggregation::kMax: return "max";
  }
  return "?";
}

std::optional<Aggregation> parseAggregation(std::string_view text) {
  for (Aggregation a :
       {Aggregation::kRank0, Aggregation::kMean, Aggregation::kMin, Aggregation::kMax}) {
    if (text == name(a)) return a;
  }
  return std::nullopt;
}

const char* name(Placement p) { return p == Placement::kInPlace ? "in" : "out"; }

std::optional<Placement> parsePlacement(std::string_view text) {
  if (text == "out") return Placement::kOutOfPlace;
  if (text == "in") return Placement::kInPlace;
  return std::nullopt;
}

void validate(const RunConfig& c) {
  if (c.collectives.empty()) throw usageError("no collective to run");
  if (c.dtypes.empty()) throw usageError("no data type to run");
  if (c.ops.empty()) throw usageError("no reduction op to run");
  sweepSizes(c.sweep);  // throws on an impossible sweep
  if (!c.outOfPlace && !c.inPlace) throw usageError("nothing to run: neither in- nor out-of-place");
  if (c.warmupIterations < 0) throw usageError("-w/--warmup-iters must be 0 or more");
  if (c.iterationsPerBatch < 0) throw usageError("-n/--iters must be 1 or more (0: automatic)");
  if (c.batches < 0) throw usageError("--samples must be 1 or more (0: automatic)");
  if (c.minBatches < 1 || c.maxBatches < c.minBatches) {
    throw usageError("--min-samples must be at least 1 and at most --max-samples");
  }
  if (!(c.batchSeconds > 0)) throw usageError("--batch-time must be positive");
  if (!(c.sizeBudgetSeconds > 0)) throw usageError("--size-budget must be positive");
  if (!(c.precision > 0)) throw usageError("--precision must be positive");
  if (c.checkIterations < 0) throw usageError("-c/--check must be 0 or more");
  if (c.stopOutpaced >= 0) {
    if (c.candidateSweeps.empty()) {
      throw usageError("--stop-outpaced compares the candidates of one run; it needs --candidates");
    }
    if (c.batches > 0) throw usageError("--stop-outpaced stops adaptive cases early; not with --samples");
  }
  if (!(c.timeoutSeconds >= 0)) throw usageError("-T/--timeout must be 0 (off) or positive");
  if (c.root < 0) throw usageError("-r/--root must be 0 or more");
  if (c.window < 1) throw usageError("--window must be 1 or more");
  if (c.peerA < 0 || c.peerB < 0 || c.peerA == c.peerB) {
    throw usageError("--pair needs two different ranks, e.g. --pair 0,1");
  }
  if (c.perIterationCount < 1) throw usageError("--per-iteration-count must be 1 or more");
  if (c.stream) {
    if (std::find(c.collectives.begin(), c.collectives.end(), Collective::kBandwidth) ==
        c.collectives.end()) {
      throw usageError("--stream is a way of measuring bw; the run has no bw");
    }
    if (c.syncEach) {
      throw usageError("--stream and --sync-each do not mix: a stream is acknowledged once per "
                       "batch, --sync-each times every iteration alone");
    }
    if (c.perIteration) throw usageError("--stream and --per-iteration do not mix (one ack per batch)");
  }
  if (c.allPairs) {
    for (Collective coll : c.collectives) {
      if (!info(coll).pointToPoint) {
        throw usageError(std::string("--all-pairs measures latency, bw and bibw between every pair of "
                                     "ranks; ") + name(coll) + " is not a pair benchmark");
      }
    }
    if (!c.candidateSweeps.empty()) throw usageError("--all-pairs and --candidates do not mix");
  }
  if (c.minBusBandwidth && !(*c.minBusBandwidth >= 0)) {
    throw usageError("--min-busbw must be 0 or more GB/s");
  }
}

void validateForWorld(const RunConfig& c, int nranks) {
  auto uses = [&](auto pred) {
    for (Collective coll : c.collectives) {
      if (pred(info(coll))) return true;
    }
    return false;
  };
  if (uses([](const CollectiveInfo& i) { return i.rooted; }) && c.root >= nranks) {
    throw usageError("root " + std::to_string(c.root) + " does not exist: there are " +
                     std::to_string(nranks) + " ranks (0.." + std::to_string(nranks - 1) + ")");
  }
  if (c.allPairs && nranks < 2) throw usageError("--all-pairs needs 2 or more ranks");
  if (!c.allPairs && uses([](const CollectiveInfo& i) { return i.pointToPoint; }) &&
      std::max(c.peerA, c.peerB) >= nranks) {
    throw usageError("point-to-point pair " + std::to_string(c.peerA) + "," +
                     std::to_string(c.peerB) + " does not exist: there are " +
                     std::to_string(nranks) + " ranks");
  }
  if (c.testCorruptRank >= nranks) throw usageError("test corrupt rank out of range");
}

nlohmann::json toJson(const RunConfig& c) {
  nlohmann::json j;
  auto& colls = j["collectives"] = nlohmann::json::array();
  for (Collective x : c.collectives) colls.push_back(name(x));
  auto& types = j["dtypes"] = nlohmann::json::array();
  for (DType x : c.dtypes) types.push_back(name(x));
  auto& ops = j["ops"] = nlohmann::json::array();
  for (RedOp x : c.ops) ops.push_back(name(x));
  const std::vector<uint64_t> sizes = c.sweep.sizes.empty() ? std::vector<uint64_t>{}
                                                            : sweepSizes(c.sweep);
  j["min_bytes"] = sizes.empty() ? c.sweep.minBytes : sizes.front();
  j["max_bytes"] = sizes.empty() ? c.sweep.maxBytes : sizes.back();
  if (!sizes.empty()) j["sizes"] = sizes;
  else if (c.sweep.stepBytes) j["step_bytes"] = c.sweep.stepBytes;
  else j["step_factor"] = c.sweep.factor;
  j["root"] = c.root;
  j["out_of_place"] = c.outOfPlace;
  j["in_place"] = c.inPlace;
  j["warmup_iterations"] = c.warmupIterations;
  j["iterations_per_batch"] = c.iterationsPerBatch;
  j["batches"] = c.batches;
  j["min_batches"] = c.minBatches;
  j["max_batches"] = c.maxBatches;
  j["batch_seconds"] = c.batchSeconds;
  j["size_budget_seconds"] = c.sizeBudgetSeconds;
  j["precision"] = c.precision;
  if (c.stopOutpaced >= 0) j["stop_outpaced"] = c.stopOutpaced;
  j["aggregation"] = name(c.aggregation);
  j["per_iteration"] = c.perIteration;
  j["per_iteration_count"] = c.perIterationCount;
  j["per_rank_times"] = c.perRankTimes;
  j["sync_each"] = c.syncEach;
  j["check_iterations"] = c.checkIterations;
  j["timeout_seconds"] = c.timeoutSeconds;
  j["min_busbw_gbps"] = c.minBusBandwidth ? nlohmann::json(*c.minBusBandwidth) : nlohmann::json();
  j["pair"] = {c.peerA, c.peerB};
  j["window"] = c.window;
  if (c.allPairs) j["all_pairs"] = true;
  if (c.stream) j["stream"] = true;
  if (c.testCorruptRank >= 0) j["test_corrupt_rank"] = c.testCorruptRank;
  if (!c.candidate.empty()) j["candidate"] = c.candidate;
  if (!c.candidateSweeps.empty()) {
    nlohmann::json sweeps = nlohmann::json::array();
    for (const auto& s : c.candidateSweeps) {
      sweeps.push_back({{"collective", name(s.collective)}, {"candidate", s.knobs}, {"sizes", s.sizes}});
    }
    j["candidate_sweeps"] = sweeps;
  }
  return j;
}

bool hasKnob(const std::map<std::string, std::string>& knobs, const std::string& knobEqualsValue) {
  const auto eq = knobEqualsValue.find('=');
  if (eq == std::string::npos) return false;
  const auto it = knobs.find(knobEqualsValue.substr(0, eq));
  return it != knobs.end() && it->second == knobEqualsValue.substr(eq + 1);
}

std::vector<RunConfig::CandidateSweep> parseCandidateSweeps(const std::string& text,
                                                            const std::string& source) {
  const auto fail = [&](const std::string& what) -> void {
    throw usageError("--candidates " + source + ": " + what);
  };
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_array() || j.empty()) fail("not a JSON array of candidates");
  std::vector<RunConfig::CandidateSweep> out;
  for (const nlohmann::json& e : j) {
    RunConfig::CandidateSweep s;
    if (!e.is_object() || !e.contains("collective") || !e["collective"].is_string()) {
      fail("entry " + std::to_string(out.size() + 1) + " has no \"collective\"");
    }
    const auto c = parseCollective(e["collective"].get<std::string>());
    if (!c) fail("unknown collective '" + e["collective"].get<std::string>() + "'");
    s.collective = *c;
    if (e.contains("candidate")) {
      if (!e["candidate"].is_object()) fail("\"candidate\" must be an object of knob: value");
      for (const auto& [k, v] : e["candidate"].items()) {
        if (!v.is_string()) fail("knob '" + k + "' must be a string");
        s.knobs[k] = v.get<std::string>();
      }
    }
    if (!e.contains("sizes") || !e["sizes"].is_array() || e["sizes"].empty()) {
      fail("entry " + std::to_string(out.size() + 1) + " has no \"sizes\"");
    }
    for (const nlohmann::json& b : e["sizes"]) {
      if (!b.is_number_unsigned() || b.get<uint64_t>() == 0) fail("sizes must be positive byte counts");
      s.sizes.push_back(b.get<uint64_t>());
    }
    std::sort(s.sizes.begin(), s.sizes.end());
    out.push_back(std::move(s));
  }
  return out;
}

uint64_t fnv1a(const std::string& text, uint64_t seed) {
  uint64_t h = seed;
  for (unsigned char ch : text) {
    h ^= ch;
    h *= 0x100000001b3ull;
  }
  return h;
}


}  // namespace cclbench
