#include "tuners/tune_steps.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "core/error.hpp"
#include "core/json_text.hpp"

namespace cclbench::tune::steps {

namespace fs = std::filesystem;

void describeOptions(const TuneOptions& o, const std::vector<uint64_t>& sizes, TuneResult& result) {
  result.strategy = name(o.strategy);
  result.threshold = o.threshold;
  result.budgetSeconds = o.budgetSeconds;
  result.dtype = o.dtype;
  result.op = o.op;
  result.placement = o.placement;
  result.sizes = sizes;
}

std::vector<Rule> searchAll(const TuneOptions& o, const KnobSpace& space, TrialRunner& runner,
                            const std::vector<uint64_t>& sizes, TuneResult& result) {
  std::vector<Rule> proposed;
  double spent = 0;
  for (Collective c : o.collectives) {
    SearchOptions so;
    so.strategy = o.strategy;
    so.full = o.full;
    so.threshold = o.threshold;
    if (o.budgetSeconds > 0) so.budgetSeconds = std::max(1e-9, o.budgetSeconds - spent);
    std::printf("# searching %s ...\n", name(c));
    std::fflush(stdout);
    const SearchOutcome outcome = search(space, runner, c, sizes, so);
    spent += outcome.trialSeconds;
    std::vector<Rule> rules = decide(outcome, space, o.threshold);
    proposed.insert(proposed.end(), rules.begin(), rules.end());
    result.collectives.push_back(collectiveTuneOf(outcome, space));
  }
  return proposed;
}

std::vector<Collective> collectivesOf(const std::vector<Rule>& rules) {
  std::vector<Collective> out;
  for (const Rule& r : rules) {
    if (std::find(out.begin(), out.end(), r.collective) == out.end()) out.push_back(r.collective);
  }
  return out;
}

void attachRules(TuneResult& result, const std::vector<Rule>& kept, const std::vector<Rule>& dropped) {
  for (CollectiveTune& ct : result.collectives) {
    for (const Rule& r : kept) {
      if (r.collective == ct.collective) ct.rules.push_back(r);
    }
    for (const Rule& r : dropped) {
      if (r.collective == ct.collective) ct.dropped.push_back(r);
    }
  }
}

void writeResultFiles(const fs::path& folder, TuneResult& result) {
  result.files["summary"] = fs::absolute(folder / "summary.md").string();
  result.files["tune_json"] = fs::absolute(folder / "tune.json").string();
  writeWholeFile(folder / "tune.json", jsonText(toJson(result), 2) + "\n");
  writeWholeFile(folder / "summary.md", summaryMarkdown(result));
}

void printEnd(const TuneResult& result, const fs::path& folder) {
  std::printf("%s", consoleSummary(result).c_str());
  if (result.cutShort()) std::printf("# the search was cut short by --budget: the best found so far was validated\n");
  for (const auto& [what, how] : result.usage) std::printf("# %s:\n#   %s\n", what.c_str(), how.c_str());
  if (result.usage.empty()) std::printf("# no configuration written: the defaults are best here\n");
  std::printf("# tune.json and summary.md in %s\n", folder.string().c_str());
}

}  // namespace cclbench::tune::steps
