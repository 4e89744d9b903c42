#pragma once
/// nccl-tests console lines of every generation: the column header (which columns a row has),
/// table rows, the run-parameter line, rank lines. Internal to the importer.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/import_detail.hpp"

namespace cclbench::import_detail {

/// The columns of an nccl-tests table, read from its column header line, so every version's
/// table reads the same way: v1 (bytes N type op, time in ms, "res"), before v2.13 (no root,
/// "error" residuals), v2.13+ (root, #wrong), -I 1 (four per-iteration columns per group),
/// -C 1 ("cputime"), timestamps after the in-place group.
struct TableLayout {
  std::vector<std::string> preamble;  ///< of size, count, type, redop, root: those printed
  std::vector<std::string> group;     ///< time, algbw, busbw, wrong|error[, i_min ... i_cv]
  std::size_t trailing = 0;           ///< words after the in-place group (a timestamp: 2)
  double timeScale = 1;               ///< to microseconds: 1000 for v1's milliseconds
  bool residual = false;              ///< "error" column: the largest residual, not a count

  std::size_t fullWidth() const { return preamble.size() + 2 * group.size() + trailing; }
  std::size_t outOfPlaceWidth() const { return preamble.size() + group.size(); }
};

/// The layout a column header line ("#  size  count  type ... busbw  #wrong ...") describes;
/// nullopt for any other line.
std::optional<TableLayout> parseColumnHeader(std::string_view text);

/// One table row. `in` is missing when the output stops after the out-of-place columns.
struct TableRow {
  std::size_t line = 0;
  uint64_t sizeBytes = 0;
  uint64_t count = 0;
  DType dtype = DType::kFloat;
  RedOp op = RedOp::kNone;
  int root = -1;
  Measurement out;
  std::optional<Measurement> in;
  double residual = 0;            ///< largest value of an "error" column
  bool approximateWrong = false;  ///< a #wrong printed by %g with an exponent (6 digits kept)
};

/// Parses the words of a table row; throws "PATH:LINE: ..." naming the field that is wrong.
/// `perIterationCount` is the count of timed iterations a per-iteration summary covers.
TableRow parseTableRow(const std::vector<std::string_view>& ws, const TableLayout& layout,
                       const std::string& path, std::size_t line, std::size_t perIterationCount);

/// "nThread 1 nGpus 1 minBytes 8 ... step: 2(factor) warmup iters: 5 iters: 20 ..." (the text
/// after '#') as config entries named as nccl-tests' JSON names them (nthreads, ngpus,
/// minimum_bytes, maximum_bytes, step_factor|step_bytes, warmup_iters, iterations,
/// aggregated_iterations, validation, graph, unalign).
nlohmann::json parseRunParameters(std::string_view text);

struct RankLine {
  int rank = 0;
  std::string host;
};

/// "Rank  3 Group  0 Pid 6902 on host device  3 [...] name" (the text after '#'), any version.
std::optional<RankLine> parseRankLine(std::string_view text);

}  // namespace cclbench::import_detail
