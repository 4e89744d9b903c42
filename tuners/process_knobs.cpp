#include "tuners/process_knobs.hpp"

#include <cmath>
#include <sstream>

#include "core/error.hpp"
#include "core/stats.hpp"

namespace cclbench::tune {
namespace {

const std::vector<ProcessKnob>& knownKnobs() {
  static const std::vector<ProcessKnob> knobs = {
      {"NCCL_NTHREADS", {"64", "128", "256", "512"}},
      {"NCCL_BUFFSIZE", {"1048576", "2097152", "4194304", "8388608", "16777216"}},
      {"NCCL_MIN_CTAS", {"1", "2", "4", "8", "16", "32"}},
      {"NCCL_MAX_CTAS", {"1", "2", "4", "8", "16", "32"}},
      {"NCCL_NCHANNELS_PER_NET_PEER", {"1", "2", "4"}},
  };
  return knobs;
}

/// Pooled median per (collective, size) over launches.
std::map<std::pair<Collective, uint64_t>, double> pooledMedians(const std::vector<LaunchMeasurement>& launches) {
  std::map<std::pair<Collective, uint64_t>, std::vector<double>> pooled;
  for (const LaunchMeasurement& m : launches) {
    for (const auto& [key, samples] : m.samplesUs) {
      pooled[key].insert(pooled[key].end(), samples.begin(), samples.end());
    }
  }
  std::map<std::pair<Collective, uint64_t>, double> out;
  for (const auto& [key, samples] : pooled) {
    if (!samples.empty()) out[key] = stats::summarize(samples).median;
  }
  return out;
}

}  // namespace

std::vector<ProcessKnob> parseProcessKnobs(const std::string& list) {
  std::vector<ProcessKnob> out;
  std::stringstream words(list);
  std::string word;
  while (std::getline(words, word, ',')) {
    if (word.empty()) continue;
    const std::string variable = word.rfind("NCCL_", 0) == 0 ? word : "NCCL_" + word;
    bool found = false;
    for (const ProcessKnob& k : knownKnobs()) {
      if (k.variable != variable) continue;
      found = true;
      bool twice = false;
      for (const ProcessKnob& o : out) twice = twice || o.variable == variable;
      if (!twice) out.push_back(k);
    }
    if (!found) {
      throw usageError("--process-knobs: no knob '" + word +
                       "' (NTHREADS BUFFSIZE MIN_CTAS MAX_CTAS NCHANNELS_PER_NET_PEER)");
    }
  }
  if (out.empty()) throw usageError("--process-knobs needs at least one knob");
  return out;
}

Speedup speedupOf(const std::vector<LaunchMeasurement>& reference,
                  const std::vector<LaunchMeasurement>& candidate) {
  const auto ref = pooledMedians(reference), cand = pooledMedians(candidate);
  double logSum = 0, worst = 0;
  int n = 0;
  for (const auto& [key, r] : ref) {
    const auto c = cand.find(key);
    if (c == cand.end() || !(r > 0) || !(c->second > 0)) continue;
    const double ratio = r / c->second;
    logSum += std::log(ratio);
    worst = n == 0 ? ratio : std::min(worst, ratio);
    ++n;
  }
  return n == 0 ? Speedup{} : Speedup{std::exp(logSum / n), worst};
}

std::string proposeValue(const std::vector<LaunchMeasurement>& reference,
                         const std::map<std::string, LaunchMeasurement>& byValue, double threshold,
                         std::map<std::string, double>& screened) {
  std::string best;
  double bestGeomean = 0;
  for (const auto& [value, m] : byValue) {
    const Speedup s = speedupOf(reference, {m});
    screened[value] = s.geomean;
    if (s.geomean >= 1 + threshold && s.worst >= 1 - threshold && s.geomean > bestGeomean) {
      best = value;
      bestGeomean = s.geomean;
    }
  }
  return best;
}

bool holdsUp(const std::vector<LaunchMeasurement>& launches, double threshold, double& speedup,
             std::string& why) {
  std::vector<LaunchMeasurement> ref, tuned;
  for (const LaunchMeasurement& m : launches) (m.tuned ? tuned : ref).push_back(m);
  if (ref.empty() || tuned.empty()) {
    why = "no launches to compare";
    return false;
  }
  const Speedup pooled = speedupOf(ref, tuned);
  speedup = pooled.geomean;
  if (pooled.geomean < 1 + threshold) {
    why = "validated speedup " + std::to_string(pooled.geomean).substr(0, 5) + " is below the threshold";
    return false;
  }
  if (pooled.worst < 1 - threshold) {
    why = "slower by " + std::to_string(100 * (1 / pooled.worst - 1)).substr(0, 4) + "% at some size";
    return false;
  }
  // Every value launch's geometric mean beats every reference launch's (against the pooled
  // reference): a launch that ran in a slow state of the machine cannot carry it.
  for (const LaunchMeasurement& t : tuned) {
    for (const LaunchMeasurement& r : ref) {
      if (speedupOf(ref, {t}).geomean <= speedupOf(ref, {r}).geomean) {
        why = "a reference launch was as fast as a launch with the value";
        return false;
      }
    }
  }
  return true;
}

}  // namespace cclbench::tune
