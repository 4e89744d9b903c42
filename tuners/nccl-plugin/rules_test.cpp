// The plugin's rules on their own: parsing the CSV of NCCL's example tuner, and lookups that keep
// first-match semantics while going through the byte-range index.

#include "tuner_rules.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

#include "tuner_abi.h"

namespace {

struct Parsed {
  explicit Parsed(const std::string& text) { EXPECT_EQ(cclt_parse(text.data(), text.size(), &rules), 0); }
  ~Parsed() { cclt_rules_free(&rules); }
  cclt_rules rules;
};

struct Table {
  Table(const cclt_rules& rules, long ranks, long nodes) : t(cclt_table_build(&rules, ranks, nodes)) {}
  ~Table() { cclt_table_free(t); }
  cclt_table* t;
};

int lineOf(const cclt_rule* r) { return r ? r->line : 0; }

TEST(TunerRules, ParsesTheExampleTunersFormatWithWildcardsAndOptionalFields) {
  Parsed p(
      "# comment\n"
      "\n"
      "allreduce,0,65536,tree,simple,2,1,-1,-1,1\n"
      "  AllReduce , 65537 , 1048576 , Ring , LL128 , -1 , -1 , 32 , 1 \r\n"
      "broadcast,-1,-1,ring,simple,0,-1,-1\n");
  ASSERT_EQ(p.rules.count, 3u);
  EXPECT_EQ(p.rules.skippedLines, 0u);
  const cclt_rule& a = p.rules.rules[0];
  EXPECT_EQ(a.collective, 4);
  EXPECT_EQ(a.maxBytes, 65536u);
  EXPECT_EQ(a.algorithm, CCLT_ALGO_TREE);
  EXPECT_EQ(a.protocol, CCLT_PROTO_SIMPLE);
  EXPECT_EQ(a.channels, 2);
  EXPECT_EQ(a.nNodes, 1);
  EXPECT_EQ(a.nRanks, -1);
  EXPECT_EQ(a.numPipeOps, -1);
  EXPECT_EQ(a.regBuff, 1);
  EXPECT_EQ(a.line, 3);
  const cclt_rule& b = p.rules.rules[1];
  EXPECT_EQ(b.algorithm, CCLT_ALGO_RING);
  EXPECT_EQ(b.protocol, CCLT_PROTO_LL128);
  EXPECT_EQ(b.nRanks, 32);
  EXPECT_EQ(b.numPipeOps, 1);
  EXPECT_EQ(b.regBuff, -1);
  const cclt_rule& c = p.rules.rules[2];
  EXPECT_EQ(c.collective, 0);
  EXPECT_EQ(c.minBytes, 0u);
  EXPECT_EQ(c.maxBytes, UINT64_MAX);
  EXPECT_EQ(c.channels, 0);
}

TEST(TunerRules, ALineThatDoesNotParseIsSkippedWithItsReason) {
  const struct {
    const char* line;
    const char* reason;
  } cases[] = {
      {"allreduce,0,10,rign,simple,-1,-1,-1", "line 1: unknown algorithm 'rign'"},
      {"allreduce,0,10,ring,fast,-1,-1,-1", "line 1: unknown protocol 'fast'"},
      {"alltoall,0,10,ring,simple,-1,-1,-1", "line 1: unknown collective 'alltoall'"},
      {"allreduce,0,10,ring,simple,-1,-1", "line 1: too few fields (8 to 10 expected)"},
      {"allreduce,0,10,ring,simple,-1,-1,-1,1,1,1", "line 1: too many fields (8 to 10 expected)"},
      {"allreduce,20,10,ring,simple,-1,-1,-1", "line 1: min_bytes is above max_bytes"},
      {"allreduce,0,18446744073709551616,ring,simple,-1,-1,-1",
       "line 1: max_bytes is no byte count '18446744073709551616'"},
      {"allreduce,-5,10,ring,simple,-1,-1,-1", "line 1: min_bytes is no byte count '-5'"},
      {"allreduce,0,1e3,ring,simple,-1,-1,-1", "line 1: max_bytes is no byte count '1e3'"},
      {"allreduce,0,10,ring,simple,5000,-1,-1", "line 1: channels is not -1 or 0 to 1024 '5000'"},
      {"allreduce,0,10,ring,simple,-1,0,-1", "line 1: nNodes and nRanks must be -1 or a count"},
      {"allreduce,0,10,ring,simple,-1,-1,-1,1,2", "line 1: regBuff is not -1, 0 or 1 '2'"},
      {"allreduce,0,10,ring,simple,-1,-1,-1,0", "line 1: numPipeOps is not -1 or a count '0'"},
      {"allreduce\x01\xff,0,10,ring,simple,-1,-1,-1", "line 1: unknown collective 'allreduce?\?'"},
  };
  for (const auto& c : cases) {
    Parsed p(std::string(c.line) + "\nallreduce,0,10,ring,simple,-1,-1,-1\n");
    EXPECT_EQ(p.rules.count, 1u) << c.line;
    EXPECT_EQ(p.rules.skippedLines, 1u) << c.line;
    EXPECT_STREQ(p.rules.firstSkipped, c.reason);
    EXPECT_EQ(p.rules.rules[0].line, 2);
  }
  Parsed longLine(std::string(2000, 'a') + "\n");
  EXPECT_EQ(longLine.rules.skippedLines, 1u);
  EXPECT_STREQ(longLine.rules.firstSkipped, "line 1: longer than 1024 characters");
}

TEST(TunerRules, RulesPastTheLimitAreCountedNotKept) {
  std::string text;
  for (int i = 0; i < CCLT_MAX_RULES + 10; ++i) text += "allreduce,0,10,ring,simple,-1,-1,-1\n";
  Parsed p(text);
  EXPECT_EQ(p.rules.count, static_cast<size_t>(CCLT_MAX_RULES));
  EXPECT_EQ(p.rules.ignoredRules, 10u);
}

TEST(TunerRules, FirstMatchWinsAmongOverlappingRangesAndTopologyFilters) {
  Parsed p(
      "allreduce,0,1023,tree,ll,-1,-1,-1\n"          // 1
      "allreduce,512,4096,ring,ll128,-1,-1,8\n"      // 2: 8 ranks only
      "allreduce,512,4096,ring,simple,-1,2,-1\n"     // 3: 2 nodes only
      "allreduce,0,-1,ring,simple,-1,-1,-1,4\n"      // 4: numPipeOps 4 only
      "allreduce,0,-1,pat,simple,-1,-1,-1,-1,1\n"    // 5: registered buffers only
      "allgather,100,100,ring,simple,-1,-1,-1\n");   // 6
  Table eight(p.rules, 8, 1), twoNodes(p.rules, 16, 2);
  EXPECT_EQ(cclt_table_rules(eight.t), 5u);
  EXPECT_EQ(cclt_table_rules(twoNodes.t), 5u);
  EXPECT_EQ(lineOf(cclt_lookup(eight.t, 4, 0, 1, 0, nullptr, nullptr)), 1);
  EXPECT_EQ(lineOf(cclt_lookup(eight.t, 4, 1023, 1, 0, nullptr, nullptr)), 1);  // inclusive
  EXPECT_EQ(lineOf(cclt_lookup(eight.t, 4, 1024, 1, 0, nullptr, nullptr)), 2);
  EXPECT_EQ(lineOf(cclt_lookup(twoNodes.t, 4, 1024, 1, 0, nullptr, nullptr)), 3);
  EXPECT_EQ(lineOf(cclt_lookup(eight.t, 4, 4097, 1, 0, nullptr, nullptr)), 0);  // no match
  EXPECT_EQ(lineOf(cclt_lookup(eight.t, 4, 4097, 4, 0, nullptr, nullptr)), 4);
  EXPECT_EQ(lineOf(cclt_lookup(eight.t, 4, 4097, 1, 1, nullptr, nullptr)), 5);
  EXPECT_EQ(lineOf(cclt_lookup(eight.t, 4, 4097, 1, -1, nullptr, nullptr)), 0);  // regBuff unknown
  EXPECT_EQ(lineOf(cclt_lookup(eight.t, 2, 100, 1, 0, nullptr, nullptr)), 6);
  EXPECT_EQ(lineOf(cclt_lookup(eight.t, 2, 101, 1, 0, nullptr, nullptr)), 0);
  EXPECT_EQ(lineOf(cclt_lookup(eight.t, 0, 100, 1, 0, nullptr, nullptr)), 0);
  EXPECT_EQ(lineOf(cclt_lookup(eight.t, 7, 100, 1, 0, nullptr, nullptr)), 0);  // not a collective
  // An unavailable pair skips its rule: the next match applies.
  const auto noTree = [](const void*, int algorithm, int) { return algorithm != CCLT_ALGO_TREE ? 1 : 0; };
  EXPECT_EQ(lineOf(cclt_lookup(eight.t, 4, 600, 1, 0, noTree, nullptr)), 2);
}

/// The index must answer exactly as a scan of the file in order would, at every bound of every
/// rule and next to it, for random configs.
TEST(TunerRules, TheIndexAnswersAsAScanInFileOrder) {
  std::mt19937_64 rng(7);
  const uint64_t points[] = {0, 1, 255, 256, 4096, 65535, 65536, 1 << 20, 1ull << 33};
  for (int round = 0; round < 200; ++round) {
    std::string text;
    const int rules = 1 + static_cast<int>(rng() % 60);
    for (int i = 0; i < rules; ++i) {
      uint64_t lo = points[rng() % 9] + rng() % 3, hi = lo + (rng() % 4 == 0 ? 0 : rng() % 100000);
      text += std::string(cclt_collective_name(static_cast<int>(rng() % 5))) + "," +
              (rng() % 8 == 0 ? "-1" : std::to_string(lo)) + "," +
              (rng() % 8 == 0 ? "-1" : std::to_string(hi)) + "," +
              cclt_algorithm_name(static_cast<int>(rng() % 7)) + "," +
              cclt_protocol_name(static_cast<int>(rng() % 3)) + ",-1," +
              (rng() % 4 == 0 ? "2" : "-1") + ",-1," + (rng() % 4 == 0 ? "2" : "-1") + "\n";
    }
    Parsed p(text);
    Table t(p.rules, 8, 1);
    const auto available = [](const void*, int algorithm, int protocol) {
      return (algorithm + protocol) % 4 != 0 ? 1 : 0;
    };
    for (size_t i = 0; i < p.rules.count; ++i) {
      for (uint64_t b : {p.rules.rules[i].minBytes, p.rules.rules[i].maxBytes}) {
        for (uint64_t bytes : {b - 1, b, b + 1}) {
          for (int pipe : {1, 2}) {
            const cclt_rule* want = nullptr;
            for (size_t k = 0; k < p.rules.count && !want; ++k) {
              const cclt_rule& r = p.rules.rules[k];
              if (r.collective == p.rules.rules[i].collective && r.nNodes != 2 &&
                  r.minBytes <= bytes && bytes <= r.maxBytes &&
                  (r.numPipeOps == -1 || r.numPipeOps == pipe) && available(nullptr, r.algorithm, r.protocol)) {
                want = &r;
              }
            }
            const cclt_rule* got = cclt_lookup(t.t, p.rules.rules[i].collective, bytes, pipe, 0, available, nullptr);
            ASSERT_EQ(lineOf(got), lineOf(want)) << "round " << round << ", bytes " << bytes << "\n" << text;
          }
        }
      }
    }
  }
}

}  // namespace
