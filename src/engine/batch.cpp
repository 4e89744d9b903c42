#include "engine/batch.hpp"

#include <algorithm>
#include <cmath>

namespace cclbench {

double timedBatch(Backend& backend, Bootstrap& bootstrap, Operation& op, int iterations) {
  bootstrap.barrier();
  return op.participates() ? backend.timeIterations(op.issuer(), iterations) : 0.0;
}

double agreedMax(Bootstrap& bootstrap, double value) {
  bootstrap.allReduce(&value, 1, Bootstrap::Op::kMax);
  return value;
}

int calibrateIterations(Backend& backend, Bootstrap& bootstrap, Operation& op,
                        double batchSeconds) {
  int iterations = 1;
  while (true) {
    const double seconds = agreedMax(bootstrap, timedBatch(backend, bootstrap, op, iterations));
    if (seconds >= batchSeconds / 8 || iterations >= kMaxIterationsPerBatch) {
      const double perIteration = std::max(seconds / iterations, 1e-9);
      return std::clamp(static_cast<int>(std::lround(batchSeconds / perIteration)), 1,
                        kMaxIterationsPerBatch);
    }
    iterations = std::min(iterations * 4, kMaxIterationsPerBatch);
  }
}

}  // namespace cclbench
