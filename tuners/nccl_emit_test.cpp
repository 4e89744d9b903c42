// NCCL's forms of a tune's rules, proven against their consumer: the plugin config is loaded by
// libnccl-tuner-cclbench.so through dlopen and must force exactly the winners, nothing else.
#include "tuners/nccl_emit.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "core/error.hpp"
#include "tuner_abi.h"
#include "tuner_rules.h"

namespace cclbench::tune {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::vector<NcclRule> winners() {
  return {{Collective::kAllReduce, 8, 65536, "tree", "ll", -1},
          {Collective::kAllReduce, 131072, 256u << 20, "ring", "simple", 16},
          {Collective::kAllGather, 8, 256u << 20, "ring", "ll128", -1},
          {Collective::kBroadcast, 1 << 20, 4 << 20, "nvls", "simple", 8}};
}

std::vector<uint64_t> sweep() {
  std::vector<uint64_t> sizes;
  for (uint64_t s = 8; s <= (256u << 20); s *= 2) sizes.push_back(s);
  return sizes;
}

TEST(NcclEmit, ThePluginLoadsTheConfigAndForcesExactlyTheWinners) {
  const std::string path = "/tmp/cclbench-nccl-emit-" + std::to_string(getpid()) + ".conf";
  const std::vector<NcclRule> rules = winners();
  std::ofstream(path) << ncclTunerConfig(rules, 16, 2, {"tune tune-test, fingerprint abc"});
  setenv("CCLBENCH_TUNER_CONFIG", path.c_str(), 1);
  void* handle = dlopen(CCLBENCH_TUNER_PLUGIN, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(handle, nullptr) << dlerror();
  const auto* v5 = static_cast<const cclt_tuner_v5*>(dlsym(handle, "ncclTunerPlugin_v5"));
  ASSERT_NE(v5, nullptr);
  const int functions[] = {0, 1, 2, 3, 4};  // ncclFunc_t
  const Collective collectives[] = {Collective::kBroadcast, Collective::kReduce, Collective::kAllGather,
                                    Collective::kReduceScatter, Collective::kAllReduce};
  for (const auto& [ranks, nodes, applies] : {std::tuple{16, 2, true}, {8, 1, false}, {16, 1, false}}) {
    void* ctx = nullptr;
    ASSERT_EQ(v5->init(&ctx, 1, ranks, nodes, nullptr, nullptr, nullptr), 0);
    for (int f : functions) {
      for (uint64_t bytes : sweep()) {
        float cost[7][3];
        for (auto& row : cost) {
          for (float& c : row) c = 1.0f;
        }
        int channels = 0;
        ASSERT_EQ(v5->getCollInfo(ctx, f, bytes, 1, reinterpret_cast<float**>(cost), 7, 3, 0, &channels), 0);
        const NcclRule* want = nullptr;
        for (const NcclRule& r : rules) {
          if (!want && r.collective == collectives[f] && r.minBytes <= bytes && bytes <= r.maxBytes) want = &r;
        }
        if (!applies) want = nullptr;
        int forcedA = -1, forcedP = -1, zeros = 0;
        for (int a = 0; a < 7; ++a) {
          for (int p = 0; p < 3; ++p) {
            if (cost[a][p] == 0.0f) forcedA = a, forcedP = p, ++zeros;
          }
        }
        const std::string where = std::to_string(ranks) + " ranks, function " + std::to_string(f) +
                                  ", " + std::to_string(bytes) + " B";
        if (!want) {
          EXPECT_EQ(zeros, 0) << where;
          EXPECT_EQ(channels, 0) << where;
          continue;
        }
        ASSERT_EQ(zeros, 1) << where;
        EXPECT_STREQ(cclt_algorithm_name(forcedA), want->algorithm.c_str()) << where;
        EXPECT_STREQ(cclt_protocol_name(forcedP), want->protocol.c_str()) << where;
        EXPECT_EQ(channels, want->channels > 0 ? want->channels : 0) << where;
      }
    }
    v5->finalize(ctx);
  }
  dlclose(handle);
  unsetenv("CCLBENCH_TUNER_CONFIG");
  std::remove(path.c_str());
}

TEST(NcclEmit, TheConfigCarriesProvenanceAndRefusesWhatThePluginCouldNotRead) {
  const std::string text = ncclTunerConfig(winners(), 16, 2, {"cclbench 0.1.0, tune tune-x"});
  EXPECT_THAT(text, HasSubstr("# cclbench 0.1.0, tune tune-x\n"));
  EXPECT_THAT(text, HasSubstr("allreduce,131072,268435456,ring,simple,16,2,16\n"));
  EXPECT_THAT(text, HasSubstr("allreduce,8,65536,tree,ll,-1,2,16\n"));
  EXPECT_THROW(ncclTunerConfig({{Collective::kAllReduce, 0, 1, "rign", "ll", -1}}, 2, 1, {}), Error);
  EXPECT_THROW(ncclTunerConfig({{Collective::kAllToAll, 0, 1, "ring", "ll", -1}}, 2, 1, {}), Error);
}

TEST(NcclEmit, TheEnvironmentNamesOnlyCollectivesWithOneChoiceAtEverySize) {
  const std::map<Collective, std::vector<uint64_t>> tuned = {
      {Collective::kAllReduce, sweep()}, {Collective::kAllGather, sweep()}, {Collective::kBroadcast, sweep()}};
  const std::string env = ncclEnvironmentFile(winners(), tuned, {{"NCCL_BUFFSIZE", "8388608"}}, {"tune tune-x"});
  EXPECT_THAT(env, HasSubstr("export NCCL_ALGO=\"allgather:Ring\"\n"));
  EXPECT_THAT(env, HasSubstr("export NCCL_PROTO=\"allgather:LL128\"\n"));
  EXPECT_THAT(env, HasSubstr("export NCCL_BUFFSIZE=8388608\n"));
  EXPECT_THAT(env, Not(HasSubstr("allreduce:")));  // two choices
  EXPECT_THAT(env, Not(HasSubstr("broadcast:")));  // not every size
  const std::string none = ncclEnvironmentFile(winners(), {{Collective::kAllReduce, sweep()}}, {}, {});
  EXPECT_THAT(none, Not(HasSubstr("NCCL_ALGO")));
  EXPECT_EQ(ncclPluginLines("/opt/lib/libnccl-tuner-cclbench.so", "/r/nccl-tuner.conf"),
            "export NCCL_TUNER_PLUGIN=/opt/lib/libnccl-tuner-cclbench.so "
            "CCLBENCH_TUNER_CONFIG=/r/nccl-tuner.conf\n");
}

TEST(NcclEmit, ARuleOfAnNcclCandidateBecomesAnNcclRule) {
  Rule r;
  r.collective = Collective::kReduceScatter;
  r.candidate.knobs = {{"algorithm", "pat"}, {"protocol", "simple"}, {"channels", "4"}};
  for (uint64_t bytes : {1024u, 2048u, 4096u}) {
    RuleSize s;
    s.bytes = bytes;
    r.sizes.push_back(s);
  }
  const auto n = ncclRuleOf(r);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->minBytes, 1024u);
  EXPECT_EQ(n->maxBytes, 4096u);
  EXPECT_EQ(n->algorithm, "pat");
  EXPECT_EQ(n->channels, 4);
  r.collective = Collective::kAllToAll;
  EXPECT_FALSE(ncclRuleOf(r));
  r.collective = Collective::kAllReduce;
  r.candidate.knobs = {{"algorithm", "4"}, {"segsize", "0"}};  // an Open MPI candidate
  EXPECT_FALSE(ncclRuleOf(r));
}

}  // namespace
}  // namespace cclbench::tune
