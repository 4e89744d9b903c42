// The NCCL tuner plugin's decision, as NCCL makes it: ncclTunerPlugin_v5.getCollInfo through
// dlopen, with a 100-rule config (20 per collective, adjacent byte ranges, some with topology
// filters), on a cost table of NCCL's shape. Issue 8 asks for a median of at most 50 ns.
//   cclbench_tuner_bench --benchmark_repetitions=10 --benchmark_report_aggregates_only=true
#include <dlfcn.h>
#include <unistd.h>

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "tuner_abi.h"

namespace {

const char* const kCollectives[] = {"broadcast", "reduce", "allgather", "reducescatter", "allreduce"};
const char* const kAlgorithms[] = {"tree", "ring", "pat"};
const char* const kProtocols[] = {"ll", "ll128", "simple"};

/// 100 rules: per collective 20 adjacent ranges doubling from 1 KiB, every fourth for 16 ranks
/// only (so the 8-rank communicator skips it), plus a catch-all.
std::string config() {
  std::string text = "# 100-rule benchmark config\n";
  int n = 0;
  for (int c = 0; c < 5; ++c) {
    uint64_t lo = 0;
    for (int i = 0; i < 19; ++i, ++n) {
      const uint64_t hi = (1024ull << i) - 1;
      text += std::string(kCollectives[c]) + "," + std::to_string(lo) + "," + std::to_string(hi) +
              "," + kAlgorithms[n % 3] + "," + kProtocols[(n / 3) % 3] + ",-1,-1," +
              (i % 4 == 3 ? "16" : "-1") + "\n";
      lo = hi + 1;
    }
    text += std::string(kCollectives[c]) + ",0,-1,ring,simple,-1,-1,-1\n";
  }
  return text;
}

struct Plugin {
  Plugin() {
    path = std::string("/tmp/cclbench-tuner-bench-") + std::to_string(getpid()) + ".conf";
    std::ofstream(path) << config();
    setenv("CCLBENCH_TUNER_CONFIG", path.c_str(), 1);
    handle = dlopen(CCLBENCH_TUNER_PLUGIN, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      std::fprintf(stderr, "cannot load %s: %s\n", CCLBENCH_TUNER_PLUGIN, dlerror());
      std::exit(1);
    }
    v5 = static_cast<const cclt_tuner_v5*>(dlsym(handle, "ncclTunerPlugin_v5"));
    v5->init(&context, 1, 8, 1, nullptr, nullptr, nullptr);
  }
  ~Plugin() {
    v5->finalize(context);
    dlclose(handle);
    std::remove(path.c_str());
  }
  std::string path;
  void* handle = nullptr;
  const cclt_tuner_v5* v5 = nullptr;
  void* context = nullptr;
};

void BM_GetCollInfoV5(benchmark::State& state) {
  static Plugin plugin;
  std::vector<size_t> sizes;  // every size of a sweep, 8 B to 1 GiB
  for (size_t s = 8; s <= (1ull << 30); s *= 2) sizes.push_back(s);
  float cost[CCLT_NUM_ALGORITHMS][CCLT_NUM_PROTOCOLS];
  std::size_t i = 0;
  int collective = static_cast<int>(state.range(0));
  for (auto _ : state) {
    for (auto& row : cost) {
      for (float& c : row) c = 1.0f;
    }
    int channels = 0;
    plugin.v5->getCollInfo(plugin.context, collective, sizes[i], 1, reinterpret_cast<float**>(cost),
                           CCLT_NUM_ALGORITHMS, CCLT_NUM_PROTOCOLS, 0, &channels);
    benchmark::DoNotOptimize(cost);
    if (++i == sizes.size()) i = 0;
  }
}
BENCHMARK(BM_GetCollInfoV5)->Arg(4)->Arg(0);

}  // namespace

BENCHMARK_MAIN();
