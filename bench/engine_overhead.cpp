/// How much the engine adds to what it measures: the same float all-reduce timed by a bare MPI
/// loop (barrier, MPI_Wtime around N MPI_Allreduce calls, max over ranks) and by Engine::measure
/// with the same N, interleaved round by round, medians compared.
///
///   mpirun -np 2 build/bench/cclbench_overhead [rounds]
/// Targets: engine median within 2% of the bare loop at 64 KiB and above, within 0.3 us at
/// 1 KiB and below.

#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "backends/registry.hpp"
#include "core/stats.hpp"
#include "engine/batch.hpp"
#include "engine/engine.hpp"
#include "launch/mpi_bootstrap.hpp"

namespace {

using namespace cclbench;

/// Seconds per operation of one bare batch, max over ranks.
double bareBatch(MPI_Comm comm, const float* send, float* recv, int count, int iterations) {
  MPI_Barrier(comm);
  const double start = MPI_Wtime();
  for (int i = 0; i < iterations; ++i) {
    MPI_Allreduce(send, recv, count, MPI_FLOAT, MPI_SUM, comm);
  }
  double seconds = (MPI_Wtime() - start) / iterations;
  MPI_Allreduce(MPI_IN_PLACE, &seconds, 1, MPI_DOUBLE, MPI_MAX, comm);
  return seconds;
}

}  // namespace

int main(int argc, char** argv) {
  MpiRuntime runtime(&argc, &argv);
  const int rounds = argc > 1 ? std::max(3, std::atoi(argv[1])) : 41;
  auto bootstrap = createMpiBootstrap();
  auto backend = createBackend("mpi", *bootstrap, {});
  const bool reporting = bootstrap->place().rank == 0;
  MPI_Comm comm;
  MPI_Comm_dup(MPI_COMM_WORLD, &comm);

  if (reporting) {
    std::printf("# engine overhead: float allreduce out-of-place, %d ranks, %d rounds, "
                "median us per operation\n", backend->size(), rounds);
    std::printf("%10s %8s %12s %12s %9s %10s  %s\n", "bytes", "iters", "bare_us", "engine_us",
                "ratio", "diff_us", "target");
  }
  for (const uint64_t bytes : {8ull, 1024ull, 65536ull, 1048576ull, 16777216ull}) {
    RunConfig config;
    config.collectives = {Collective::kAllReduce};
    config.dtypes = {DType::kFloat};
    config.ops = {RedOp::kSum};
    config.checkIterations = 0;
    config.warmupIterations = 1;  // the engine default
    config.batches = 1;  // one batch per round: bare and engine batches alternate
    const CaseShape shape = shapeOf(Collective::kAllReduce, bytes, 4, backend->size());
    const CaseSpec spec{Collective::kAllReduce, DType::kFloat, RedOp::kSum, -1, bytes, shape,
                        Placement::kOutOfPlace, 1};
    // The bare loop uses buffers allocated the way the engine allocates its own (page-aligned,
    // pre-touched), so only the loop machinery differs.
    BufferPool pool(*backend);
    Operation op(*backend, pool, spec, 0, 1, 1);
    op.prepare();
    config.iterationsPerBatch = calibrate(*backend, *bootstrap, op, 0.005).iterations;
    const int count = static_cast<int>(shape.count);
    const auto* send = static_cast<const float*>(pool.send());
    auto* recv = static_cast<float*>(pool.recv());
    Engine engine(*backend, *bootstrap, config, nullptr);
    std::vector<double> bare, measured;
    for (int round = 0; round < rounds; ++round) {
      for (int b = 0; b < config.batches; ++b) {
        bare.push_back(1e6 * bareBatch(comm, send, recv, count,
                                       config.iterationsPerBatch));
      }
      const CaseRecord record = engine.measure(spec);
      measured.insert(measured.end(), record.samplesUs.begin(), record.samplesUs.end());
    }
    const double bareUs = stats::summarize(bare).median;
    const double engineUs = stats::summarize(measured).median;
    if (reporting) {
      const bool small = bytes <= 1024;
      const bool met = small ? engineUs - bareUs <= 0.3 : engineUs <= bareUs * 1.02;
      std::printf("%10llu %8d %12.3f %12.3f %9.4f %10.3f  %s %s\n",
                  static_cast<unsigned long long>(bytes), config.iterationsPerBatch, bareUs,
                  engineUs, engineUs / bareUs, engineUs - bareUs,
                  small ? "<= +0.3 us" : "<= +2%", met ? "met" : "MISSED");
    }
  }
  MPI_Comm_free(&comm);
  return 0;
}
