#include "session/battery_spec.hpp"

#include <cmath>
#include <set>

#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 0
#include <toml++/toml.h>

#include "core/error.hpp"
#include "core/sizes.hpp"
#include "inspect/fabric.hpp"

namespace cclbench {
namespace {

/// Reads one table's keys, each failure naming the key and its line.
class Keys {
 public:
  Keys(const toml::table& table, std::string source, std::string where)
      : table_(table), source_(std::move(source)), where_(std::move(where)) {}

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    const toml::node* n = table_.get(key);
    const auto line = n ? n->source().begin.line : table_.source().begin.line;
    throw usageError(source_ + " line " + std::to_string(line) + ": " + where_ + key + " " + what);
  }

  void allow(const std::set<std::string>& known) const {
    for (const auto& [key, value] : table_) {
      const std::string k(key.str());
      if (known.count(k)) continue;
      std::string list;
      for (const std::string& n : known) list += " " + n;
      throw usageError(source_ + " line " + std::to_string(value.source().begin.line) + ": " + where_ +
                       "unknown key '" + k + "' (known:" + list + ")");
    }
  }

  std::optional<std::string> text(const std::string& key) const {
    const toml::node* n = table_.get(key);
    if (!n) return std::nullopt;
    if (!n->is_string()) fail(key, "must be a string");
    return *n->value<std::string>();
  }

  std::optional<double> number(const std::string& key) const {
    const toml::node* n = table_.get(key);
    if (!n) return std::nullopt;
    if (!n->is_integer() && !n->is_floating_point()) fail(key, "must be a number");
    const double v = *n->value<double>();
    if (!std::isfinite(v)) fail(key, "must be finite");
    return v;
  }

  std::optional<int> whole(const std::string& key, int low, int high) const {
    const toml::node* n = table_.get(key);
    if (!n) return std::nullopt;
    if (!n->is_integer()) fail(key, "must be a whole number");
    const int64_t v = *n->value<int64_t>();
    if (v < low || v > high) fail(key, "must be " + std::to_string(low) + " to " + std::to_string(high));
    return static_cast<int>(v);
  }

  std::optional<bool> flag(const std::string& key) const {
    const toml::node* n = table_.get(key);
    if (!n) return std::nullopt;
    if (!n->is_boolean()) fail(key, "must be true or false");
    return *n->value<bool>();
  }

  std::optional<double> fraction(const std::string& key) const {
    const auto v = number(key);
    if (v && !(*v > 0 && *v <= 1)) fail(key, "must be a fraction above 0 and at most 1");
    return v;
  }

 private:
  const toml::table& table_;
  std::string source_;
  std::string where_;
};

CheckSpec parseCheck(const toml::table& t, const std::string& source, std::size_t index) {
  CheckSpec c;
  c.line = static_cast<int>(t.source().begin.line);
  const Keys keys(t, source, "check " + std::to_string(index) + ": ");
  keys.allow({"name", "collective", "scope", "sizes", "min_busbw", "min_fraction_of_median",
              "min_fraction_of_baseline", "baseline", "parallel", "backend", "fabric", "datatype",
              "ranks_per_host"});
  const auto name = keys.text("name");
  if (!name || name->empty()) keys.fail("name", "is required");
  c.name = *name;
  const Keys named(t, source, "check '" + c.name + "': ");
  const auto collective = named.text("collective");
  if (!collective) named.fail("collective", "is required");
  const auto parsed = parseCollective(*collective);
  if (!parsed) named.fail("collective", "'" + *collective + "' is unknown (" + collectiveSpellings() + ")");
  c.collective = *parsed;
  const auto scope = named.text("scope");
  if (!scope) named.fail("scope", "is required (all, pairs or host)");
  if (*scope == "all") c.scope = CheckScope::kAll;
  else if (*scope == "pairs") c.scope = CheckScope::kPairs;
  else if (*scope == "host") c.scope = CheckScope::kHost;
  else named.fail("scope", "'" + *scope + "' is none of all, pairs, host");
  const auto sizes = named.text("sizes");
  if (!sizes) named.fail("sizes", "is required (\"4M\" or \"1M:16M\")");
  const std::size_t colon = sizes->find(':');
  const auto low = parseBytes(sizes->substr(0, colon));
  const auto high = colon == std::string::npos ? low : parseBytes(sizes->substr(colon + 1));
  if (!low || !high || *low == 0 || *high < *low) {
    named.fail("sizes", "'" + *sizes + "' is not SIZE or LOW:HIGH with LOW <= HIGH");
  }
  c.minBytes = *low;
  c.maxBytes = *high;
  c.minBusbw = named.number("min_busbw");
  if (c.minBusbw && !(*c.minBusbw > 0)) named.fail("min_busbw", "must be above 0 (GB/s)");
  c.minFractionOfMedian = named.fraction("min_fraction_of_median");
  c.minFractionOfBaseline = named.fraction("min_fraction_of_baseline");
  c.baseline = named.text("baseline").value_or("");
  if (c.minFractionOfBaseline && c.baseline.rfind("run:", 0) != 0 && c.baseline.rfind("baseline:", 0) != 0) {
    named.fail("baseline", "must be \"run:ID\" or \"baseline:TAG\" with min_fraction_of_baseline");
  }
  if (!c.baseline.empty() && !c.minFractionOfBaseline) {
    named.fail("baseline", "needs min_fraction_of_baseline");
  }
  if (!c.minBusbw && !c.minFractionOfMedian && !c.minFractionOfBaseline) {
    named.fail("min_busbw", "or min_fraction_of_median or min_fraction_of_baseline: a check needs a floor");
  }
  if (c.minFractionOfMedian && c.scope == CheckScope::kAll) {
    named.fail("min_fraction_of_median", "needs several jobs to take a median of: scope pairs or host");
  }
  c.parallel = named.flag("parallel").value_or(true);
  c.backend = named.text("backend").value_or("mpi");
  if (c.backend != "mpi" && c.backend != "nccl" && c.backend != "ucx") {
    named.fail("backend", "'" + c.backend + "' is none of mpi, nccl, ucx");
  }
  c.fabric = named.text("fabric").value_or("");
  if (!c.fabric.empty() && !parseFabric(c.fabric)) {
    named.fail("fabric", "'" + c.fabric + "' is unknown (" + fabricSpellings() + ")");
  }
  if (const auto d = named.text("datatype")) {
    const auto t = parseDType(*d);
    if (!t) named.fail("datatype", "'" + *d + "' is unknown (" + dtypeSpellings() + ")");
    c.dtype = *t;
  }
  c.ranksPerHost = named.whole("ranks_per_host", 1, 1024).value_or(0);
  return c;
}

}  // namespace

const char* name(CheckScope s) {
  switch (s) {
    case CheckScope::kAll: return "all";
    case CheckScope::kPairs: return "pairs";
    case CheckScope::kHost: return "host";
  }
  return "?";
}

BatterySpec parseBatterySpec(const std::string& text, const std::string& source) {
  toml::parse_result parsed = toml::parse(text, source);
  if (!parsed) {
    const toml::parse_error& e = parsed.error();
    throw usageError(source + " line " + std::to_string(e.source().begin.line) + ": " +
                     std::string(e.description()));
  }
  const toml::table& root = parsed.table();
  const Keys keys(root, source, "");
  keys.allow({"name", "ranks_per_host", "timeout", "expect", "check", "nightly"});
  BatterySpec spec;
  spec.name = keys.text("name").value_or("");
  if (spec.name.empty()) keys.fail("name", "is required");
  spec.ranksPerHost = keys.whole("ranks_per_host", 1, 1024).value_or(1);
  spec.timeoutSeconds = keys.number("timeout").value_or(120);
  if (!(spec.timeoutSeconds > 0)) keys.fail("timeout", "must be above 0 (seconds)");
  if (const toml::node* e = root.get("expect")) {
    if (!e->is_table()) keys.fail("expect", "must be a table ([expect])");
    const Keys expect(*e->as_table(), source, "[expect] ");
    expect.allow({"fingerprint"});
    spec.expectFingerprint = expect.text("fingerprint").value_or("any");
    const std::string& f = spec.expectFingerprint;
    const bool hex = f.size() == 16 && f.find_first_not_of("0123456789abcdef") == std::string::npos;
    if (f != "any" && f != "same" && !hex) {
      expect.fail("fingerprint", "'" + f + "' is none of any, same, or a 16-digit cclbench topo fingerprint");
    }
  }
  if (const toml::node* n = root.get("nightly")) {
    if (!n->is_table()) keys.fail("nightly", "must be a table ([nightly])");
    spec.hasNightly = true;
    const Keys nightly(*n->as_table(), source, "[nightly] ");
    nightly.allow({"baseline_runs", "threshold", "report", "prometheus", "junit", "summary"});
    NightlySpec& ns = spec.nightly;
    ns.baselineRuns = nightly.whole("baseline_runs", 1, 1000).value_or(7);
    ns.threshold = nightly.number("threshold").value_or(0.03);
    if (!(ns.threshold > 0 && ns.threshold < 1)) nightly.fail("threshold", "must be above 0 and below 1 (0.03 = 3%)");
    for (auto [key, field] : {std::pair{"report", &ns.report}, {"prometheus", &ns.prometheus},
                              {"junit", &ns.junit}, {"summary", &ns.summary}}) {
      *field = nightly.text(key).value_or("");
      if (nightly.text(key) && field->empty()) nightly.fail(key, "must name a file");
    }
  }
  const toml::node* checks = root.get("check");
  if (!checks) keys.fail("check", "is required: at least one [[check]]");
  if (!checks->is_array_of_tables()) keys.fail("check", "must be [[check]] tables");
  std::set<std::string> names;
  std::size_t index = 0;
  for (const toml::node& c : *checks->as_array()) {
    CheckSpec check = parseCheck(*c.as_table(), source, ++index);
    if (!names.insert(check.name).second) {
      throw usageError(source + " line " + std::to_string(check.line) + ": check name '" + check.name +
                       "' is used twice");
    }
    if (check.scope == CheckScope::kHost && spec.ranksPerHostOf(check) == 1) {
      throw usageError(source + " line " + std::to_string(check.line) + ": check '" + check.name +
                       "': scope host with one rank per host measures nothing (busbw is 0 on one "
                       "rank): set ranks_per_host above 1");
    }
    spec.checks.push_back(std::move(check));
  }
  return spec;
}

}  // namespace cclbench
