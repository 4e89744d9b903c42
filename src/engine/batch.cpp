#include "engine/batch.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace cclbench {

double timedBatch(Backend& backend, Bootstrap& bootstrap, Operation& op, int iterations,
                  BatchTiming timing) {
  if (timing == BatchTiming::kPipelined) {
    bootstrap.barrier();
    if (!op.participates()) return 0.0;
    if (!op.finisher()) return backend.timeIterations(op.issuer(), iterations);
    // A stream: the last iteration also completes what is in flight and takes the ack, inside
    // the timed region.
    const std::function<void()>& issue = op.issuer();
    const std::function<void()>& finish = op.finisher();
    int left = iterations;
    return backend.timeIterations(
        [&] {
          issue();
          if (--left == 0) finish();
        },
        iterations);
  }
  double total = 0;
  double one = 0;
  for (int i = 0; i < iterations; ++i) {
    backend.lineUp(bootstrap);
    if (op.participates()) backend.timeEachIteration(op.once(), {&one, 1});
    total += one;
  }
  return op.participates() ? total : 0.0;
}

double agreedMax(Bootstrap& bootstrap, double value) {
  bootstrap.allReduce(&value, 1, Bootstrap::Op::kMax);
  return value;
}

Calibration calibrate(Backend& backend, Bootstrap& bootstrap, Operation& op, double batchSeconds,
                      int warmupIterations, double warmupSeconds, BatchTiming timing) {
  // One cold iteration four times the target: a warm one is still above the target (1 it is).
  if (warmupIterations > 0 && warmupSeconds / warmupIterations > 4 * batchSeconds) {
    return {1, warmupSeconds / warmupIterations, 0};
  }
  constexpr int kMaxProbes = 12;
  Calibration c;
  while (true) {
    const double seconds =
        agreedMax(bootstrap, timedBatch(backend, bootstrap, op, c.iterations, timing));
    ++c.probes;
    c.batchSeconds = seconds;
    const bool inBand = seconds >= kAcceptLow * batchSeconds && seconds <= kAcceptHigh * batchSeconds;
    const bool tooLongAtOne = seconds > kAcceptHigh * batchSeconds && c.iterations == 1;
    if (inBand || tooLongAtOne || c.probes >= kMaxProbes ||
        (seconds < batchSeconds && c.iterations >= kMaxIterationsPerBatch)) {
      return c;
    }
    // Every rank computes the next guess from the same agreed time, so they stay in step.
    const double perIteration = std::max(seconds / c.iterations, 1e-12);
    const double guess = batchSeconds / perIteration;
    const double lowest = seconds < batchSeconds ? c.iterations + 1.0 : 1.0;
    const double highest = std::min(static_cast<double>(kMaxIterationsPerBatch),
                                    seconds < batchSeconds ? c.iterations * 64.0 : c.iterations - 1.0);
    c.iterations = static_cast<int>(std::clamp(std::round(guess), lowest, std::max(lowest, highest)));
  }
}

}  // namespace cclbench
