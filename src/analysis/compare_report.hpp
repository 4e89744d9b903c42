#pragma once
/// Renderings of a Comparison: JSON (the canonical form), a console table and a Markdown
/// table for tickets. Pure functions from records to text.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/compare.hpp"

namespace cclbench::analysis {

inline constexpr const char* kCompareSchemaName = "cclbench.compare";
inline constexpr int kCompareSchemaVersion = 1;

/// One comparison: sides, options, differences, every case, per-collective summaries, counts.
nlohmann::json toJson(const Comparison& comparison);

/// The document `cclbench compare --json` prints: schema, version and every comparison.
nlohmann::json toJson(const std::vector<Comparison>& comparisons);

/// A fixed-width table with one row per case, then the per-collective geometric means and the
/// count of verdicts.
std::string consoleReport(const Comparison& comparison);

/// The same as a Markdown table (verdicts that are not "no change" in bold).
std::string markdownReport(const Comparison& comparison);

}  // namespace cclbench::analysis
