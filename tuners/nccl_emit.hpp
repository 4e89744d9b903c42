#pragma once
/// NCCL's forms of a tune's rules (issue 8's emitters):
/// - the config of cclbench's tuner plugin (the CSV of NCCL's example tuner, which
///   libnccl-tuner-cclbench.so reads): one line per rule, bounded to the rank and node counts it
///   was tuned at, channels -1 unless the rule sets them, provenance as '#' lines;
/// - an environment file: NCCL_ALGO / NCCL_PROTO in their per-collective form (NCCL 2.24 and
///   newer) only for a collective where one pair wins at every size tuned, plus the winning
///   process-frozen knobs (NCCL_BUFFSIZE ...);
/// - the lines a job adds to load the plugin with the config.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/collective.hpp"
#include "tuners/decide.hpp"

namespace cclbench::tune {

/// One rule in NCCL's terms; algorithm and protocol spelled as the plugin config spells them
/// ("ring", "nvls_tree"; "ll128").
struct NcclRule {
  Collective collective = Collective::kAllReduce;
  uint64_t minBytes = 0, maxBytes = 0;  ///< inclusive, total bytes (the size column)
  std::string algorithm, protocol;
  int channels = -1;  ///< -1: NCCL's choice
};

/// The rule of an NCCL candidate (knobs "algorithm", "protocol", optional "channels"); nothing
/// for a collective NCCL's tuner is not asked about (send/recv, all-to-all, gather) or a
/// candidate that forces no pair.
std::optional<NcclRule> ncclRuleOf(const Rule& rule);

/// The plugin config (see above). Throws Error(kInvalidUsage) for a name the plugin would not
/// read: every line written must parse.
std::string ncclTunerConfig(const std::vector<NcclRule>& rules, int ranks, int nodes,
                            const std::vector<std::string>& comments);

/// The environment file (see above): `tunedSizes` are the sizes the tune measured per collective;
/// `processKnobs` the winning NCCL_* settings frozen at process start.
std::string ncclEnvironmentFile(const std::vector<NcclRule>& rules,
                                const std::map<Collective, std::vector<uint64_t>>& tunedSizes,
                                const std::map<std::string, std::string>& processKnobs,
                                const std::vector<std::string>& comments);

/// "export NCCL_TUNER_PLUGIN=<abs .so> CCLBENCH_TUNER_CONFIG=<abs config>" (absolute paths: NCCL
/// quietly takes another tuner when it cannot load the one named).
std::string ncclPluginLines(const std::string& pluginPath, const std::string& configPath);

}  // namespace cclbench::tune
