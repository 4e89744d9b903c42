#include "acceptance/accept.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <list>
#include <set>

#include <nlohmann/json.hpp>

#include "acceptance/accept_run.hpp"
#include "acceptance/matrix.hpp"
#include "core/error.hpp"

namespace cclbench::acceptance {
namespace {

/// A modelled rack: a job's figure is `base` times the slowest host or ring link it uses.
class FakeRack final : public JobRunner {
 public:
  std::map<std::string, double> hostFactor;
  std::map<std::pair<std::string, std::string>, double> linkFactor;
  std::set<std::string> silent;                 ///< never answer
  std::set<std::string> hang;                   ///< answer the gate, then their jobs hang
  std::map<std::string, std::string> fingerprint;
  std::map<std::string, std::vector<std::string>> health;
  double base = 10;
  std::vector<std::vector<HostGroup>> rounds;   ///< every round asked for
  std::vector<RoundContext> contexts;

  std::vector<HostAnswer> probe(const std::vector<std::string>& hosts, double) override {
    std::vector<HostAnswer> out;
    for (const auto& h : hosts) {
      HostAnswer a;
      a.answered = !silent.count(h);
      a.failure = a.answered ? "" : "did not answer within 5 s";
      a.fingerprint = fingerprint.count(h) ? fingerprint[h] : "00000000000000aa";
      a.health = health.count(h) ? health[h] : std::vector<std::string>{"no RDMA NIC"};
      out.push_back(a);
    }
    return out;
  }

  std::vector<JobOutcome> runRound(const CheckSpec& check, int, double, const std::vector<HostGroup>& groups,
                                   const RoundContext& context) override {
    rounds.push_back(groups);
    contexts.push_back(context);
    std::vector<JobOutcome> out;
    for (const HostGroup& g : groups) {
      JobOutcome o;
      if (std::any_of(g.begin(), g.end(), [&](const std::string& h) { return silent.count(h) + hang.count(h) > 0; })) {
        o.timedOut = true;
        o.status = 4;
        o.failure = "mpirun did not finish within 30 s: the job was ended";
        out.push_back(o);
        continue;
      }
      double f = 1;
      for (const auto& h : g) f = std::min(f, hostFactor.count(h) ? hostFactor[h] : 1.0);
      for (std::size_t i = 0; g.size() > 1 && i < g.size(); ++i) {
        if (g.size() == 2 && i == 1) break;
        auto l = std::minmax(g[i], g[(i + 1) % g.size()]);
        const auto it = linkFactor.find({l.first, l.second});
        if (it != linkFactor.end()) f = std::min(f, it->second);
      }
      o.ran = true;
      o.figure = base * f;
      o.sizeBytes = check.maxBytes;
      o.runId = "run-" + std::to_string(rounds.size());
      out.push_back(o);
    }
    return out;
  }
};

std::vector<std::string> hostNames(int n) {
  std::vector<std::string> out;
  for (int i = 1; i <= n; ++i) out.push_back("node" + std::to_string(i));
  return out;
}

const char* kSpec = R"(
name = "rack"
timeout = 5
[expect]
fingerprint = "same"
[[check]]
name = "all-hosts allreduce"
collective = "allreduce"
scope = "all"
sizes = "1M:16M"
min_busbw = 5
[[check]]
name = "host pairs"
collective = "sendrecv"
scope = "pairs"
sizes = "4M"
min_fraction_of_median = 0.7
)";

AcceptReport accept(FakeRack& rack, int hosts, const char* text = kSpec, bool local = false) {
  static std::list<BatterySpec> specs;  // a report points into its spec: every one stays alive
  const BatterySpec& spec = specs.emplace_back(parseBatterySpec(text, "rack.toml"));
  AcceptInput in;
  in.spec = &spec;
  in.hosts = local ? std::vector<std::string>{"here"} : hostNames(hosts);
  in.hostsFrom = "--hosts";
  in.local = local;
  for (const CheckSpec& c : spec.checks) {
    if (c.minFractionOfBaseline) in.baselines[c.name] = 20.0;
  }
  return runAcceptance(in, rack);
}

const CheckVerdict& checkNamed(const AcceptReport& r, const std::string& name) {
  for (const CheckVerdict& v : r.checks) {
    if (v.spec->name == name) return v;
  }
  throw std::runtime_error("no check " + name);
}

TEST(Accept, HealthyRackPassesWithOneRoundPerCheck) {
  FakeRack rack;
  const AcceptReport r = accept(rack, 8);
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_TRUE(r.suspects.empty());
  EXPECT_EQ(r.rounds, 2);
  ASSERT_EQ(r.checks.size(), 2u);
  EXPECT_TRUE(checkNamed(r, "host pairs").passed);
  EXPECT_EQ(checkNamed(r, "host pairs").jobs.size(), 4u);  // a perfect matching of 8 hosts
  EXPECT_EQ(rack.rounds[0].size(), 1u);                    // "all": one job over every host
  EXPECT_EQ(rack.rounds[0][0].size(), 8u);
  for (const RoundContext& c : rack.contexts) EXPECT_EQ(c.spec, "rack");
  const nlohmann::json j = toJson(r);
  EXPECT_EQ(j["verdict"], "PASS");
  EXPECT_EQ(j["hosts"]["node3"]["status"], "ok");
  EXPECT_EQ(j["rounds"], 2);
}

TEST(Accept, OneSlowHostIsNamedInFewRounds) {
  for (int n : {4, 8, 16, 64}) {
    for (int bad = 1; bad <= n; bad += std::max(1, n / 4)) {
      FakeRack rack;
      const std::string culprit = "node" + std::to_string(bad);
      rack.hostFactor[culprit] = 0.2;
      const AcceptReport r = accept(rack, n);
      EXPECT_EQ(r.exitCode, 7) << n << " " << culprit;
      EXPECT_EQ(r.suspects, std::vector<std::string>{culprit}) << n << " " << culprit << "\n" << consoleText(r);
      EXPECT_LE(r.rounds, 2 * static_cast<int>(std::log2(n)) + 4) << n;
      const CheckVerdict& pairs = checkNamed(r, "host pairs");
      EXPECT_FALSE(pairs.passed);
      EXPECT_EQ(pairs.badHosts, std::vector<std::string>{culprit});
      ASSERT_FALSE(pairs.evidence.empty());
      EXPECT_NE(pairs.evidence[0].find("x median"), std::string::npos) << pairs.evidence[0];
      EXPECT_EQ(r.hosts.at(culprit).status, "suspect");
    }
  }
}

TEST(Accept, ABadLinkIsNamedAsALink) {
  FakeRack rack;
  // node1-node6 is a pair of the circle method's first round for 8 hosts (not a ring link)
  rack.linkFactor[{"node1", "node6"}] = 0.2;
  const AcceptReport r = accept(rack, 8);
  EXPECT_EQ(r.exitCode, 7);
  const CheckVerdict& pairs = checkNamed(r, "host pairs");
  ASSERT_EQ(pairs.badLinks.size(), 1u) << consoleText(r);
  EXPECT_EQ(pairs.badLinks[0], std::make_pair(std::string("node1"), std::string("node6")));
  EXPECT_TRUE(pairs.badHosts.empty());
  EXPECT_EQ(toJson(r)["suspect_links"].size(), 1u);
}

TEST(Accept, ASilentHostIsUnreachableAndTheOthersAreStillJudged) {
  FakeRack rack;
  rack.silent = {"node3"};
  const AcceptReport r = accept(rack, 6);
  EXPECT_EQ(r.exitCode, 4);
  EXPECT_EQ(r.hosts.at("node3").status, "unreachable");
  for (const auto& round : rack.rounds) {
    for (const auto& g : round) EXPECT_EQ(std::count(g.begin(), g.end(), "node3"), 0);
  }
  EXPECT_TRUE(checkNamed(r, "host pairs").passed);
  EXPECT_EQ(checkNamed(r, "all-hosts allreduce").jobs[0].hosts.size(), 5u);
}

TEST(Accept, TheOddFingerprintIsTopologyMismatch) {
  FakeRack rack;
  rack.fingerprint["node2"] = "00000000000000bb";
  const AcceptReport r = accept(rack, 4);
  EXPECT_EQ(r.exitCode, 9);
  EXPECT_EQ(r.expectedFingerprint, "00000000000000aa");
  EXPECT_EQ(r.suspects, std::vector<std::string>{"node2"});
  EXPECT_TRUE(r.hosts.at("node2").mismatch);
  // A timeout is more severe than a mismatch.
  rack.silent = {"node4"};
  EXPECT_EQ(accept(rack, 4).exitCode, 4);
}

TEST(Accept, HealthNotesOnlySomeHostsShowAreSaidForThoseHosts) {
  FakeRack rack;
  rack.health["node3"] = {"no RDMA NIC", "mlx5_0: PCIe 8 GT/s x16, capable of 16 GT/s x16"};
  const AcceptReport r = accept(rack, 4);
  EXPECT_EQ(r.exitCode, 0);  // a note is for a look, not a verdict
  EXPECT_EQ(r.hosts.at("node3").why,
            std::vector<std::string>{"health: mlx5_0: PCIe 8 GT/s x16, capable of 16 GT/s x16"});
  EXPECT_TRUE(r.hosts.at("node1").why.empty());
  EXPECT_EQ(toJson(r)["hosts"]["node1"]["health"], nlohmann::json::array({"no RDMA NIC"}));
}

TEST(Accept, AnExpectedFingerprintHoldsEveryHost) {
  FakeRack rack;
  const std::string spec = std::string(kSpec).replace(std::string(kSpec).find("\"same\""), 6, "\"00000000000000cc\"");
  const AcceptReport r = accept(rack, 4, spec.c_str());
  EXPECT_EQ(r.exitCode, 9);
  EXPECT_EQ(r.suspects.size(), 4u);
}

TEST(Accept, OddHostCountPairsTheRestInASecondRound) {
  FakeRack rack;
  const AcceptReport r = accept(rack, 5);
  EXPECT_EQ(r.exitCode, 0);
  const CheckVerdict& pairs = checkNamed(r, "host pairs");
  EXPECT_EQ(pairs.rounds, 2);
  std::set<std::string> covered;
  for (const JudgedJob& j : pairs.jobs) covered.insert(j.hosts.begin(), j.hosts.end());
  EXPECT_EQ(covered.size(), 5u);
}

TEST(Accept, ScopeHostNamesTheSlowHostWithoutIsolation) {
  FakeRack rack;
  rack.hostFactor["node2"] = 0.3;
  const AcceptReport r = accept(rack, 4, R"(
name = "intra"
ranks_per_host = 4
[[check]]
name = "nvlink"
collective = "allreduce"
scope = "host"
sizes = "64M"
min_fraction_of_median = 0.8
)");
  EXPECT_EQ(r.exitCode, 7);
  EXPECT_EQ(r.rounds, 1);
  EXPECT_EQ(r.suspects, std::vector<std::string>{"node2"});
  EXPECT_EQ(rack.rounds[0].size(), 4u);
}

TEST(Accept, TheWholeRackFailingItsFloorIsSplitUntilTheHostIsFound) {
  FakeRack rack;
  rack.hostFactor["node6"] = 0.1;
  const AcceptReport r = accept(rack, 16, R"(
name = "all"
[[check]]
name = "all-hosts allreduce"
collective = "allreduce"
scope = "all"
sizes = "16M"
min_busbw = 5
)");
  EXPECT_EQ(r.exitCode, 7);
  EXPECT_EQ(r.suspects, std::vector<std::string>{"node6"}) << consoleText(r);
  EXPECT_LE(r.rounds, 2 * 4 + 4);
}

TEST(Accept, BaselineFloorIsItsFractionOfTheBaseline) {
  FakeRack rack;  // every job measures 10; the baseline says 20
  const char* spec = R"(
name = "b"
[[check]]
name = "all"
collective = "allreduce"
scope = "all"
sizes = "1M"
min_fraction_of_baseline = 0.9
baseline = "baseline:rack"
)";
  AcceptReport r = accept(rack, 2, spec);
  EXPECT_EQ(r.exitCode, 7);
  EXPECT_DOUBLE_EQ(r.checks[0].absoluteFloor, 18.0);
  rack.base = 19;
  EXPECT_EQ(accept(rack, 2, spec).exitCode, 0);
}

TEST(Accept, AJobThatTimesOutIsExit4AndItsHostIsNamed) {
  FakeRack rack;
  rack.hang = {"node2"};  // it answers the gate, then stops answering
  const AcceptReport r = accept(rack, 4);
  EXPECT_EQ(r.exitCode, 4);
  EXPECT_EQ(r.suspects, std::vector<std::string>{"node2"}) << consoleText(r);
  EXPECT_NE(consoleText(r).find("did not run"), std::string::npos);
}

TEST(Accept, LocalModeRunsEveryCheckAsOneJob) {
  FakeRack rack;
  const AcceptReport r = accept(rack, 1, kSpec, true);
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_EQ(r.rounds, 2);
  for (const auto& round : rack.rounds) EXPECT_EQ(round, std::vector<HostGroup>{{"here"}});
  EXPECT_EQ(checkNamed(r, "host pairs").note, "local ranks: one job on this host");
}

TEST(Accept, OneHostCannotPairAndSaysSo) {
  FakeRack rack;
  const AcceptReport r = accept(rack, 1);
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_FALSE(checkNamed(r, "host pairs").ran);
  EXPECT_EQ(checkNamed(r, "host pairs").note, "one host answered the gate: no pairs");
  EXPECT_NE(junitXml(r).find("<skipped"), std::string::npos);
}

TEST(Accept, JunitHasATestcasePerCheckAndHost) {
  FakeRack rack;
  rack.hostFactor["node4"] = 0.2;
  const std::string xml = junitXml(accept(rack, 4));
  EXPECT_NE(xml.find("tests=\"6\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("<testcase classname=\"host\" name=\"node4\">\n    <failure"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<testcase classname=\"check\" name=\"host pairs\">\n    <failure"), std::string::npos);
  EXPECT_NE(xml.find("<testcase classname=\"host\" name=\"node1\">\n  </testcase>"), std::string::npos);
}

TEST(AcceptHosts, ComeFromOptionsHostfileSlurmOrThisHost) {
  const auto none = [](const std::string&) -> std::vector<std::string> { return {}; };
  AcceptOptions o;
  o.hosts = {"a,b", "c"};
  HostSource s = resolveHosts(o, {}, none);
  EXPECT_EQ(s.hosts, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(s.via, LaunchVia::kMpirun);
  o.hosts = {"a:2"};
  EXPECT_THROW(resolveHosts(o, {}, none), Error);
  o.hosts = {"a,b,a"};
  EXPECT_THROW(resolveHosts(o, {}, none), Error);
  o.hosts = {"a"};
  o.np = 2;
  EXPECT_THROW(resolveHosts(o, {}, none), Error);
  o = {};
  s = resolveHosts(o, {{"SLURM_JOB_NODELIST", "n[1-2]"}},
                   [](const std::string& list) { return std::vector<std::string>{list == "n[1-2]" ? "n1" : "?", "n2"}; });
  EXPECT_EQ(s.hosts, (std::vector<std::string>{"n1", "n2"}));
  EXPECT_EQ(s.via, LaunchVia::kSrun);
  s = resolveHosts(o, {}, none);
  EXPECT_EQ(s.via, LaunchVia::kLocal);
  EXPECT_EQ(s.hosts.size(), 1u);
}

TEST(AcceptHosts, HostfileTakesTheFirstWordOfEachLine) {
  EXPECT_EQ(parseHostfile("# rack 7\nnode1 slots=8\n\n  node2\nnode3 # spare\n", "h"),
            (std::vector<std::string>{"node1", "node2", "node3"}));
  try {
    parseHostfile("node1\nno/de\n", "hosts.txt");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kInvalidUsage);
    EXPECT_NE(std::string(e.what()).find("hosts.txt line 2"), std::string::npos) << e.what();
  }
}

TEST(AcceptJobs, MpirunJobsPlaceRanksPerHostInOrderWithLabels) {
  LaunchOptions lo;
  lo.executable = "/bin/cclbench";
  lo.folder = testing::TempDir() + "/accept-jobs";
  lo.via = LaunchVia::kMpirun;
  lo.writeDatabase = false;
  LaunchJobRunner runner(lo);
  const BatterySpec spec = parseBatterySpec(kSpec, "rack.toml");
  const auto cmd = runner.jobCommand(spec.checks[1], 2, 30, {"b", "a"}, {"rack", "host pairs", "isolation", 3, "acceptance", {}},
                                     "x.jsonl");
  const auto has = [&](const std::vector<std::string>& seq) {
    return std::search(cmd.begin(), cmd.end(), seq.begin(), seq.end()) != cmd.end();
  };
  EXPECT_EQ(cmd[0], "/bin/cclbench");
  EXPECT_TRUE(has({"run", "sendrecv", "-b", "4194304", "-e", "4194304"}));
  EXPECT_TRUE(has({"--np", "4", "--hosts", "b:2,a:2"}));
  EXPECT_TRUE(has({"--tag", "acceptance", "--label", "spec=rack", "--label", "check=host pairs"}));
  EXPECT_TRUE(has({"--label", "round=3"}));
  EXPECT_TRUE(has({"--label", "hosts=b,a"}));
  EXPECT_TRUE(has({"-T", "30"}));
  EXPECT_TRUE(has({"--no-db"}));
  lo.via = LaunchVia::kSrun;
  const auto srun = LaunchJobRunner(lo).jobCommand(spec.checks[1], 2, 30, {"b", "a"},
                                                    {"rack", "host pairs", "check", 1, "acceptance", {}}, "x.jsonl");
  EXPECT_EQ(std::vector<std::string>(srun.begin(), srun.begin() + 3),
            (std::vector<std::string>{"srun", "--mpi=pmix", "--exact"}));
  EXPECT_EQ(std::count(srun.begin(), srun.end(), "--hosts"), 0);
}

TEST(AcceptJobs, TheFigureIsTheLargestOutOfPlaceSize) {
  const BatterySpec spec = parseBatterySpec(kSpec, "rack.toml");
  std::vector<CaseRecord> cases(4);
  cases[0].collective = Collective::kAllReduce, cases[0].sizeBytes = 1 << 20, cases[0].busBandwidthGBps = 1;
  cases[1].collective = Collective::kAllReduce, cases[1].sizeBytes = 16 << 20, cases[1].busBandwidthGBps = 7;
  cases[2] = cases[1], cases[2].placement = Placement::kInPlace, cases[2].busBandwidthGBps = 9;
  cases[3].collective = Collective::kSendRecv, cases[3].sizeBytes = 16 << 20, cases[3].busBandwidthGBps = 3;
  double figure = 0;
  uint64_t size = 0;
  ASSERT_TRUE(figureOf(cases, spec.checks[0], figure, size));
  EXPECT_EQ(figure, 7);
  EXPECT_EQ(size, 16u << 20);
  EXPECT_FALSE(figureOf({cases[0]}, spec.checks[1], figure, size));
}

TEST(Matrix, PairsUnderTheFractionOfTheMedianAreFlagged) {
  PairMatrix r;
  r.members = {"a", "b", "c", "d"};
  r.rounds = 3;
  // c's link is slow: every pair touching c is a fifth of the others
  for (const auto& [x, y] : std::vector<std::pair<std::string, std::string>>{
           {"a", "b"}, {"c", "d"}, {"a", "c"}, {"b", "d"}, {"a", "d"}, {"b", "c"}}) {
    const bool slow = x == "c" || y == "c";
    r.pairs.push_back({x, y, 1, true, slow ? 50.0 : 10.0, slow ? 0.2 : 1.0, false, ""});
  }
  judgePairMatrix(r);
  EXPECT_EQ(r.exitCode, 7);
  EXPECT_DOUBLE_EQ(r.medianBandwidthGbps, 0.6);  // three pairs at 1, three at 0.2
  for (const PairFigure& p : r.pairs) EXPECT_EQ(p.flagged, p.a == "c" || p.b == "c") << p.a << p.b;
  const std::string text = matrixConsole(r);
  EXPECT_NE(text.find("flagged: a - c"), std::string::npos) << text;
  EXPECT_NE(text.find("0.2*"), std::string::npos) << text;
  const nlohmann::json j = matrixJson(r);
  EXPECT_EQ(j["pairs"].size(), 6u);
  EXPECT_EQ(j["rounds"], 3);
  // all healthy: exit 0; a pair that did not run is flagged; a timeout is exit 4
  for (PairFigure& p : r.pairs) p.bandwidthGbps = 1, p.flagged = false, p.why.clear();
  judgePairMatrix(r);
  EXPECT_EQ(r.exitCode, 0);
  r.pairs[0].ran = false;
  judgePairMatrix(r);
  EXPECT_EQ(r.exitCode, 7);
  EXPECT_TRUE(r.pairs[0].flagged);
  r.timedOut = true;
  judgePairMatrix(r);
  EXPECT_EQ(r.exitCode, 4);
}

}  // namespace
}  // namespace cclbench::acceptance
