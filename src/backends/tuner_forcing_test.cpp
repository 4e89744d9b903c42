#include "backends/tuner_forcing.hpp"

#include <dlfcn.h>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "tuner_abi.h"

namespace cclbench {
namespace {

TEST(TunerForcing, ParsesCandidatesAsThePluginConfigSpellsThem) {
  const ForcedCandidate ring = parseForcedCandidate("ring/simple");
  EXPECT_EQ(ring.algorithm, CCLT_ALGO_RING);
  EXPECT_EQ(ring.protocol, CCLT_PROTO_SIMPLE);
  EXPECT_EQ(ring.channels, 0);
  const ForcedCandidate nvls = parseForcedCandidate("nvls_tree/simple/16");
  EXPECT_EQ(nvls.algorithm, CCLT_ALGO_NVLS_TREE);
  EXPECT_EQ(nvls.channels, 16);
  for (const char* bad : {"ring", "rign/simple", "ring/fast", "ring/simple/0", "ring/simple/x",
                          "ring/simple/65", "/simple", "ring/simple/8/1"}) {
    EXPECT_THROW(parseForcedCandidate(bad), Error) << bad;
  }
}

TEST(TunerForcing, RefusesWhenNcclHasNotLoadedThePlugin) {
  try {
    TunerForcing forcing(CCLBENCH_TUNER_PLUGIN);  // nothing in this process loaded it
    ADD_FAILURE() << "attached to a plugin nobody loaded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kNotAvailable);
    EXPECT_NE(std::string(e.what()).find("has not loaded"), std::string::npos) << e.what();
  }
  EXPECT_THROW(TunerForcing("libnccl-tuner-cclbench.so"), Error) << "a relative path";
  EXPECT_THROW(TunerForcing(""), Error);
}

/// What NCCL does: dlopen the plugin, init, ask getCollInfo per call with its cost table.
TEST(TunerForcing, ForcesTheLoadedPluginAndCountsWhatNcclWasGiven) {
  void* nccl = dlopen(CCLBENCH_TUNER_PLUGIN, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(nccl, nullptr) << dlerror();
  const auto* v5 = static_cast<const cclt_tuner_v5*>(dlsym(nccl, "ncclTunerPlugin_v5"));
  ASSERT_NE(v5, nullptr);
  void* ctx = nullptr;
  ASSERT_EQ(v5->init(&ctx, 1, 8, 1, nullptr, nullptr, nullptr), 0);
  const auto call = [&](float nvls, int* channels) {
    float cost[7][3];
    for (auto& row : cost) {
      for (float& c : row) c = 5.0f;
    }
    cost[CCLT_ALGO_NVLS][CCLT_PROTO_SIMPLE] = nvls;
    *channels = 0;
    EXPECT_EQ(v5->getCollInfo(ctx, 4, 1 << 20, 1, reinterpret_cast<float**>(cost), 7, 3, 0, channels), 0);
    for (int a = 0; a < 7; ++a) {
      for (int p = 0; p < 3; ++p) {
        if (cost[a][p] == 0.0f) return std::pair{a, p};
      }
    }
    return std::pair{-1, -1};
  };
  {
    TunerForcing forcing(CCLBENCH_TUNER_PLUGIN);
    const cclbench_tuner_counts start = forcing.counts();
    int channels = 0;
    forcing.force(parseForcedCandidate("ring/simple/8"));
    EXPECT_EQ(call(5.0f, &channels), (std::pair<int, int>{CCLT_ALGO_RING, CCLT_PROTO_SIMPLE}));
    EXPECT_EQ(channels, 8);
    EXPECT_EQ(forcing.counts().forced, start.forced + 1);

    forcing.force(parseForcedCandidate("nvls/simple"));  // NCCL marked it unavailable: no change
    EXPECT_EQ(call(-1.0f, &channels), (std::pair<int, int>{-1, -1}));
    EXPECT_EQ(channels, 0);
    EXPECT_EQ(forcing.counts().unavailable, start.unavailable + 1);

    forcing.force(std::nullopt);
    EXPECT_EQ(call(5.0f, &channels), (std::pair<int, int>{-1, -1}));
    EXPECT_EQ(forcing.counts().forced, start.forced + 1);

    forcing.force(parseForcedCandidate("tree/ll"));
    v5->finalize(ctx);
    dlclose(nccl);  // NCCL closes the plugin with its last communicator: forcing keeps it open
    nccl = dlopen(CCLBENCH_TUNER_PLUGIN, RTLD_NOW | RTLD_NOLOAD);
    ASSERT_NE(nccl, nullptr) << "still loaded while forcing holds it";
    v5 = static_cast<const cclt_tuner_v5*>(dlsym(nccl, "ncclTunerPlugin_v5"));
    ASSERT_EQ(v5->init(&ctx, 1, 8, 1, nullptr, nullptr, nullptr), 0);
    EXPECT_EQ(call(5.0f, &channels), (std::pair<int, int>{CCLT_ALGO_TREE, CCLT_PROTO_LL}));
  }
  int channels = 0;  // forcing ended with its owner: the plugin decides nothing on its own
  EXPECT_EQ(call(5.0f, &channels), (std::pair<int, int>{-1, -1}));
  v5->finalize(ctx);
  dlclose(nccl);
}

}  // namespace
}  // namespace cclbench
