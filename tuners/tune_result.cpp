#include "tuners/tune_result.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "core/error.hpp"
#include "core/json_text.hpp"
#include "core/sizes.hpp"

namespace cclbench::tune {
namespace {

using nlohmann::json;

std::string fixed(double value, int digits) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", digits, value);
  return text;
}

json processKnobsJson(const std::vector<ProcessKnobOutcome>& knobs) {
  json out = json::array();
  for (const ProcessKnobOutcome& k : knobs) {
    out.push_back({{"variable", k.variable}, {"screened_speedup", k.screened}, {"proposed", k.proposed},
                   {"kept", k.kept}, {"validated_speedup", k.speedup}, {"reason", k.reason}});
  }
  return out;
}

json ruleJson(const Rule& r, const TuneResult& t) {
  json sizes = json::array();
  for (const RuleSize& s : r.sizes) {
    sizes.push_back({{"bytes", s.bytes},
                     {"search_default_us", s.searchDefaultUs},
                     {"search_tuned_us", s.searchTunedUs},
                     {"default_us", s.defaultUs},
                     {"tuned_us", s.tunedUs},
                     {"speedup", s.speedup},
                     {"speedup_ci", {s.speedupLow, s.speedupHigh}},
                     {"kept", s.kept},
                     {"reason", s.reason}});
  }
  return {{"collective", name(r.collective)},
          {"min_bytes", r.minBytes()},
          {"max_bytes", r.maxBytes()},
          {"datatype", name(t.dtype)},
          {"op", name(t.op)},
          {"placement", name(t.placement)},
          {"ranks", t.ranks},
          {"nodes", t.nodes},
          {"candidate", r.candidate.knobs},
          {"description", r.description},
          {"sizes", sizes},
          {"trial_run_ids", r.trialRunIds}};
}

Rule ruleFromJson(const json& j) {
  Rule r;
  const auto c = parseCollective(j.at("collective").get<std::string>());
  if (!c) throw usageError("tune.json: unknown collective " + jsonText(j.at("collective")));
  r.collective = *c;
  r.candidate.knobs = j.at("candidate").get<std::map<std::string, std::string>>();
  r.description = j.value("description", "");
  r.trialRunIds = j.value("trial_run_ids", std::vector<std::string>{});
  for (const json& s : j.at("sizes")) {
    RuleSize x;
    x.bytes = s.at("bytes").get<uint64_t>();
    x.searchDefaultUs = s.value("search_default_us", 0.0);
    x.searchTunedUs = s.value("search_tuned_us", 0.0);
    x.defaultUs = s.value("default_us", 0.0);
    x.tunedUs = s.value("tuned_us", 0.0);
    x.speedup = s.value("speedup", 0.0);
    const auto ci = s.value("speedup_ci", std::vector<double>{0, 0});
    x.speedupLow = ci.size() == 2 ? ci[0] : 0;
    x.speedupHigh = ci.size() == 2 ? ci[1] : 0;
    x.kept = s.value("kept", false);
    x.reason = s.value("reason", "");
    r.sizes.push_back(x);
  }
  if (r.sizes.empty()) throw usageError("tune.json: a rule without sizes");
  return r;
}

std::string rangeText(const Rule& r) {
  return r.minBytes() == r.maxBytes()
             ? formatBytes(r.minBytes())
             : formatBytes(r.minBytes()) + " - " + formatBytes(r.maxBytes());
}

/// The geometric mean speedup of a rule's sizes and the range of their intervals.
std::string speedupText(const Rule& r) {
  double logSum = 0, low = 1e300, high = 0;
  for (const RuleSize& s : r.sizes) {
    logSum += std::log(std::max(s.speedup, 1e-12));
    low = std::min(low, s.speedupLow);
    high = std::max(high, s.speedupHigh);
  }
  const double g = std::exp(logSum / static_cast<double>(r.sizes.size()));
  return fixed(g, 2) + "x [" + fixed(low, 2) + ", " + fixed(high, 2) + "]";
}

}  // namespace

bool TuneResult::cutShort() const {
  for (const CollectiveTune& c : collectives) {
    if (c.cutShort) return true;
  }
  return false;
}

CollectiveTune collectiveTuneOf(const SearchOutcome& outcome, const KnobSpace& space) {
  CollectiveTune t;
  t.collective = outcome.collective;
  t.trialSeconds = outcome.trialSeconds;
  t.trials = outcome.trials;
  t.cutShort = outcome.cutShort;
  t.unmeasured = outcome.unmeasured;
  for (const CandidateRecord& r : outcome.candidates) {
    CandidateSummary s{space.describe(outcome.collective, r.candidate), r.candidate.knobs,
                       r.failed, r.failure, {}};
    for (const auto& [bytes, m] : r.sizes) {
      s.sizes[bytes] = {m.summary.median, m.summary.medianCi.low, m.summary.medianCi.high};
    }
    t.candidates.push_back(std::move(s));
  }
  for (const auto& [bytes, index] : outcome.best) t.best[bytes] = t.candidates[index].description;
  return t;
}

json toJson(const TuneResult& t) {
  json collectives = json::array();
  for (const CollectiveTune& c : t.collectives) {
    json candidates = json::array();
    for (const CandidateSummary& s : c.candidates) {
      json sizes = json::array();
      for (const auto& [bytes, v] : s.sizes) {
        sizes.push_back({{"bytes", bytes}, {"median_us", v[0]}, {"ci_us", {v[1], v[2]}}});
      }
      candidates.push_back({{"description", s.description}, {"candidate", s.knobs},
                            {"failed", s.failed}, {"failure", s.failure}, {"sizes", sizes}});
    }
    json best = json::object();
    for (const auto& [bytes, d] : c.best) best[std::to_string(bytes)] = d;
    json rules = json::array(), dropped = json::array();
    for (const Rule& r : c.rules) rules.push_back(ruleJson(r, t));
    for (const Rule& r : c.dropped) dropped.push_back(ruleJson(r, t));
    collectives.push_back({{"collective", name(c.collective)}, {"candidates", candidates},
                           {"best", best}, {"rules", rules}, {"dropped", dropped},
                           {"unmeasured_sizes", c.unmeasured},
                           {"trial_seconds", c.trialSeconds}, {"trials", c.trials},
                           {"cut_short", c.cutShort}});
  }
  return {{"schema", kTuneSchemaName},
          {"schema_version", kTuneSchemaVersion},
          {"tune_id", t.tuneId},
          {"created_utc", t.createdUtc},
          {"provenance",
           {{"tool", {{"name", "cclbench"}, {"version", t.toolVersion},
                      {"git_revision", t.gitRevision}}},
            {"libraries", t.libraries},
            {"trial_run_ids", t.trialRunIds},
            {"validation_run_ids",
             {{"default", t.validationDefaultRunIds}, {"tuned", t.validationTunedRunIds}}}}},
          {"topology", {{"fingerprint", t.fingerprint}, {"ranks", t.ranks}, {"nodes", t.nodes}}},
          {"backend", t.backend},
          {"modelled", t.modelled},
          {"space", {{"name", t.space}, {"source", t.spaceSource}, {"application", t.spaceApplication}}},
          {"search", {{"strategy", t.strategy}, {"threshold", t.threshold},
                      {"budget_seconds", t.budgetSeconds}, {"cut_short", t.cutShort()}}},
          {"datatype", name(t.dtype)},
          {"op", name(t.op)},
          {"placement", name(t.placement)},
          {"sizes", t.sizes},
          {"collectives", collectives},
          {"process_knobs", processKnobsJson(t.processKnobs)},
          {"files", t.files},
          {"usage", t.usage}};
}

TuneResult tuneResultFromJson(const json& j) {
  if (!j.is_object() || j.value("schema", "") != kTuneSchemaName) {
    throw usageError("not a tune.json (no \"schema\": \"cclbench.tune\")");
  }
  if (j.value("schema_version", 0) > kTuneSchemaVersion) {
    throw usageError("tune.json written by a newer cclbench (schema_version " +
                     jsonText(j["schema_version"]) + ")");
  }
  try {
    TuneResult t;
    t.tuneId = j.at("tune_id");
    t.createdUtc = j.value("created_utc", "");
    const json& p = j.at("provenance");
    t.toolVersion = p.at("tool").value("version", "");
    t.gitRevision = p.at("tool").value("git_revision", "");
    t.libraries = p.value("libraries", std::map<std::string, std::string>{});
    t.trialRunIds = p.value("trial_run_ids", std::vector<std::string>{});
    const json v = p.value("validation_run_ids", json::object());
    t.validationDefaultRunIds = v.value("default", std::vector<std::string>{});
    t.validationTunedRunIds = v.value("tuned", std::vector<std::string>{});
    t.fingerprint = j.at("topology").value("fingerprint", "");
    t.ranks = j.at("topology").value("ranks", 0);
    t.nodes = j.at("topology").value("nodes", 0);
    t.backend = j.value("backend", "");
    t.modelled = j.value("modelled", false);
    for (const json& k : j.value("process_knobs", json::array())) {
      ProcessKnobOutcome o;
      o.variable = k.value("variable", "");
      o.screened = k.value("screened_speedup", std::map<std::string, double>{});
      o.proposed = k.value("proposed", "");
      o.kept = k.value("kept", "");
      o.speedup = k.value("validated_speedup", 0.0);
      o.reason = k.value("reason", "");
      t.processKnobs.push_back(std::move(o));
    }
    t.space = j.at("space").value("name", "");
    t.spaceSource = j.at("space").value("source", "");
    t.spaceApplication = j.at("space").value("application", "");
    t.strategy = j.at("search").value("strategy", "");
    t.threshold = j.at("search").value("threshold", 0.03);
    t.budgetSeconds = j.at("search").value("budget_seconds", 0.0);
    t.dtype = parseDType(j.value("datatype", "float")).value_or(DType::kFloat);
    t.op = parseRedOp(j.value("op", "sum")).value_or(RedOp::kSum);
    t.placement = parsePlacement(j.value("placement", "out")).value_or(Placement::kOutOfPlace);
    t.sizes = j.value("sizes", std::vector<uint64_t>{});
    for (const json& c : j.at("collectives")) {
      CollectiveTune ct;
      const auto coll = parseCollective(c.at("collective").get<std::string>());
      if (!coll) throw usageError("tune.json: unknown collective " + jsonText(c.at("collective")));
      ct.collective = *coll;
      for (const json& s : c.value("candidates", json::array())) {
        CandidateSummary cs{s.value("description", ""),
                            s.value("candidate", std::map<std::string, std::string>{}),
                            s.value("failed", false), s.value("failure", ""), {}};
        for (const json& x : s.value("sizes", json::array())) {
          const auto ci = x.value("ci_us", std::vector<double>{0, 0});
          cs.sizes[x.at("bytes").get<uint64_t>()] = {x.value("median_us", 0.0),
                                                     ci.size() == 2 ? ci[0] : 0,
                                                     ci.size() == 2 ? ci[1] : 0};
        }
        ct.candidates.push_back(std::move(cs));
      }
      const json best = c.value("best", json::object());  // items() of a temporary dangles
      for (const auto& [bytes, d] : best.items()) {
        ct.best[std::stoull(bytes)] = d.get<std::string>();
      }
      for (const json& r : c.value("rules", json::array())) ct.rules.push_back(ruleFromJson(r));
      for (const json& r : c.value("dropped", json::array())) ct.dropped.push_back(ruleFromJson(r));
      ct.trialSeconds = c.value("trial_seconds", 0.0);
      ct.trials = c.value("trials", 0);
      ct.cutShort = c.value("cut_short", false);
      ct.unmeasured = c.value("unmeasured_sizes", std::vector<uint64_t>{});
      t.collectives.push_back(std::move(ct));
    }
    t.files = j.value("files", std::map<std::string, std::string>{});
    t.usage = j.value("usage", std::map<std::string, std::string>{});
    return t;
  } catch (const json::exception& e) {
    throw usageError(std::string("tune.json is malformed: ") + e.what());
  }
}

namespace {

/// "8 B, 16 B not measured: they round down to 0 elements per rank at this rank count".
std::string unmeasuredText(const CollectiveTune& c) {
  std::string sizes;
  for (uint64_t b : c.unmeasured) sizes += (sizes.empty() ? "" : ", ") + formatBytes(b);
  return sizes + " not measured: " + (c.unmeasured.size() == 1 ? "it rounds" : "they round") +
         " down to 0 elements per rank at this rank count (no rule there)";
}

}  // namespace

static std::string processKnobsText(const TuneResult& t) {
  std::ostringstream out;
  for (const ProcessKnobOutcome& k : t.processKnobs) {
    out << "# " << k.variable << ": ";
    if (!k.kept.empty()) out << k.kept << " kept (validated geometric-mean speedup " << fixed(k.speedup, 3) << "x)\n";
    else out << "unset (" << (k.reason.empty() ? "no value beat the reference" : k.reason) << ")\n";
  }
  return out.str();
}

std::string consoleSummary(const TuneResult& t) {
  std::ostringstream out;
  if (t.modelled) out << "# MODELLED, not measured: times and speedups come from the model of NCCL\n";
  for (const CollectiveTune& c : t.collectives) {
    out << "# " << name(c.collective) << ": " << c.trials << " trials, "
        << fixed(c.trialSeconds, 1) << " s" << (c.cutShort ? " (cut short by --budget)" : "")
        << "\n";
    if (!c.unmeasured.empty()) out << "#   " << unmeasuredText(c) << "\n";
    if (c.rules.empty() && c.dropped.empty()) {
      out << "#   the defaults are best here: no candidate beat them by "
          << fixed(100 * t.threshold, 0) << "% with non-overlapping intervals\n";
    }
    char line[256];
    std::snprintf(line, sizeof line, "#   %-24s %-28s %-10s %-26s %s\n", "sizes", "winner",
                  "default", "speedup [95% CI]", "");
    if (!c.rules.empty() || !c.dropped.empty()) out << line;
    for (const auto* list : {&c.rules, &c.dropped}) {
      for (const Rule& r : *list) {
        const bool kept = list == &c.rules;
        std::string why;
        if (!kept) {
          for (const RuleSize& s : r.sizes) {
            if (!s.reason.empty()) why = s.reason;
          }
        }
        std::snprintf(line, sizeof line, "#   %-24s %-28s %-10s %-26s %s\n", rangeText(r).c_str(),
                      r.description.c_str(), "default", speedupText(r).c_str(),
                      kept ? "kept" : ("dropped: " + why).c_str());
        out << line;
      }
    }
  }
  out << processKnobsText(t);
  return out.str();
}

std::string summaryMarkdown(const TuneResult& t) {
  std::ostringstream out;
  out << "# cclbench tune " << t.tuneId << "\n\n";
  if (t.modelled) {
    out << "**MODELLED, not measured**: every time below comes from the model of NCCL "
           "(docs/model.md), not from a GPU.\n\n";
  }
  out << "- Backend " << t.backend << ", space " << t.space << " (" << t.spaceSource
      << (t.spaceApplication.empty() ? "" : "; candidates applied per " + t.spaceApplication) << "), "
      << "strategy " << t.strategy << ", threshold " << fixed(100 * t.threshold, 1) << "%"
      << (t.cutShort() ? ", **cut short by the budget**" : "") << "\n";
  out << "- " << t.ranks << " ranks on " << t.nodes << " node(s), topology fingerprint `"
      << t.fingerprint << "`; " << name(t.dtype) << " " << name(t.op) << ", "
      << (t.placement == Placement::kInPlace ? "in-place" : "out-of-place") << ", " << formatBytes(t.sizes.front()) << " to " << formatBytes(t.sizes.back())
      << " (" << t.sizes.size() << " sizes)\n";
  out << "- cclbench " << t.toolVersion << " (git " << t.gitRevision << ")";
  for (const auto& [k, v] : t.libraries) out << "; " << v;
  out << "\n\n";
  for (const CollectiveTune& c : t.collectives) {
    out << "## " << name(c.collective) << "\n\n";
    out << c.candidates.size() << " candidates, " << c.trials << " trials, "
        << fixed(c.trialSeconds, 1) << " s of trials" << (c.cutShort ? " (cut short)" : "")
        << ".\n\n";
    if (!c.unmeasured.empty()) out << unmeasuredText(c) << ".\n\n";
    if (c.rules.empty()) out << "No rule: the defaults are best here.\n\n";
    if (!c.rules.empty() || !c.dropped.empty()) {
      out << "| sizes | winner | validated speedup [95% CI] | status |\n|---|---|---|---|\n";
      for (const Rule& r : c.rules) {
        out << "| " << rangeText(r) << " | " << r.description << " | " << speedupText(r)
            << " | kept |\n";
      }
      for (const Rule& r : c.dropped) {
        std::string why;
        for (const RuleSize& s : r.sizes) {
          if (!s.reason.empty()) why = s.reason;
        }
        out << "| " << rangeText(r) << " | " << r.description << " | " << speedupText(r)
            << " | dropped: " << why << " |\n";
      }
      out << "\n";
    }
    out << "Search: median time (us) per candidate and size (blank: not measured there)\n\n| "
        << "candidate |";
    for (uint64_t s : t.sizes) out << " " << formatBytes(s) << " |";
    out << "\n|---|";
    for (std::size_t i = 0; i < t.sizes.size(); ++i) out << "---:|";
    out << "\n";
    for (const CandidateSummary& s : c.candidates) {
      out << "| " << s.description << (s.failed ? " (failed: " + s.failure + ")" : "") << " |";
      for (uint64_t bytes : t.sizes) {
        const auto it = s.sizes.find(bytes);
        const bool best = c.best.count(bytes) && c.best.at(bytes) == s.description;
        out << " " << (it == s.sizes.end() ? "" : (best ? "**" : "") + fixed(it->second[0], 2) +
                                                       (best ? "**" : ""))
            << " |";
      }
      out << "\n";
    }
    out << "\n";
  }
  if (!t.processKnobs.empty()) {
    out << "## Process-wide knobs (one launch per value)\n\n```\n" << processKnobsText(t) << "```\n\n";
  }
  if (!t.usage.empty()) {
    out << "## Using it\n\n";
    for (const auto& [what, how] : t.usage) out << "- " << what << ":\n\n  ```\n  " << how << "\n  ```\n";
  }
  return out.str();
}

}  // namespace cclbench::tune
