#pragma once
/// The steps every tune driver shares (tune.cpp for Open MPI, model_tune.cpp for the model of
/// NCCL): its folder and whole-file writes, the search and decision per collective, the rules
/// after validation, and the result files and console end.

#include <filesystem>
#include <string>
#include <vector>

#include "core/output_path.hpp"
#include "tuners/tune.hpp"
#include "tuners/tune_result.hpp"

namespace cclbench::tune::steps {

/// Copies the options' strategy, threshold, budget, type, op and placement into the result.
void describeOptions(const TuneOptions& o, const std::vector<uint64_t>& sizes, TuneResult& result);

/// Searches and decides every collective of the options; fills result.collectives; returns the
/// proposed rules.
std::vector<Rule> searchAll(const TuneOptions& o, const KnobSpace& space, TrialRunner& runner,
                            const std::vector<uint64_t>& sizes, TuneResult& result);

/// The collectives the rules are about, in first-seen order.
std::vector<Collective> collectivesOf(const std::vector<Rule>& rules);

/// Files each validated rule (kept or dropped) under its collective.
void attachRules(TuneResult& result, const std::vector<Rule>& kept, const std::vector<Rule>& dropped);

/// tune.json and summary.md (their paths recorded in result.files first).
void writeResultFiles(const std::filesystem::path& folder, TuneResult& result);

/// The console's end: the summary table, how to use what was written, where it is.
void printEnd(const TuneResult& result, const std::filesystem::path& folder);

}  // namespace cclbench::tune::steps
