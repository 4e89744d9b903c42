#pragma once
/// Reading results other tools (and cclbench) wrote: nccl-tests console output of any version,
/// nccl-tests JSON (-J), OSU micro-benchmark output, cclbench JSON Lines. The format is detected
/// from the content. Nothing here touches the database: `cclbench import` stores what this
/// returns, `cclbench compare` uses it directly for file operands.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/record.hpp"

namespace cclbench {

/// One run read from a file, in cclbench's own record types.
struct ImportedRun {
  std::string source;  ///< cclbench-jsonl, nccl-tests, nccl-tests-json, osu
  RunHeader header;    ///< what the source says (ranks, hosts, versions, command, time...)
  std::vector<CaseRecord> cases;
  Trailer trailer;
  bool incomplete = false;         ///< the source itself is cut short (crash, hang, no footer)
  std::vector<std::string> notes;  ///< things a reader should know (e.g. "no footer")
  /// What the source itself reported, where it did (nccl-tests' footer or JSON summary):
  /// "# Avg bus bandwidth" (the mean of every row's two busbw values) and "# Out of bounds
  /// values". Kept as printed, so a reader can check them against the cases.
  std::optional<double> reportedAvgBusBandwidthGBps;
  std::optional<uint64_t> reportedOutOfBounds;
};

/// Reads every run in `path` (a cclbench JSONL file or nccl-tests output may hold several), in
/// file order. Lines that carry no results (launcher prefixes, MPI warnings, NCCL INFO lines,
/// shell prompts) are skipped. Runs of other tools get the run id "<source>-<hash of the file>"
/// ("-N" appended when a file holds several), so importing a file twice gives the same ids; their
/// trailer is derived from the cases: status "complete" or "incomplete", exit code 7 when an
/// element was wrong or the source reported a failure. Imported nccl-tests cases carry
/// aggregation mean and one sample each (several when -N repeated the sweep).
/// Throws Error(kInvalidUsage) "PATH:LINE: what is wrong" on malformed input.
std::vector<ImportedRun> readResultsFile(const std::string& path);

/// The same for text already read (`path` names it in messages and may tell the collective).
std::vector<ImportedRun> readResultsText(const std::string& path, std::string content);

}  // namespace cclbench
