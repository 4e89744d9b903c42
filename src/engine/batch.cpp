#include "engine/batch.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace cclbench {

double timedBatch(Backend& backend, Bootstrap& bootstrap, Operation& op, int iterations) {
  bootstrap.barrier();
  return op.participates() ? backend.timeIterations(op.issuer(), iterations) : 0.0;
}

double agreedMax(Bootstrap& bootstrap, double value) {
  bootstrap.allReduce(&value, 1, Bootstrap::Op::kMax);
  return value;
}

int calibrateIterations(Backend& backend, Bootstrap& bootstrap, Operation& op, double batchSeconds,
                        int knownIterations, double knownSeconds) {
  int iterations = knownIterations > 0 ? knownIterations : 1;
  while (true) {
    const double seconds =
        knownIterations > 0
            ? std::exchange(knownSeconds, 0.0)
            : agreedMax(bootstrap, timedBatch(backend, bootstrap, op, iterations));
    knownIterations = 0;
    if (seconds >= batchSeconds / 8 || iterations >= kMaxIterationsPerBatch) {
      const double perIteration = std::max(seconds / iterations, 1e-9);
      return std::clamp(static_cast<int>(std::lround(batchSeconds / perIteration)), 1,
                        kMaxIterationsPerBatch);
    }
    iterations = std::min(iterations * 4, kMaxIterationsPerBatch);
  }
}

}  // namespace cclbench
