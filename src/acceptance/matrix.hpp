#pragma once
/// `cclbench matrix` (issue 11, part 3): latency and bandwidth between every pair of hosts (one
/// rank each), in rounds of disjoint pairs measured at once (analysis/isolation's circle method:
/// N-1 rounds, the same scheduler accept uses), each pair a `cclbench run latency` and a
/// `cclbench run bw` job through mpirun host lists or srun; pairs whose bandwidth is below
/// --min-fraction-of-median of the median pair are flagged (exit 7). The "which cable is slow"
/// view. Every job is labelled matrix=ID (and min_fraction=F): `cclbench report matrix:ID` draws
/// the heat maps again from the history.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "analysis/pair_matrix.hpp"

namespace cclbench::acceptance {

struct MatrixOptions {
  std::vector<std::string> hosts;  ///< --hosts
  std::string hostfile;            ///< --hostfile
  std::string backend = "mpi";
  std::string fabric;
  uint64_t latencyBytes = 8;
  uint64_t bandwidthBytes = 4 << 20;
  double timeoutSeconds = 60;      ///< -T of every job
  double minFractionOfMedian = 0.7;
  std::string jsonOut;
  std::string htmlOut;             ///< --html-out (matrix.html is always in the folder)
  std::string folder;              ///< --out
  std::string database;
  bool writeDatabase = true;
  int maxConcurrent = 64;
  /// --np N: every pair of N ranks of one job (local ranks, or spread over --hosts by mpirun, or
  /// srun in an allocation), each job's rounds inside `cclbench run --all-pairs`; 0: hosts.
  int np = 0;
};

using analysis::PairFigure;
using analysis::PairMatrix;

std::string matrixConsole(const PairMatrix& report);
nlohmann::json matrixJson(const PairMatrix& report);
/// A self-contained page: a heat map of bandwidth and one of latency, flagged pairs outlined.
std::string matrixHtml(const PairMatrix& report);

/// Runs the matrix; returns the exit code (Error for invalid options).
int runMatrix(const MatrixOptions& o, const std::string& executable);

}  // namespace cclbench::acceptance
