// libnccl-tuner-cclbench.so through dlopen, called the way NCCL calls it: a contiguous
// float[7][3] cost table passed as float**, a printf-style logger, one context per
// communicator, every exported version.

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cclbench_tuner.h"
#include "tuner_abi.h"

namespace {

std::mutex logMutex;
std::vector<std::pair<int, std::string>> logged;

void logger(int level, unsigned long, const char*, int, const char* fmt, ...) {
  char text[1024];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(text, sizeof text, fmt, args);
  va_end(args);
  std::lock_guard<std::mutex> lock(logMutex);
  logged.emplace_back(level, text);
}

std::vector<std::string> warnings() {
  std::lock_guard<std::mutex> lock(logMutex);
  std::vector<std::string> out;
  for (const auto& [level, text] : logged) {
    if (level == CCLT_LOG_WARN) out.push_back(text);
  }
  return out;
}

/// NCCL's cost table: every pair available (1.0) unless marked -1.
struct CostTable {
  float cost[CCLT_NUM_ALGORITHMS][CCLT_NUM_PROTOCOLS];
  CostTable() {
    for (auto& row : cost) {
      for (float& c : row) c = 1.0f;
    }
  }
  float** raw() { return reinterpret_cast<float**>(cost); }
  /// The one entry set to 0 ({-1, -1} when none).
  std::pair<int, int> forced() const {
    for (int a = 0; a < CCLT_NUM_ALGORITHMS; ++a) {
      for (int p = 0; p < CCLT_NUM_PROTOCOLS; ++p) {
        if (cost[a][p] == 0.0f) return {a, p};
      }
    }
    return {-1, -1};
  }
  int changed(const CostTable& before) const {
    int n = 0;
    for (int a = 0; a < CCLT_NUM_ALGORITHMS; ++a) {
      for (int p = 0; p < CCLT_NUM_PROTOCOLS; ++p) n += cost[a][p] != before.cost[a][p];
    }
    return n;
  }
};

class Plugin : public ::testing::Test {
 protected:
  void SetUp() override {
    handle_ = dlopen(CCLBENCH_TUNER_PLUGIN, RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(handle_, nullptr) << dlerror();
    v5_ = static_cast<const cclt_tuner_v5*>(dlsym(handle_, "ncclTunerPlugin_v5"));
    v4_ = static_cast<const cclt_tuner_v4*>(dlsym(handle_, "ncclTunerPlugin_v4"));
    v3_ = static_cast<const cclt_tuner_v3*>(dlsym(handle_, "ncclTunerPlugin_v3"));
    v2_ = static_cast<const cclt_tuner_v2*>(dlsym(handle_, "ncclTunerPlugin_v2"));
    ASSERT_TRUE(v5_ && v4_ && v3_ && v2_);
    char folder[] = "/tmp/cclbench-tuner-XXXXXX";
    ASSERT_NE(mkdtemp(folder), nullptr);
    folder_ = folder;
    unsetenv("NCCL_TUNER_CONFIG_FILE");
    std::lock_guard<std::mutex> lock(logMutex);
    logged.clear();
  }
  void TearDown() override {
    force(-1, -1, -1, 0);
    unsetenv("CCLBENCH_TUNER_CONFIG");
    std::string command = "rm -rf " + folder_;
    EXPECT_EQ(std::system(command.c_str()), 0);
    if (handle_) dlclose(handle_);
  }

  std::string config(const std::string& text, const std::string& name = "tuner.conf") {
    const std::string path = folder_ + "/" + name;
    std::ofstream(path) << text;
    setenv("CCLBENCH_TUNER_CONFIG", path.c_str(), 1);
    return path;
  }

  void* init5(size_t ranks = 8, size_t nodes = 1) {
    void* ctx = nullptr;
    EXPECT_EQ(v5_->init(&ctx, 42, ranks, nodes, logger, nullptr, nullptr), 0);
    return ctx;
  }

  /// A v5 call; returns the pair forced ({-1, -1}: none) and the channels after it.
  std::pair<int, int> call5(void* ctx, int coll, size_t bytes, int* channels = nullptr,
                            int regBuff = 0, CostTable table = {}) {
    int nChannels = 0;
    EXPECT_EQ(v5_->getCollInfo(ctx, coll, bytes, 1, table.raw(), CCLT_NUM_ALGORITHMS,
                               CCLT_NUM_PROTOCOLS, regBuff, &nChannels),
              0);
    if (channels) *channels = nChannels;
    return table.forced();
  }

  int force(int coll, int algo, int proto, int channels, cclbench_tuner_counts* counts = nullptr) {
    // As cclbench finds it: the plugin NCCL already loaded, by its path, without loading it.
    void* loaded = dlopen(CCLBENCH_TUNER_PLUGIN, RTLD_NOW | RTLD_NOLOAD);
    EXPECT_NE(loaded, nullptr);
    auto fn = reinterpret_cast<cclbench_tuner_force_fn>(dlsym(loaded, CCLBENCH_TUNER_FORCE_SYMBOL));
    EXPECT_NE(fn, nullptr);
    const int rc = fn ? fn(coll, algo, proto, channels, counts) : -99;
    if (loaded) dlclose(loaded);
    return rc;
  }

  void* handle_ = nullptr;
  const cclt_tuner_v5* v5_ = nullptr;
  const cclt_tuner_v4* v4_ = nullptr;
  const cclt_tuner_v3* v3_ = nullptr;
  const cclt_tuner_v2* v2_ = nullptr;
  std::string folder_;
};

const std::pair<int, int> kNone{-1, -1};
std::pair<int, int> Pair(int algorithm, int protocol) { return {algorithm, protocol}; }

TEST_F(Plugin, EveryVersionIsNamedAndV6IsNotClaimed) {
  EXPECT_STREQ(v5_->name, "cclbench");
  EXPECT_STREQ(v4_->name, "cclbench");
  EXPECT_STREQ(v3_->name, "cclbench");
  EXPECT_STREQ(v2_->name, "cclbench");
  EXPECT_EQ(dlsym(handle_, "ncclTunerPlugin_v6"), nullptr);
  EXPECT_EQ(dlsym(handle_, "cclt_parse"), nullptr) << "internal symbols stay hidden";
}

TEST_F(Plugin, V5ForcesTheFirstMatchingRuleAndTouchesChannelsOnlyWhenTheRuleSetsThem) {
  config(
      "# written by a test\n"
      "allreduce,0,65536,tree,ll,-1,-1,-1\n"
      "allreduce,65537,-1,ring,simple,8,-1,-1\n"
      "allreduce,0,-1,nvls,simple,-1,-1,-1\n"
      "allgather,1024,2048,ring,ll128,4,-1,16\n");
  void* ctx = init5();
  int channels = -7;
  EXPECT_EQ(call5(ctx, 4, 0, &channels), Pair(CCLT_ALGO_TREE, CCLT_PROTO_LL));
  EXPECT_EQ(channels, 0) << "no channels in the rule: *nChannels untouched";
  EXPECT_EQ(call5(ctx, 4, 65536, &channels), Pair(CCLT_ALGO_TREE, CCLT_PROTO_LL));
  EXPECT_EQ(call5(ctx, 4, 65537, &channels), Pair(CCLT_ALGO_RING, CCLT_PROTO_SIMPLE));
  EXPECT_EQ(channels, 8);
  // No match: nothing changes (NCCL's example tuner sets one channel here).
  CostTable before;
  before.cost[CCLT_ALGO_PAT][0] = -1;
  CostTable after = before;
  int nChannels = 0;
  EXPECT_EQ(v5_->getCollInfo(ctx, 2, 1024, 1, after.raw(), 7, 3, 0, &nChannels), 0);
  EXPECT_EQ(after.changed(before), 0);
  EXPECT_EQ(nChannels, 0);
  EXPECT_EQ(call5(ctx, 0, 100), kNone);
  EXPECT_EQ(call5(ctx, 9, 100), kNone) << "send/recv and others are never touched";
  // An unavailable entry stays -1 and its rule is skipped: the next match applies.
  CostTable noTree;
  noTree.cost[CCLT_ALGO_TREE][CCLT_PROTO_LL] = -1;
  EXPECT_EQ(call5(ctx, 4, 100, nullptr, 0, noTree), Pair(CCLT_ALGO_NVLS, CCLT_PROTO_SIMPLE));
  CostTable neither = noTree;
  neither.cost[CCLT_ALGO_NVLS][CCLT_PROTO_SIMPLE] = -1;
  CostTable neitherAfter = neither;
  EXPECT_EQ(v5_->getCollInfo(ctx, 4, 100, 1, neitherAfter.raw(), 7, 3, 0, &nChannels), 0);
  EXPECT_EQ(neitherAfter.changed(neither), 0);
  EXPECT_EQ(v5_->finalize(ctx), 0);
  // The allgather rule is for 16 ranks.
  void* sixteen = init5(16);
  EXPECT_EQ(call5(sixteen, 2, 1500, &channels), Pair(CCLT_ALGO_RING, CCLT_PROTO_LL128));
  EXPECT_EQ(channels, 4);
  EXPECT_EQ(v5_->finalize(sixteen), 0);
  EXPECT_TRUE(warnings().empty());
}

TEST_F(Plugin, V4AndV3TakeTheSameRulesAndV3KnowsNoRegisteredBuffers) {
  config(
      "reducescatter,0,-1,pat,simple,-1,-1,-1,-1,1\n"
      "reducescatter,0,-1,ring,ll,2,-1,-1\n");
  void* c4 = nullptr;
  ASSERT_EQ(v4_->init(8, 1, logger, &c4), 0);
  CostTable t;
  int channels = 0;
  EXPECT_EQ(v4_->getCollInfo(c4, 3, 4096, 1, t.raw(), 7, 3, 1, &channels), 0);
  EXPECT_EQ(t.forced(), Pair(CCLT_ALGO_PAT, CCLT_PROTO_SIMPLE));
  EXPECT_EQ(channels, 0);
  CostTable u;
  EXPECT_EQ(v4_->getCollInfo(c4, 3, 4096, 1, u.raw(), 7, 3, 0, &channels), 0);
  EXPECT_EQ(u.forced(), Pair(CCLT_ALGO_RING, CCLT_PROTO_LL));
  EXPECT_EQ(channels, 2);
  EXPECT_EQ(v4_->destroy(c4), 0);
  void* c3 = nullptr;
  ASSERT_EQ(v3_->init(8, 1, logger, &c3), 0);
  CostTable v;
  channels = 0;
  EXPECT_EQ(v3_->getCollInfo(c3, 3, 4096, 1, v.raw(), 7, 3, &channels), 0);
  EXPECT_EQ(v.forced(), Pair(CCLT_ALGO_RING, CCLT_PROTO_LL));
  EXPECT_EQ(v3_->destroy(c3), 0);
}

TEST_F(Plugin, V2ReturnsThePairAndHonoursNvlsAndCollNetSupport) {
  config(
      "allreduce,0,-1,nvls,simple,-1,-1,-1\n"
      "allreduce,0,-1,collnet_direct,simple,-1,-1,-1\n"
      "allreduce,0,-1,ring,ll128,6,-1,-1\n");
  void* ctx = nullptr;
  ASSERT_EQ(v2_->init(8, 1, logger, &ctx), 0);
  int algo = -1, proto = -1, channels = 0;
  EXPECT_EQ(v2_->getCollInfo(ctx, 4, 1 << 20, 1, 1, 1, &algo, &proto, &channels), 0);
  EXPECT_EQ(algo, CCLT_ALGO_NVLS);
  EXPECT_EQ(proto, CCLT_PROTO_SIMPLE);
  algo = proto = -1;
  EXPECT_EQ(v2_->getCollInfo(ctx, 4, 1 << 20, 1, 0, 1, &algo, &proto, &channels), 0);
  EXPECT_EQ(algo, CCLT_ALGO_COLLNET_DIRECT) << "no NVLS support: the next rule";
  algo = proto = -1;
  EXPECT_EQ(v2_->getCollInfo(ctx, 4, 1 << 20, 0, 0, 1, &algo, &proto, &channels), 0);
  EXPECT_EQ(algo, CCLT_ALGO_RING);
  EXPECT_EQ(proto, CCLT_PROTO_LL128);
  EXPECT_EQ(channels, 6);
  algo = proto = -1;
  channels = 0;
  EXPECT_EQ(v2_->getCollInfo(ctx, 1, 1 << 20, 0, 0, 1, &algo, &proto, &channels), 0);
  EXPECT_EQ(algo, -1) << "no rule for reduce: NCCL's choice stands";
  EXPECT_EQ(channels, 0);
  EXPECT_EQ(v2_->destroy(ctx), 0);
}

TEST_F(Plugin, WithoutAConfigNothingChangesAndTheOldVariableStillWorks) {
  void* ctx = init5();
  EXPECT_EQ(call5(ctx, 4, 1024), kNone);
  EXPECT_EQ(v5_->finalize(ctx), 0);
  EXPECT_TRUE(warnings().empty()) << "no config is no fault";
  const std::string path = config("allreduce,0,-1,ring,simple,-1,-1,-1\n");
  unsetenv("CCLBENCH_TUNER_CONFIG");
  setenv("NCCL_TUNER_CONFIG_FILE", path.c_str(), 1);
  ctx = init5();
  EXPECT_EQ(call5(ctx, 4, 1024), Pair(CCLT_ALGO_RING, CCLT_PROTO_SIMPLE));
  EXPECT_EQ(v5_->finalize(ctx), 0);
}

/// Each hostile config: init succeeds at once, one warning, and the calls change nothing
/// (or only what the good lines say).
TEST_F(Plugin, AHostileConfigLogsOneWarningAndChangesNothing) {
  struct Case {
    std::string name, path;
    bool goodLineApplies;
  };
  std::vector<Case> cases;
  cases.push_back({"missing", folder_ + "/missing.conf", false});
  cases.push_back({"a folder", folder_, false});
  const std::string fifo = folder_ + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  cases.push_back({"a FIFO nobody writes", fifo, false});
  cases.push_back({"a device", "/dev/zero", false});
  std::string junk(70000, '\0');
  for (size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<char>((i * 2654435761u) >> 13);
  cases.push_back({"binary junk", config(junk, "junk.conf"), false});
  cases.push_back({"a bad line before a good one",
                   config("allreduce,0,-1,rign,simple,-1,-1,-1\nallreduce,0,-1,ring,simple,-1,-1,-1\n",
                          "bad.conf"),
                   true});
  std::string big;
  while (big.size() < (5u << 20)) big += "allreduce,0,-1,ring,simple,-1,-1,-1\n";
  cases.push_back({"5 MiB of rules", config(big, "big.conf"), true});
  for (const Case& c : cases) {
    {
      std::lock_guard<std::mutex> lock(logMutex);
      logged.clear();
    }
    setenv("CCLBENCH_TUNER_CONFIG", c.path.c_str(), 1);
    const auto start = std::chrono::steady_clock::now();
    void* ctx = init5();
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5)) << c.name;
    EXPECT_EQ(warnings().size(), 1u) << c.name;
    for (const std::string& w : warnings()) EXPECT_EQ(w.find('\n'), std::string::npos) << w;
    EXPECT_EQ(call5(ctx, 4, 1024), c.goodLineApplies ? Pair(CCLT_ALGO_RING, CCLT_PROTO_SIMPLE) : kNone)
        << c.name;
    EXPECT_EQ(v5_->finalize(ctx), 0);
  }
  const auto w = warnings();
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("past 1024 ignored"), std::string::npos) << w[0];
  EXPECT_NE(w[0].find("first 4 MiB"), std::string::npos) << w[0];
}

TEST_F(Plugin, ForcingWinsOverTheConfigUntilCleared) {
  config("allreduce,0,-1,tree,ll,-1,-1,-1\n");
  void* ctx = init5();
  cclbench_tuner_counts counts{};
  ASSERT_EQ(force(-2, -2, 0, 0, &counts), 0);
  const auto forcedBefore = counts.forced;
  ASSERT_EQ(force(4, CCLT_ALGO_RING, CCLT_PROTO_LL128, 12), 0);
  int channels = 0;
  EXPECT_EQ(call5(ctx, 4, 1 << 20, &channels), Pair(CCLT_ALGO_RING, CCLT_PROTO_LL128));
  EXPECT_EQ(channels, 12);
  EXPECT_EQ(call5(ctx, 2, 1 << 20), kNone) << "only allreduce is forced";
  CostTable noRing;
  noRing.cost[CCLT_ALGO_RING][CCLT_PROTO_LL128] = -1;
  EXPECT_EQ(call5(ctx, 4, 1 << 20, nullptr, 0, noRing), kNone) << "an unavailable pair is not forced";
  ASSERT_EQ(force(-2, -2, 0, 0, &counts), 0);
  EXPECT_EQ(counts.forced - forcedBefore, 1u);
  EXPECT_GE(counts.unavailable, 1u);
  ASSERT_EQ(force(-1, CCLT_ALGO_PAT, CCLT_PROTO_SIMPLE, 0), 0);  // every collective
  EXPECT_EQ(call5(ctx, 2, 64), Pair(CCLT_ALGO_PAT, CCLT_PROTO_SIMPLE));
  ASSERT_EQ(force(-1, -1, 0, 0), 0);
  EXPECT_EQ(call5(ctx, 4, 64), Pair(CCLT_ALGO_TREE, CCLT_PROTO_LL)) << "the config again";
  EXPECT_EQ(force(5, 0, 0, 0), -1);
  EXPECT_EQ(force(4, 7, 0, 0), -1);
  EXPECT_EQ(force(4, 0, 3, 0), -1);
  EXPECT_EQ(force(4, 0, 0, 70000), -1);
  EXPECT_EQ(v5_->finalize(ctx), 0);
}

TEST_F(Plugin, CommunicatorsOnSeveralThreadsKeepTheirOwnRules) {
  config(
      "allreduce,0,4095,tree,ll,-1,-1,2\n"
      "allreduce,0,4095,ring,ll,-1,-1,4\n"
      "allreduce,4096,-1,ring,simple,-1,-1,-1\n");
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      const size_t ranks = t % 2 ? 2 : 4;
      for (int comm = 0; comm < 5; ++comm) {
        void* ctx = nullptr;
        if (v5_->init(&ctx, 1000 + t, ranks, 1, logger, nullptr, nullptr) != 0) ++wrong;
        for (int i = 0; i < 2000; ++i) {
          const size_t bytes = static_cast<size_t>(i) * 7;
          CostTable table;
          int channels = 0;
          v5_->getCollInfo(ctx, 4, bytes, 1, table.raw(), 7, 3, 0, &channels);
          const auto want = bytes >= 4096 ? Pair(CCLT_ALGO_RING, CCLT_PROTO_SIMPLE)
                            : ranks == 2  ? Pair(CCLT_ALGO_TREE, CCLT_PROTO_LL)
                                          : Pair(CCLT_ALGO_RING, CCLT_PROTO_LL);
          if (table.forced() != want || table.changed(CostTable{}) != 1) ++wrong;
        }
        v5_->finalize(ctx);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
