#include "backends/nccl/graph_loop.hpp"

#include <algorithm>

#include "backends/nccl/cuda_check.hpp"

namespace cclbench::cuda {

void GraphLoop::launch(const std::function<void()>& issueOnce, int iterations,
                       uint64_t generation, cudaEvent_t start, cudaEvent_t stop) {
  const int perGraph = std::min(iterations, kGraphIterations);
  const int launches = iterations / perGraph;
  const int remainder = iterations % perGraph;
  const Key key{&issueOnce, iterations, generation};
  if (!(key_ == key)) {
    drop();
    full_ = capture(issueOnce, perGraph);
    if (remainder) tail_ = capture(issueOnce, remainder);
    key_ = key;
  }
  check(cudaEventRecord(start, stream_), "cudaEventRecord");
  for (int i = 0; i < launches; ++i) check(cudaGraphLaunch(full_, stream_), "cudaGraphLaunch");
  if (remainder) check(cudaGraphLaunch(tail_, stream_), "cudaGraphLaunch");
  check(cudaEventRecord(stop, stream_), "cudaEventRecord");
}

cudaGraphExec_t GraphLoop::capture(const std::function<void()>& issueOnce, int iterations) {
  cudaGraph_t graph;
  check(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal),
        "cudaStreamBeginCapture");
  for (int i = 0; i < iterations; ++i) issueOnce();
  check(cudaStreamEndCapture(stream_, &graph), "cudaStreamEndCapture");
  cudaGraphExec_t exec;
  check(cudaGraphInstantiate(&exec, graph, 0), "cudaGraphInstantiate");
  cudaGraphDestroy(graph);
  return exec;
}

void GraphLoop::drop() {
  if (full_) cudaGraphExecDestroy(full_);
  if (tail_) cudaGraphExecDestroy(tail_);
  full_ = tail_ = nullptr;
  key_ = {};
}

}  // namespace cclbench::cuda
