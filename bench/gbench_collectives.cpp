/// Google Benchmark programs for all-reduce, all-gather and send/recv over the MPI backend, built
/// on cclbench's engine: one Google Benchmark iteration is one timed batch of operations (its
/// count calibrated to about 2 ms and agreed across ranks), its manual time the slowest rank's
/// time of that whole batch, so Google Benchmark's own stopping rule (--benchmark_min_time)
/// counts real time and every rank takes the same decisions. Per-operation time, algbw and busbw
/// are counters; items_per_second is operations per second. Only rank 0 reports. Its
/// --benchmark_format=json output works with Google Benchmark's compare.py.
///
///   mpirun -np 2 build/bench/cclbench_gbench --benchmark_format=json > run.json

#include <benchmark/benchmark.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "backends/registry.hpp"
#include "engine/batch.hpp"
#include "engine/operation.hpp"
#include "engine/plan.hpp"
#include "launch/mpi_bootstrap.hpp"

namespace {

using namespace cclbench;

Bootstrap* gBootstrap = nullptr;
Backend* gBackend = nullptr;

/// One benchmark iteration = one timed batch of `iterations` operations; its manual time is the
/// slowest rank's time for the whole batch, so every rank feeds Google Benchmark the same numbers.
void collective(benchmark::State& state, Collective collective) {
  const auto requested = static_cast<uint64_t>(state.range(0));
  const CaseShape shape = shapeOf(collective, requested, sizeOf(DType::kFloat), gBackend->size());
  if (shape.count == 0) {
    state.SkipWithError("size rounds down to 0 elements on this many ranks");
    return;
  }
  const CaseSpec spec{collective, DType::kFloat,
                      info(collective).reduces ? RedOp::kSum : RedOp::kNone,
                      -1, requested, shape, Placement::kOutOfPlace, requested};
  BufferPool buffers(*gBackend);
  Operation op(*gBackend, buffers, spec, 0, 1, 64);
  op.prepare();
  const int iterations = calibrate(*gBackend, *gBootstrap, op, 0.002).iterations;
  double seconds = 0;
  for (auto _ : state) {
    const double batch =
        agreedMax(*gBootstrap, timedBatch(*gBackend, *gBootstrap, op, iterations));
    state.SetIterationTime(batch);
    seconds += batch;
  }
  const double operations = static_cast<double>(state.iterations()) * iterations;
  const double perOp = seconds / operations;
  const double algbw = algorithmBytes(collective, shape.sizeBytes) / perOp / 1e9;
  state.SetItemsProcessed(static_cast<int64_t>(operations));
  state.counters["bytes"] = static_cast<double>(shape.sizeBytes);
  state.counters["us_per_op"] = perOp * 1e6;
  state.counters["algbw_GBps"] = algbw;
  state.counters["busbw_GBps"] = algbw * busBandwidthFactor(collective, gBackend->size());
  state.counters["ops_per_iteration"] = iterations;
  state.counters["wrong"] = static_cast<double>(op.countWrong());
}

void sizes(benchmark::internal::Benchmark* b) {
  for (int64_t bytes = 1024; bytes <= (64 << 20); bytes *= 4) b->Arg(bytes);  // 1 KiB .. 64 MiB
  b->UseManualTime()->Unit(benchmark::kMicrosecond);
}

BENCHMARK_CAPTURE(collective, allreduce, Collective::kAllReduce)->Apply(sizes);
BENCHMARK_CAPTURE(collective, allgather, Collective::kAllGather)->Apply(sizes);
BENCHMARK_CAPTURE(collective, sendrecv, Collective::kSendRecv)->Apply(sizes);

/// Discards everything: ranks other than 0 run the same benchmarks silently.
class SilentReporter : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>&) override {}
};

}  // namespace

int main(int argc, char** argv) {
  MpiRuntime runtime(&argc, &argv);
  auto bootstrap = createMpiBootstrap();
  auto backend = createBackend("mpi", *bootstrap, {});
  gBootstrap = bootstrap.get();
  gBackend = backend.get();
  const bool reporting = bootstrap->place().rank == 0;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    // Only rank 0 writes --benchmark_out files.
    if (!reporting && std::strncmp(argv[i], "--benchmark_out", 15) == 0) continue;
    args.push_back(argv[i]);
  }
  int count = static_cast<int>(args.size());
  benchmark::Initialize(&count, args.data());
  if (reporting) {
    benchmark::RunSpecifiedBenchmarks();
  } else {
    SilentReporter silent;
    benchmark::RunSpecifiedBenchmarks(&silent);
  }
  benchmark::Shutdown();
  return 0;
}
