#pragma once
/// How the processes of a run find and agree with each other, separate from the backend being
/// measured (MPI can bootstrap NCCL; one process alone needs no MPI at all). The engine uses it
/// for agreement: iteration counts, stopping decisions, combining times, summing #wrong.

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace cclbench {

/// One process's place in the run, as the launcher or runtime reports it.
struct ProcessPlace {
  int rank = 0;
  int size = 1;
  int localRank = 0;
  int localSize = 1;
  std::string host;
};

class Bootstrap {
 public:
  enum class Op { kSum, kMin, kMax };

  virtual ~Bootstrap() = default;
  virtual const ProcessPlace& place() const = 0;
  /// Element-wise reduction of `values` across processes; every process gets the result.
  virtual void allReduce(double* values, int count, Op op) = 0;
  virtual void allReduce(uint64_t* values, int count, Op op) = 0;
  /// The largest value and the lowest rank holding it.
  virtual std::pair<double, int> maxLocation(double value) = 0;
  virtual void broadcast(void* data, std::size_t bytes, int root) = 0;
  /// Fixed-size records from every process to rank 0 (`out` is filled on rank 0 only).
  virtual void gatherToRoot(const void* mine, std::size_t bytes, std::vector<char>& out) = 0;
  virtual void barrier() = 0;
  /// Ends every process of the run with `exitCode`; never returns.
  [[noreturn]] virtual void abort(int exitCode) = 0;
};

}  // namespace cclbench
