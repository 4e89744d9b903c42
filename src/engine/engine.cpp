#include "engine/engine.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <tuple>

#include "core/error.hpp"
#include "core/pair_rounds.hpp"
#include "core/sizes.hpp"
#include "engine/batch.hpp"
#include "engine/operation.hpp"

namespace cclbench {
namespace {

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int operationsPerIteration(Collective c, int window) {
  return info(c).operationsPerIteration(window);
}

std::string describe(const CaseSpec& spec) {
  std::string text = std::string(name(spec.collective)) + " " + formatBytes(spec.shape.sizeBytes) +
                     " " + name(spec.dtype);
  if (spec.op != RedOp::kNone) text += std::string(" ") + name(spec.op);
  if (spec.root >= 0) text += " root " + std::to_string(spec.root);
  if (spec.pairRound >= 0) text += " pair round " + std::to_string(spec.pairRound + 1);
  text += spec.placement == Placement::kInPlace ? " in-place" : " out-of-place";
  return text;
}

struct Engine::Impl {
  Backend& backend;
  Bootstrap& bootstrap;
  const RunConfig& config;
  Watchdog* watchdog;
  BufferPool buffers;
  std::vector<std::vector<MemberPair>> rounds;

  int corruptRank;  ///< the hidden test switch
  bool measuringDefault = true;  ///< no candidate forced: never stopped outpaced
  /// What a case is apart from the candidate measuring it.
  using CaseKey = std::tuple<Collective, DType, RedOp, int, Placement, uint64_t, int>;
  /// --stop-outpaced: per case, the lowest high end of a median's CI measured so far.
  std::map<CaseKey, double> bestHighUs;

  Impl(Backend& b, Bootstrap& boot, const RunConfig& c, Watchdog* w)
      : backend(b), bootstrap(boot), config(c), watchdog(w), buffers(b), corruptRank(c.testCorruptRank) {}

  void step(const std::string& activity) {
    if (watchdog) watchdog->arm(activity);
  }
  void kick() {
    if (watchdog) watchdog->kick();
  }

  /// --all-pairs: the circle method's rounds over this run's ranks (made once).
  const std::vector<std::vector<MemberPair>>& pairRounds() {
    if (rounds.empty()) rounds = circleRounds(bootstrap.place().size);
    return rounds;
  }

  /// This rank's pair in `spec`: the configured one, or its pair in the spec's round of every
  /// pair ({-1, -1} while it rests there).
  std::pair<int, int> peersFor(const CaseSpec& spec) {
    if (spec.pairRound < 0) return {config.peerA, config.peerB};
    const int me = bootstrap.place().rank;
    const int partner = partnerIn(pairRounds().at(static_cast<std::size_t>(spec.pairRound)), me);
    if (partner < 0) return {-1, -1};
    return {std::min(me, partner), std::max(me, partner)};
  }

  /// The reference rank of aggregation mode rank0: rank 0, or the first of a point-to-point pair
  /// (of the round's first pair with --all-pairs).
  int referenceRank(const CaseSpec& spec) {
    if (!info(spec.collective).pointToPoint) return 0;
    if (spec.pairRound < 0) return config.peerA;
    return pairRounds().at(static_cast<std::size_t>(spec.pairRound)).front().first;
  }

  /// Combines per-rank values element-wise as -a says (idle ranks of point-to-point excluded)
  /// into values every rank agrees on bit for bit; `elapsed` becomes the ranks' agreed elapsed
  /// time (max for -a 2/3, mean otherwise).
  std::vector<double> combine(std::vector<double> values, bool participant, int reference,
                              double& elapsed) {
    const std::size_t n = values.size();
    const bool isReference = bootstrap.place().rank == reference;
    std::vector<double> v(n + 2, 0.0);
    for (std::size_t i = 0; i < n; ++i) {
      switch (config.aggregation) {
        case Aggregation::kMax:
        case Aggregation::kMean: v[i] = participant ? values[i] : 0; break;
        case Aggregation::kMin:
          v[i] = participant ? values[i] : std::numeric_limits<double>::infinity();
          break;
        case Aggregation::kRank0: v[i] = isReference ? values[i] : 0; break;
      }
    }
    v[n] = config.aggregation == Aggregation::kMean ? (participant ? 1 : 0) : 1;
    v[n + 1] = config.aggregation == Aggregation::kMin ? -elapsed : elapsed;
    const int count = static_cast<int>(v.size());
    if (config.aggregation == Aggregation::kMax) {
      bootstrap.allReduce(v.data(), count, Bootstrap::Op::kMax);
    } else if (config.aggregation == Aggregation::kMin) {
      bootstrap.allReduce(v.data(), count, Bootstrap::Op::kMin);
      v[n + 1] = -v[n + 1];
    } else {
      bootstrap.allReduce(v.data(), count, Bootstrap::Op::kSum);
      // Sums may round differently on different ranks: everyone takes rank 0's.
      bootstrap.broadcast(v.data(), v.size() * sizeof(double), 0);
      v[n + 1] /= bootstrap.place().size;
      if (config.aggregation == Aggregation::kMean) {
        for (std::size_t i = 0; i < n; ++i) v[i] /= v[n];
      }
    }
    elapsed = v[n + 1];
    v.resize(n);
    return v;
  }

  BatchTiming timing() const {
    return config.syncEach ? BatchTiming::kSyncEach : BatchTiming::kPipelined;
  }

  double timedBatch(Operation& op, int iterations) {
    kick();
    return cclbench::timedBatch(backend, bootstrap, op, iterations, timing());
  }

  CaseRecord measure(const CaseSpec& spec) {
    const std::string what = describe(spec);
    const int divisor = operationsPerIteration(spec.collective, config.window);
    const int reference = referenceRank(spec);
    const double secondsToUs = 1e6 / divisor;

    step("preparing buffers for " + what);
    const auto [peerA, peerB] = peersFor(spec);
    Operation op(backend, buffers, spec, peerA, peerB, config.window, config.stream);
    op.prepare(config.checkIterations > 0);

    step(what + " (warm-up)");
    double warmupSeconds = 0;  // agreed, so calibration can start from it
    if (config.warmupIterations > 0) {
      warmupSeconds = agreedMax(bootstrap, timedBatch(op, config.warmupIterations));
    }
    step(what + " (calibration)");
    CaseRecord record;
    int iterations = config.iterationsPerBatch;
    if (iterations <= 0) {
      const Calibration c = calibrate(backend, bootstrap, op, config.batchSeconds,
                                      config.warmupIterations, warmupSeconds, timing());
      iterations = c.iterations;
      record.calibration = CalibrationInfo{c.batchSeconds, c.probes};
    }
    record.iterationsPerBatch = iterations;
    std::vector<double> localUs;
    step(what);
    const auto start = std::chrono::steady_clock::now();
    while (true) {
      const double local = timedBatch(op, iterations) / iterations * secondsToUs;
      localUs.push_back(local);
      double elapsed = secondsSince(start);
      record.samplesUs.push_back(combine({local}, op.participates(), reference, elapsed)[0]);
      const auto batches = static_cast<int>(record.samplesUs.size());
      if (config.batches > 0) {
        if (batches >= config.batches) {
          record.stopReason = "fixed";
          break;
        }
        continue;
      }
      const bool mayStop = batches >= config.minBatches;
      const bool mayLose = config.stopOutpaced >= 0 && batches >= kOutpacedMinBatches;
      if (!mayStop && !mayLose) continue;
      const stats::Summary sofar = stats::summarize(record.samplesUs);
      if (mayStop && stats::relativeHalfWidth(sofar) <= config.precision) {
        record.stopReason = "precision";
        break;
      }
      if (mayLose && outpaced(spec, sofar)) {
        record.stopReason = "outpaced";
        break;
      }
      if (!mayStop) continue;
      if (batches >= config.maxBatches) {
        record.stopReason = "max-batches";
        break;
      }
      if (elapsed >= config.sizeBudgetSeconds) {
        record.stopReason = "budget";
        break;
      }
    }

    checkData(op, record, what);
    if (config.perIteration) timeSingleIterations(op, reference, secondsToUs, record, what);

    step(what + " (summary)");
    record.timeUs = stats::summarize(record.samplesUs);
    if (config.stopOutpaced >= 0 && record.wrong == 0) {  // later candidates stop above it
      auto [best, added] = bestHighUs.emplace(sameCase(spec), record.timeUs.medianCi.high);
      if (!added) best->second = std::min(best->second, record.timeUs.medianCi.high);
    }
    const stats::Summary mine = stats::summarize(localUs);
    const auto [slowestUs, slowestRank] = bootstrap.maxLocation(op.participates() ? mine.median : -1);
    record.slowestRank = slowestRank;
    record.slowestRankMedianUs = slowestUs;
    // Every pair's own figure is in its ranks' times: --all-pairs keeps them always.
    if (config.perRankTimes || spec.pairRound >= 0) gatherPerRank(localUs, record);
    if (spec.pairRound >= 0) {
      record.pairRound = spec.pairRound;
      record.pairs = pairRounds().at(static_cast<std::size_t>(spec.pairRound));
    }
    fillIdentity(spec, record);
    if (watchdog) watchdog->disarm();
    return record;
  }

  static CaseKey sameCase(const CaseSpec& spec) {
    return {spec.collective, spec.dtype, spec.op, spec.root, spec.placement, spec.shape.sizeBytes,
            spec.pairRound};
  }

  /// --stop-outpaced: the case has lost against one measured before it at the same size (the
  /// samples are combined, the same on every rank, so every rank stops together). Never the
  /// default's: every decision compares against it, so it is measured to the precision even
  /// where it has lost.
  bool outpaced(const CaseSpec& spec, const stats::Summary& sofar) const {
    if (config.stopOutpaced < 0 || measuringDefault) return false;
    const auto best = bestHighUs.find(sameCase(spec));
    return best != bestHighUs.end() && sofar.medianCi.low > best->second * (1 + config.stopOutpaced);
  }

  void checkData(Operation& op, CaseRecord& record, const std::string& what) {
    if (config.checkIterations == 0) return;
    step(what + " (data check)");
    uint64_t wrong = 0;
    const bool corrupt = corruptRank == backend.rank();
    // The last timed batch's own output, where every rank's output is still predictable (one
    // rank's in-place result may overwrite what another rank reads next time: decide together).
    uint64_t repeatable = op.repeatable() ? 1 : 0;
    bootstrap.allReduce(&repeatable, 1, Bootstrap::Op::kMin);
    if (repeatable) {
      if (corrupt) op.corruptOutput();
      wrong += op.countWrong();
    }
    const int freshRuns = repeatable ? config.checkIterations - 1 : config.checkIterations;
    for (int i = 0; i < freshRuns; ++i) {
      op.prepare();
      bootstrap.barrier();
      if (op.participates()) {
        op.once()();
        backend.synchronize();
      }
      if (corrupt) op.corruptOutput();
      wrong += op.countWrong();
    }
    uint64_t total[2] = {wrong, op.hasCheckedOutput() ? 1u : 0u};
    bootstrap.allReduce(total, 2, Bootstrap::Op::kSum);
    record.wrong = total[0];
    record.checked = total[1] > 0;
  }

  void timeSingleIterations(Operation& op, int reference, double secondsToUs, CaseRecord& record,
                            const std::string& what) {
    step(what + " (per-iteration timing)");
    std::vector<double> seconds(static_cast<std::size_t>(config.perIterationCount), 0.0);
    bootstrap.barrier();
    if (op.participates()) backend.timeEachIteration(op.once(), seconds);
    for (double& s : seconds) s *= secondsToUs;
    double unused = 0;
    std::vector<double> combined = combine(seconds, op.participates(), reference, unused);
    std::sort(combined.begin(), combined.end());
    record.perIteration = PerIterationStats{combined.size(), stats::quantile(combined, 0.5),
                                            stats::quantile(combined, 0.99), combined.front(),
                                            combined.back()};
  }

  void gatherPerRank(const std::vector<double>& localUs, CaseRecord& record) {
    std::vector<char> all;
    bootstrap.gatherToRoot(localUs.data(), localUs.size() * sizeof(double), all);
    if (bootstrap.place().rank != 0) return;
    const std::size_t perRank = localUs.size();
    const auto* values = reinterpret_cast<const double*>(all.data());
    for (int r = 0; r < bootstrap.place().size; ++r) {
      record.perRankSamplesUs.emplace_back(values + r * perRank, values + (r + 1) * perRank);
    }
  }

  void fillIdentity(const CaseSpec& spec, CaseRecord& record) const {
    record.collective = spec.collective;
    record.dtype = spec.dtype;
    record.op = spec.op;
    record.root = spec.root;
    record.placement = spec.placement;
    record.sizeBytes = spec.shape.sizeBytes;
    record.count = spec.shape.count;
    record.ranks = backend.size();
    record.aggregation = config.aggregation;
    record.candidate = config.candidate;
    const double seconds = record.timeUs.median * 1e-6;
    if (seconds > 0) {
      record.algBandwidthGBps = algorithmBytes(spec.collective, spec.shape.sizeBytes) / seconds / 1e9;
      record.busBandwidthGBps =
          record.algBandwidthGBps * busBandwidthFactor(spec.collective, backend.size());
    }
  }
};

void Engine::setTestCorruptRank(int rank) { impl_->corruptRank = rank; }

void Engine::setMeasuringDefault(bool measuringDefault) { impl_->measuringDefault = measuringDefault; }

Engine::Engine(Backend& backend, Bootstrap& bootstrap, const RunConfig& config, Watchdog* watchdog)
    : impl_(std::make_unique<Impl>(backend, bootstrap, config, watchdog)) {}

Engine::~Engine() = default;

CaseRecord Engine::measure(const CaseSpec& spec) { return impl_->measure(spec); }

void Engine::reserveFor(const std::vector<CaseSpec>& specs) {
  std::size_t send = 0, recv = 0;
  for (const CaseSpec& spec : specs) {
    const auto [s, r] = Operation::bufferBytes(spec);
    send = std::max(send, s);
    recv = std::max(recv, r);
  }
  try {
    impl_->buffers.reserve(send, recv);
  } catch (const Error&) {
    // Not that much memory: the cases allocate as they go, and the one that does not fit fails.
  }
}

}  // namespace cclbench
