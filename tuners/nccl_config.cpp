#include "tuners/nccl_config.hpp"

#include <algorithm>
#include <new>

#include "core/error.hpp"
#include "core/sizes.hpp"
#include "model/nccl_model.hpp"
#include "tuners/tune_steps.hpp"

namespace cclbench::tune {

namespace fs = std::filesystem;

NcclConfigTable::NcclConfigTable(const std::string& text, int ranks, int nodes) {
  if (cclt_parse(text.data(), text.size(), &rules_) != 0) throw std::bad_alloc();
  table_ = cclt_table_build(&rules_, ranks, nodes);
  if (!table_) {
    cclt_rules_free(&rules_);
    throw std::bad_alloc();
  }
}

NcclConfigTable::~NcclConfigTable() {
  cclt_table_free(table_);
  cclt_rules_free(&rules_);
}

std::vector<NcclRule> ncclRules(const std::vector<Rule>& rules) {
  std::vector<NcclRule> out;
  for (const Rule& r : rules) {
    if (const auto n = ncclRuleOf(r)) out.push_back(*n);
  }
  return out;
}

namespace {

struct Offered {
  const PairOffered* offered;
  Collective collective;
};

int offeredCallback(const void* env, int algorithm, int protocol) {
  const auto* o = static_cast<const Offered*>(env);
  return (*o->offered)(o->collective, algorithm, protocol) ? 1 : 0;
}

}  // namespace

std::unique_ptr<NcclConfigTable> writeNcclConfig(const fs::path& path, const std::vector<Rule>& rules,
                                                 int ranks, int nodes,
                                                 const std::vector<std::string>& comments,
                                                 const PairOffered& offered) {
  writeWholeFile(path, ncclTunerConfig(ncclRules(rules), ranks, nodes, comments));
  auto table = std::make_unique<NcclConfigTable>(readWholeFile(path), ranks, nodes);
  const auto fail = [&](const std::string& what) {
    throw Error(ExitCode::kInternal, "the plugin config " + path.string() + " " + what);
  };
  if (table->skipped() > 0) fail("has lines the plugin skips");
  for (const Rule& r : rules) {
    const auto n = ncclRuleOf(r);
    if (!n) continue;
    const Offered env{&offered, r.collective};
    const int function = *model::ncclFunction(r.collective);  // ncclRuleOf holds only such ones
    for (const RuleSize& s : r.sizes) {
      const cclt_rule* hit = cclt_lookup(table->table(), function, s.bytes, 1, 0, offeredCallback, &env);
      if (!hit || n->algorithm != cclt_algorithm_name(hit->algorithm) ||
          n->protocol != cclt_protocol_name(hit->protocol) ||
          (n->channels > 0 ? n->channels : -1) != (hit->channels > 0 ? hit->channels : -1)) {
        fail("does not force " + r.description + " at " + formatBytes(s.bytes));
      }
    }
  }
  return table;
}

std::string installedPluginPath(const std::string& executable) {
  const fs::path dir = fs::path(executable).parent_path();
  for (const fs::path& p : {dir / "tuners/nccl-plugin/libnccl-tuner-cclbench.so",
                            dir / "../lib/libnccl-tuner-cclbench.so"}) {
    std::error_code ec;
    if (fs::exists(p, ec)) return fs::weakly_canonical(p, ec).string();
  }
  return "";
}

void emitNcclOutputs(const fs::path& folder, const std::vector<Rule>& kept, TuneResult& result,
                     const std::vector<std::string>& comments, const std::string& pluginPath,
                     const PairOffered& offered, const std::map<std::string, std::string>& processKnobs) {
  if (kept.empty() && processKnobs.empty()) return;
  const fs::path config = folder / "nccl-tuner.conf";
  if (!kept.empty()) writeNcclConfig(config, kept, result.ranks, result.nodes, comments, offered);
  std::map<Collective, std::vector<uint64_t>> tunedSizes;
  for (const CollectiveTune& c : result.collectives) {
    for (uint64_t s : result.sizes) {
      if (std::find(c.unmeasured.begin(), c.unmeasured.end(), s) == c.unmeasured.end()) {
        tunedSizes[c.collective].push_back(s);
      }
    }
  }
  const fs::path env = folder / "nccl.env";
  writeWholeFile(env, ncclEnvironmentFile(ncclRules(kept), tunedSizes, processKnobs, comments));
  result.files["nccl_env"] = fs::absolute(env).string();
  if (!processKnobs.empty()) result.usage["process-wide knobs"] = "source " + fs::absolute(env).string();
  if (kept.empty()) return;
  result.files["nccl_tuner_config"] = fs::absolute(config).string();
  std::string lines = ncclPluginLines(pluginPath.empty() ? "<prefix>/lib/libnccl-tuner-cclbench.so" : pluginPath,
                                      fs::absolute(config).string());
  while (!lines.empty() && lines.back() == '\n') lines.pop_back();
  result.usage["job environment (the plugin with its config)"] = lines;
}

}  // namespace cclbench::tune
