#pragma once
/// CUDA-graph mode: a loop of NCCL calls captured once per case and iteration count (at most
/// kGraphIterations calls per graph, launched as often as needed), so only graph launches are
/// timed, not the host's per-call launch overhead.

#include <cuda_runtime.h>

#include <cstdint>
#include <functional>

namespace cclbench::cuda {

class GraphLoop {
 public:
  static constexpr int kGraphIterations = 100;

  explicit GraphLoop(cudaStream_t stream) : stream_(stream) {}
  ~GraphLoop() { drop(); }
  GraphLoop(const GraphLoop&) = delete;
  GraphLoop& operator=(const GraphLoop&) = delete;

  /// Enqueues `iterations` calls of `issueOnce` as graph launches between `start` and `stop`.
  /// A graph is captured again when the issuer, the count or `generation` (bumped whenever a
  /// case rewrites its buffers, so pointers may differ) changes.
  void launch(const std::function<void()>& issueOnce, int iterations, uint64_t generation,
              cudaEvent_t start, cudaEvent_t stop);

  void drop();

 private:
  cudaGraphExec_t capture(const std::function<void()>& issueOnce, int iterations);

  struct Key {
    const void* issuer = nullptr;
    int iterations = 0;
    uint64_t generation = 0;
    bool operator==(const Key&) const = default;
  };
  cudaStream_t stream_;
  Key key_;
  cudaGraphExec_t full_ = nullptr;
  cudaGraphExec_t tail_ = nullptr;
};

}  // namespace cclbench::cuda
