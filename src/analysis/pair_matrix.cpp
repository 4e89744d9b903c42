#include "analysis/pair_matrix.hpp"

#include <algorithm>
#include <cstdio>
#include <set>

#include "analysis/significance.hpp"
#include "core/error.hpp"
#include "core/pair_rounds.hpp"

namespace cclbench::analysis {
namespace {

std::string text(double value, const char* format) {
  char out[64];
  std::snprintf(out, sizeof out, format, value);
  return out;
}

/// The largest out-of-place case of `c` (the figure a pair of hosts is judged by).
const CaseRecord* largestCase(const std::vector<CaseRecord>& cases, Collective c) {
  const CaseRecord* found = nullptr;
  for (const CaseRecord& r : cases) {
    if (r.collective != c || r.placement != Placement::kOutOfPlace || r.pairRound >= 0) continue;
    if (!found || r.sizeBytes > found->sizeBytes) found = &r;
  }
  return found;
}

bool isAllPairs(const PairRun& run) { return hasPairRounds(run.cases); }

/// Members of an --all-pairs run: "RANK@HOST" from its header.
std::vector<std::string> rankMembers(const RunHeader& h) {
  std::vector<std::string> members(static_cast<std::size_t>(std::max(h.ranks, 0)));
  for (const HostEntry& e : h.hosts) {
    for (int r : e.ranks) {
      if (r >= 0 && r < h.ranks) members[static_cast<std::size_t>(r)] = std::to_string(r) + "@" + e.host;
    }
  }
  for (std::size_t r = 0; r < members.size(); ++r) {
    if (members[r].empty()) members[r] = "rank " + std::to_string(r);
  }
  return members;
}

/// Every pair of the members as not (yet) run, in `order`.
void listPairs(PairMatrix& m, const std::vector<std::vector<MemberPair>>& order) {
  for (std::size_t round = 0; round < order.size(); ++round) {
    for (const auto& [a, b] : order[round]) {
      PairFigure p;
      p.a = m.members[static_cast<std::size_t>(a)];
      p.b = m.members[static_cast<std::size_t>(b)];
      p.round = static_cast<int>(round) + 1;
      m.pairs.push_back(std::move(p));
    }
  }
  m.rounds = static_cast<int>(order.size());
}

/// The position of pair (i, j), i < j, of n members in a triangular list.
std::size_t triangular(std::size_t n, std::size_t i, std::size_t j) {
  return i * (2 * n - i - 1) / 2 + (j - i - 1);
}

void markRan(PairMatrix& m, const PairMatrixAsked& asked) {
  if (asked.bothMetrics) m.hasLatency = m.hasBandwidth = true;
  for (PairFigure& p : m.pairs) {
    p.ran = p.ran && (!m.hasLatency || p.latencyUs > 0) && (!m.hasBandwidth || p.bandwidthGbps > 0);
    if (!p.ran && p.why.empty()) p.why = "no figure";
  }
}

/// The largest size of `c`'s --all-pairs rounds in the runs (0: none).
uint64_t largestRoundSize(const std::vector<PairRun>& runs, Collective c) {
  uint64_t size = 0;
  for (const PairRun& run : runs) {
    for (const CaseRecord& r : run.cases) {
      if (r.pairRound >= 0 && r.collective == c) size = std::max(size, r.sizeBytes);
    }
  }
  return size;
}

PairMatrix rankMatrix(const std::vector<PairRun>& runs, const PairMatrixAsked& asked) {
  PairMatrix m;
  m.kind = "ranks";
  m.hasLatency = m.hasBandwidth = false;
  for (const PairRun& run : runs) {
    if (!isAllPairs(run) || !m.members.empty()) continue;
    RunHeader header = run.header;
    // A header without a rank count (an old or hand-made record): the ranks its cases time.
    for (const CaseRecord& c : run.cases) {
      header.ranks = std::max(header.ranks, static_cast<int>(c.perRankSamplesUs.size()));
    }
    m.members = rankMembers(header);
  }
  const std::size_t n = m.members.size();
  const auto rounds = circleRounds(static_cast<int>(n));
  listPairs(m, rounds);
  std::vector<std::size_t> position(n * (n > 0 ? n - 1 : 0) / 2, 0);
  for (std::size_t i = 0; i < m.pairs.size(); ++i) m.pairs[i].ran = true;
  {
    std::size_t at = 0;
    for (const auto& round : rounds) {
      for (const auto& [a, b] : round) {
        position[triangular(n, static_cast<std::size_t>(a), static_cast<std::size_t>(b))] = at++;
      }
    }
  }
  const uint64_t latencySize = largestRoundSize(runs, Collective::kLatency);
  const uint64_t bandwidthSize = largestRoundSize(runs, Collective::kBandwidth);
  for (const PairRun& run : runs) {
    for (const CaseRecord& c : run.cases) {
      if (c.pairRound < 0 || c.placement != Placement::kOutOfPlace) continue;
      const bool latency = c.collective == Collective::kLatency;
      if (!(latency && c.sizeBytes == latencySize) &&
          !(c.collective == Collective::kBandwidth && c.sizeBytes == bandwidthSize)) {
        continue;
      }
      (latency ? m.hasLatency : m.hasBandwidth) = true;
      const auto timed = c.perRankSamplesUs.size();
      for (auto [a, b] : c.pairs) {
        if (a > b) std::swap(a, b);
        if (a < 0 || a == b || static_cast<std::size_t>(b) >= n || static_cast<std::size_t>(b) >= timed) continue;
        const double us = std::max(median(c.perRankSamplesUs[static_cast<std::size_t>(a)]),
                                   median(c.perRankSamplesUs[static_cast<std::size_t>(b)]));
        PairFigure& p = m.pairs[position[triangular(n, static_cast<std::size_t>(a), static_cast<std::size_t>(b))]];
        p.round = c.pairRound + 1;
        if (latency) {
          p.latencyUs = us;
        } else if (us > 0) {
          p.bandwidthGbps = static_cast<double>(c.sizeBytes) / us / 1e3;
        }
      }
    }
  }
  markRan(m, asked);
  return m;
}

PairMatrix hostMatrix(const std::vector<PairRun>& runs, const PairMatrixAsked& asked) {
  PairMatrix m;
  m.hasLatency = m.hasBandwidth = false;
  struct Measured {
    const PairRun* run;
    std::string a, b;
  };
  std::vector<Measured> measured;
  std::set<std::string> members;
  for (const PairRun& run : runs) {
    std::vector<std::string> hosts;
    for (const HostEntry& e : run.header.hosts) {
      if (!e.ranks.empty()) hosts.push_back(e.host);
    }
    std::sort(hosts.begin(), hosts.end());
    hosts.erase(std::unique(hosts.begin(), hosts.end()), hosts.end());
    if (hosts.size() != 2) continue;  // not a pair of hosts
    if (!largestCase(run.cases, Collective::kLatency) && !largestCase(run.cases, Collective::kBandwidth)) continue;
    members.insert(hosts.begin(), hosts.end());
    measured.push_back({&run, hosts[0], hosts[1]});
  }
  m.members.assign(members.begin(), members.end());
  // Members the matrix had that no stored run names (every job of theirs failed).
  for (int i = 1; static_cast<int>(m.members.size()) < asked.members; ++i) {
    m.members.push_back("(no record " + std::to_string(i) + ")");
  }
  std::map<std::string, std::size_t> number;
  for (std::size_t i = 0; i < m.members.size(); ++i) number[m.members[i]] = i;
  const std::size_t n = m.members.size();
  m.pairs.reserve(n * (n > 0 ? n - 1 : 0) / 2);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j) m.pairs.push_back({m.members[i], m.members[j], 0, true, 0, 0, false, ""});
  }
  for (const Measured& x : measured) {
    PairFigure& p = m.pairs[triangular(n, number.at(x.a), number.at(x.b))];
    if (x.run->round > 0) p.round = x.run->round;
    m.rounds = std::max(m.rounds, x.run->round);
    if (!x.run->complete) {
      p.ran = false;
      p.why = "its job did not complete";
    }
    if (const CaseRecord* c = largestCase(x.run->cases, Collective::kLatency)) {
      m.hasLatency = true;
      p.latencyUs = c->timeUs.median;
    }
    if (const CaseRecord* c = largestCase(x.run->cases, Collective::kBandwidth)) {
      m.hasBandwidth = true;
      p.bandwidthGbps = c->busBandwidthGBps;
    }
  }
  markRan(m, asked);
  return m;
}

}  // namespace

bool hasPairRounds(const std::vector<CaseRecord>& cases) {
  return std::any_of(cases.begin(), cases.end(), [](const CaseRecord& c) { return c.pairRound >= 0; });
}

void judgePairMatrix(PairMatrix& m) {
  std::vector<double> bw;
  for (const PairFigure& p : m.pairs) {
    if (p.ran && m.hasBandwidth) bw.push_back(p.bandwidthGbps);
  }
  m.medianBandwidthGbps = median(bw);
  bool flagged = false;
  for (PairFigure& p : m.pairs) {
    p.flagged = false;
    if (p.ran) p.why.clear();
    if (!p.ran) {
      p.flagged = true;
      if (p.why.empty()) p.why = "did not run";
    } else if (m.hasBandwidth && p.bandwidthGbps < m.minFraction * m.medianBandwidthGbps) {
      p.flagged = true;
      p.why = text(p.bandwidthGbps, "%.3g GB/s") + " < " + text(m.minFraction, "%.2g") + " x median " +
              text(m.medianBandwidthGbps, "%.3g GB/s");
    }
    flagged = flagged || p.flagged;
  }
  m.exitCode = m.timedOut ? static_cast<int>(ExitCode::kTimeout) : flagged ? static_cast<int>(ExitCode::kWrongData) : 0;
}

PairMatrix pairMatrixOf(const std::vector<PairRun>& runs, const PairMatrixAsked& asked) {
  const bool ranks = std::any_of(runs.begin(), runs.end(), isAllPairs);
  return ranks ? rankMatrix(runs, asked) : hostMatrix(runs, asked);
}

}  // namespace cclbench::analysis
