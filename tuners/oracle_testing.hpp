#pragma once
/// Tests only: a knob space and a trial runner without any library. The space has plain
/// algorithms and one with an ordered knob (a segment size); the runner knows every candidate's
/// true time per size, answers with seeded noise, and charges trial time as a launch would (a
/// start-up cost, warm-up, calibration, the batches asked for).

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/stats.hpp"
#include "tuners/search.hpp"
#include "tuners/trial_cost.hpp"

namespace cclbench::tune::testing {

class OracleSpace final : public KnobSpace {
 public:
  OracleSpace(int plainAlgorithms, std::vector<std::string> segments,
              Application application = Application::kPerLaunch)
      : plain_(plainAlgorithms), segments_(std::move(segments)), application_(application) {}
  std::string name() const override { return "oracle"; }
  Application application() const override { return application_; }
  bool tunes(Collective) const override { return true; }
  std::vector<Candidate> candidates(Collective) const override {
    std::vector<Candidate> out{Candidate{}};
    for (int a = 1; a <= plain_; ++a) out.push_back({{{"algorithm", std::to_string(a)}}});
    for (const auto& s : segments_) out.push_back(segmented(s));
    return out;
  }
  std::vector<Candidate> seeds(Collective) const override {
    std::vector<Candidate> out{Candidate{}};
    for (int a = 1; a <= plain_; ++a) out.push_back({{{"algorithm", std::to_string(a)}}});
    if (!segments_.empty()) {
      out.push_back(segmented(segments_.back()));
      out.push_back(segmented(segments_[(segments_.size() - 1) / 2]));
    }
    return out;
  }
  std::vector<Candidate> neighbours(Collective, const Candidate& from) const override {
    const auto it = from.knobs.find("segsize");
    if (it == from.knobs.end()) return {};
    std::vector<Candidate> out;
    for (std::size_t i = 0; i < segments_.size(); ++i) {
      if (segments_[i] != it->second) continue;
      if (i > 0) out.push_back(segmented(segments_[i - 1]));
      if (i + 1 < segments_.size()) out.push_back(segmented(segments_[i + 1]));
    }
    return out;
  }
  LaunchSettings launchSettings(Collective, const Candidate&) const override { return {}; }
  const std::string& source() const override { return source_; }
  std::string describe(Collective, const Candidate& c) const override {
    if (c.isDefault()) return "default";
    std::string text;
    for (const auto& [k, v] : c.knobs) text += (text.empty() ? "" : " ") + k + "=" + v;
    return text;
  }
  static Candidate segmented(const std::string& size) {
    return {{{"algorithm", "99"}, {"segsize", size}}};
  }

 private:
  int plain_;
  std::vector<std::string> segments_;
  Application application_;
  std::string source_ = "oracle";
};

/// True time (us) of a candidate at a size.
using TruthTable = std::map<Candidate, std::map<uint64_t, double>>;

/// What each trial pays to start: where candidates are applied per launch, a launch of its own;
/// where they are switched inside one (`perCase`), a share of one start-up per announced round
/// and effort, as LaunchRunner launches them (a trial asked for alone pays its own), plus a
/// communicator per trial.
class StartUps {
 public:
  StartUps(double launchSeconds, bool perCase) : launchSeconds_(launchSeconds), perCase_(perCase) {}

  void announce(const std::vector<TrialRequest>& requests) {
    if (!perCase_) return;
    outpacing.announce(requests);
    announced_.clear();
    std::vector<std::vector<const TrialRequest*>> byEffort;  // one launch each
    for (const TrialRequest& r : requests) {
      auto it = std::find_if(byEffort.begin(), byEffort.end(),
                             [&](const auto& g) { return g.front()->effort == r.effort; });
      if (it == byEffort.end()) byEffort.push_back({&r});
      else it->push_back(&r);
    }
    for (const auto& group : byEffort) {
      TrialRequest launch = *group.front();
      for (const TrialRequest* r : group) {
        launch.sizes.back() = std::max(launch.sizes.back(), r->sizes.back());  // its buffers
      }
      const double share = startUpSeconds(launchSeconds_, launch) / static_cast<double>(group.size());
      for (const TrialRequest* r : group) announced_.emplace_back(*r, share);
    }
  }

  double charge(const TrialRequest& r) {
    double seconds = startUpSeconds(launchSeconds_, r);
    if (!perCase_) return seconds;
    const auto it = std::find_if(announced_.begin(), announced_.end(),
                                 [&](const auto& a) { return a.first == r; });
    if (it != announced_.end()) {
      seconds = it->second;
      announced_.erase(it);
    }
    return seconds + kSwitchSeconds;
  }

  /// The cases of a round's launch that --stop-outpaced compares (switched candidates only).
  Outpacing outpacing;

 private:
  /// Forcing a candidate inside a launch: writing coll/tuned's variables and a fresh
  /// communicator (MPI_Comm_dup: well under a millisecond on 2 local ranks here).
  static constexpr double kSwitchSeconds = 0.001;

  double launchSeconds_;
  bool perCase_;
  std::vector<std::pair<TrialRequest, double>> announced_;  ///< each with its share of a start-up
};

class OracleRunner final : public TrialRunner {
 public:
  OracleRunner(TruthTable truth, double noise, uint64_t seed, double launchSeconds = 0.5,
               bool perCase = false)
      : truth_(std::move(truth)), noise_(noise), rng_(seed), startUps_(launchSeconds, perCase) {}

  std::function<bool(const Candidate&)> fails = [](const Candidate&) { return false; };

  void prefetch(const std::vector<TrialRequest>& requests) override { startUps_.announce(requests); }

  TrialResult run(const TrialRequest& r) override {
    TrialResult out;
    out.seconds = startUps_.charge(r);
    out.runId = "oracle-" + std::to_string(++trials_);
    if (fails(r.candidate)) {
      out.ok = false;
      out.exitCode = 7;
      out.failure = "wrong data";
      return out;
    }
    std::normal_distribution<double> gauss(0, noise_);
    for (uint64_t size : r.sizes) {
      const double trueUs = truth_.at(r.candidate).at(size);
      const double op = trueUs * 1e-6;
      std::vector<double> samples =
          engineBatches(r.effort, op, [&] { return trueUs * std::exp(gauss(rng_)); },
                        startUps_.outpacing.barUs(r, size));
      out.seconds += measurementSeconds(size, op, r.effort, samples.size());
      out.sizes[size] = measuredOf(samples);
      startUps_.outpacing.finished(r, size, out.sizes[size].summary);
    }
    return out;
  }

 private:
  TruthTable truth_;
  double noise_;
  std::mt19937_64 rng_;
  StartUps startUps_;
  int trials_ = 0;
};

/// Replays a recorded table (scripts/record-tune-table.py from exhaustive tunes) as a fixed
/// world: a candidate's true time at a size is the median of its launches' medians there. A
/// trial draws its batches from one of the candidate's recorded launches (picked with a seeded
/// generator), scaled to that true time: the real shape of one launch's batch times, without the
/// speed a launch happened to get (the 2-core VMs run some processes twice as fast as others for
/// their whole life; no strategy can tell that luck from a candidate's speed in one launch, and
/// the tune's validation, not its search, is what guards against it). It costs what the engine
/// would spend there, plus its start-up (StartUps).
class ReplayRunner final : public TrialRunner {
 public:
  using Launch = std::map<uint64_t, std::vector<double>>;

  ReplayRunner(const nlohmann::json& table, uint64_t seed, double launchSeconds, bool perCase = false)
      : rng_(seed), startUps_(launchSeconds, perCase) {
    for (const auto& c : table.at("candidates")) {
      Candidate candidate{c.at("candidate").get<std::map<std::string, std::string>>()};
      for (const auto& recorded : c.at("launches")) {
        Launch launch;
        for (const auto& [size, samples] : recorded.items()) {
          launch[std::stoull(size)] = samples.get<std::vector<double>>();
        }
        table_[candidate].push_back(std::move(launch));
      }
    }
  }

  void prefetch(const std::vector<TrialRequest>& requests) override { startUps_.announce(requests); }

  TrialResult run(const TrialRequest& r) override {
    TrialResult out;
    out.seconds = startUps_.charge(r);
    const std::vector<Launch>& launches = table_.at(r.candidate);
    const Launch& launch =
        launches[std::uniform_int_distribution<std::size_t>(0, launches.size() - 1)(rng_)];
    for (uint64_t size : r.sizes) {
      const std::vector<double>& recorded = launch.at(size);
      const double trueUs = medianUs(r.candidate, size);
      const double scale = trueUs / stats::summarize(recorded).median;
      const double op = trueUs * 1e-6;
      std::uniform_int_distribution<std::size_t> pick(0, recorded.size() - 1);
      std::vector<double> samples =
          engineBatches(r.effort, op, [&] { return recorded[pick(rng_)] * scale; },
                        startUps_.outpacing.barUs(r, size));
      out.seconds += measurementSeconds(size, op, r.effort, samples.size());
      out.sizes[size] = measuredOf(std::move(samples));
      startUps_.outpacing.finished(r, size, out.sizes[size].summary);
    }
    return out;
  }

  /// The truth the replay draws around: the median of a candidate's launch medians at a size.
  double medianUs(const Candidate& c, uint64_t size) const {
    std::vector<double> medians;
    for (const Launch& l : table_.at(c)) medians.push_back(stats::summarize(l.at(size)).median);
    return stats::summarize(medians).median;
  }
  std::vector<Candidate> candidates() const {
    std::vector<Candidate> out;
    for (const auto& [c, launches] : table_) out.push_back(c);
    return out;
  }

 private:
  std::map<Candidate, std::vector<Launch>> table_;
  std::mt19937_64 rng_;
  StartUps startUps_;
};

}  // namespace cclbench::tune::testing
