/// The nightly drift test on synthetic histories (issue 10): how often quiet noisy histories of
/// 60 nights raise an alarm (1,000 seeds), and how soon a 0.5%-a-night drift from night 30 and an
/// 8% step at night 30 are flagged, with where the change is placed.
///
///   build/bench/cclbench_changepoint_alarms [seeds] [noise]     (defaults 1000, 0.02)
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "analysis/changepoint.hpp"

namespace {

using cclbench::analysis::findChangePoint;

template <typename Shape>
std::vector<double> history(int nights, double noise, uint64_t seed, Shape shape) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> n(0, noise);
  std::vector<double> out;
  for (int night = 0; night < nights; ++night) out.push_back(10 * shape(night) * std::exp(n(rng)));
  return out;
}

/// Nightly's alarm: p <= 0.01 and the recent values slower by over 3%.
bool alarm(const std::vector<double>& s, bool* significant = nullptr) {
  const auto cp = findChangePoint(s);
  if (significant) *significant = cp && cp->p <= 0.01;
  return cp && cp->p <= 0.01 && cp->change() > 0.03;
}

template <typename Shape>
void delays(const char* what, int seeds, double noise, Shape shape) {
  std::vector<int> delay, offset;
  int missed = 0;
  for (int seed = 1; seed <= seeds; ++seed) {
    const auto s = history(60, noise, 1000000 + seed, shape);
    int flagged = -1;
    for (int night = 31; night <= 60 && flagged < 0; ++night) {
      if (alarm(std::vector<double>(s.begin(), s.begin() + night))) flagged = night - 1;
    }
    if (flagged < 0) {
      ++missed;
      continue;
    }
    delay.push_back(flagged - 30);
    const auto cp = findChangePoint(std::vector<double>(s.begin(), s.begin() + flagged + 1));
    offset.push_back(std::abs(static_cast<int>(cp->index) - 30));
  }
  std::sort(delay.begin(), delay.end());
  std::sort(offset.begin(), offset.end());
  if (delay.empty()) {
    std::printf("%s: never flagged in %d seeds\n", what, seeds);
    return;
  }
  std::printf("%s (%d seeds, noise %.1f%%): flagged after %d / %d / %d nights (min / median / max), "
              "missed %d; change placed %d / %d nights from the truth (median / max)\n",
              what, seeds, noise * 100, delay.front(), delay[delay.size() / 2], delay.back(), missed,
              offset[offset.size() / 2], offset.back());
}

}  // namespace

int main(int argc, char** argv) {
  const int seeds = argc > 1 ? std::atoi(argv[1]) : 1000;
  const double noise = argc > 2 ? std::atof(argv[2]) : 0.02;
  int alarms = 0, significant = 0;
  for (int seed = 1; seed <= seeds; ++seed) {
    bool sig = false;
    alarms += alarm(history(60, noise, seed, [](int) { return 1.0; }), &sig);
    significant += sig;
  }
  std::printf("quiet histories of 60 nights (%d seeds, noise %.1f%%): %d alarms (%.2f%%); %d significant at "
              "1%% before the 3%% threshold (%.2f%%)\n",
              seeds, noise * 100, alarms, 100.0 * alarms / seeds, significant, 100.0 * significant / seeds);
  const int few = std::min(seeds, 200);
  delays("0.5%/night drift from night 30", few, noise,
         [](int night) { return night >= 30 ? std::pow(1.005, night - 29) : 1.0; });
  delays("8% step at night 30", few, noise, [](int night) { return night >= 30 ? 1.08 : 1.0; });
  return 0;
}
