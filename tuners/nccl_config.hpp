#pragma once
/// Writing a tune's NCCL outputs, shared by `tune --backend nccl` and `--backend model`: the
/// plugin config read back with the plugin's own parser and lookup (every line parses, every
/// rule size is forced as the rule says), the environment file, and the lines a job adds.

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tuner_rules.h"
#include "tuners/decide.hpp"
#include "tuners/nccl_emit.hpp"
#include "tuners/tune_result.hpp"

namespace cclbench::tune {

/// A plugin config parsed and indexed by the plugin's own code for one rank and node count.
class NcclConfigTable {
 public:
  NcclConfigTable(const std::string& text, int ranks, int nodes);
  ~NcclConfigTable();
  NcclConfigTable(const NcclConfigTable&) = delete;
  NcclConfigTable& operator=(const NcclConfigTable&) = delete;
  const cclt_table* table() const { return table_; }
  std::size_t skipped() const { return rules_.skippedLines; }

 private:
  cclt_rules rules_{};
  cclt_table* table_ = nullptr;
};

/// Whether NCCL offers (algorithm, protocol) for a collective: the model knows; real NCCL is
/// asked per call, so its read-back takes every pair as offered.
using PairOffered = std::function<bool(Collective c, int algorithm, int protocol)>;

/// The NCCL rules of a tune's rules (those NCCL's tuner is asked about).
std::vector<NcclRule> ncclRules(const std::vector<Rule>& rules);

/// Writes the plugin config of `rules` to `path` (whole), reads it back and checks it forces
/// every rule size as the rule says; throws Error(kInternal) when it does not.
std::unique_ptr<NcclConfigTable> writeNcclConfig(const std::filesystem::path& path,
                                                 const std::vector<Rule>& rules, int ranks,
                                                 int nodes, const std::vector<std::string>& comments,
                                                 const PairOffered& offered);

/// The plugin beside `executable`: the build tree's, else an installed prefix's; "" if neither.
std::string installedPluginPath(const std::string& executable);

/// The kept rules' files in `folder` (nccl-tuner.conf, nccl.env with the kept process-wide
/// knobs) and how a job uses them, into `result.files` and `result.usage`. Nothing when neither
/// a rule nor a knob was kept.
void emitNcclOutputs(const std::filesystem::path& folder, const std::vector<Rule>& kept,
                     TuneResult& result, const std::vector<std::string>& comments,
                     const std::string& pluginPath, const PairOffered& offered,
                     const std::map<std::string, std::string>& processKnobs = {});

}  // namespace cclbench::tune
