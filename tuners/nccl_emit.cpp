#include "tuners/nccl_emit.hpp"

#include <algorithm>
#include <set>
#include <sstream>

#include "core/error.hpp"
#include "model/nccl_model.hpp"
#include "tuner_abi.h"
#include "tuner_rules.h"

namespace cclbench::tune {
namespace {

int indexOf(const std::string& name, const char* (*nameOf)(int), int count, const char* what) {
  for (int i = 0; i < count; ++i) {
    if (name == nameOf(i)) return i;
  }
  throw usageError(std::string("no NCCL ") + what + " '" + name + "'");
}

/// NCCL_ALGO / NCCL_PROTO spellings of the config's names.
const char* const kAlgoEnv[CCLT_NUM_ALGORITHMS] = {"Tree", "Ring", "CollNetDirect", "CollNetChain",
                                                   "NVLS", "NVLSTree", "PAT"};
const char* const kProtoEnv[CCLT_NUM_PROTOCOLS] = {"LL", "LL128", "Simple"};

}  // namespace

std::optional<NcclRule> ncclRuleOf(const Rule& rule) {
  const auto algorithm = rule.candidate.knobs.find("algorithm");
  const auto protocol = rule.candidate.knobs.find("protocol");
  if (!model::ncclFunction(rule.collective) || algorithm == rule.candidate.knobs.end() ||
      protocol == rule.candidate.knobs.end() || rule.sizes.empty()) {
    return std::nullopt;
  }
  NcclRule r{rule.collective, rule.minBytes(), rule.maxBytes(), algorithm->second, protocol->second, -1};
  if (const auto ch = rule.candidate.knobs.find("channels"); ch != rule.candidate.knobs.end()) {
    r.channels = std::stoi(ch->second);
  }
  return r;
}

std::string ncclTunerConfig(const std::vector<NcclRule>& rules, int ranks, int nodes,
                            const std::vector<std::string>& comments) {
  std::ostringstream out;
  for (const std::string& c : comments) out << "# " << c << "\n";
  out << "# collective,min_bytes,max_bytes,algorithm,protocol,channels,nNodes,nRanks "
         "(bounds inclusive, total bytes; tuned at "
      << ranks << " ranks on " << nodes << " node(s): other counts keep NCCL's choices)\n";
  for (const NcclRule& r : rules) {
    const auto f = model::ncclFunction(r.collective);
    if (!f) throw usageError(std::string("NCCL's tuner is not asked about ") + name(r.collective));
    indexOf(r.algorithm, cclt_algorithm_name, CCLT_NUM_ALGORITHMS, "algorithm");
    indexOf(r.protocol, cclt_protocol_name, CCLT_NUM_PROTOCOLS, "protocol");
    out << cclt_collective_name(*f) << "," << r.minBytes << "," << r.maxBytes << "," << r.algorithm
        << "," << r.protocol << "," << (r.channels > 0 ? r.channels : -1) << "," << nodes << ","
        << ranks << "\n";
  }
  return out.str();
}

std::string ncclEnvironmentFile(const std::vector<NcclRule>& rules,
                                const std::map<Collective, std::vector<uint64_t>>& tunedSizes,
                                const std::map<std::string, std::string>& processKnobs,
                                const std::vector<std::string>& comments) {
  std::ostringstream out;
  for (const std::string& c : comments) out << "# " << c << "\n";
  std::vector<std::string> algos, protos;
  for (const auto& [tuned, sizes] : tunedSizes) {
    const Collective collective = tuned;  // a lambda below captures it (not a structured binding)
    const auto f = model::ncclFunction(collective);
    if (!f || sizes.empty()) continue;
    std::set<std::pair<std::string, std::string>> pairs;
    bool everySize = true;
    for (uint64_t s : sizes) {
      const auto it = std::find_if(rules.begin(), rules.end(), [&](const NcclRule& r) {
        return r.collective == collective && r.minBytes <= s && s <= r.maxBytes;
      });
      if (it == rules.end()) {
        everySize = false;
        break;
      }
      pairs.insert({it->algorithm, it->protocol});
    }
    if (!everySize || pairs.size() != 1) continue;
    const std::string prefix = std::string(cclt_collective_name(*f)) + ":";
    algos.push_back(prefix + kAlgoEnv[indexOf(pairs.begin()->first, cclt_algorithm_name, CCLT_NUM_ALGORITHMS, "algorithm")]);
    protos.push_back(prefix + kProtoEnv[indexOf(pairs.begin()->second, cclt_protocol_name, CCLT_NUM_PROTOCOLS, "protocol")]);
  }
  if (!algos.empty()) {
    std::string a, p;
    for (std::size_t i = 0; i < algos.size(); ++i) {
      a += (i ? ";" : "") + algos[i];
      p += (i ? ";" : "") + protos[i];
    }
    out << "# one choice won at every size tuned of these collectives (per-collective form: NCCL "
           "2.24 and newer)\n"
        << "export NCCL_ALGO=\"" << a << "\"\nexport NCCL_PROTO=\"" << p << "\"\n";
  } else {
    out << "# no collective has one choice at every size tuned: its rules need the plugin\n";
  }
  for (const auto& [knob, value] : processKnobs) out << "export " << knob << "=" << value << "\n";
  return out.str();
}

std::string ncclPluginLines(const std::string& pluginPath, const std::string& configPath) {
  return "export NCCL_TUNER_PLUGIN=" + pluginPath + " CCLBENCH_TUNER_CONFIG=" + configPath + "\n";
}

}  // namespace cclbench::tune
