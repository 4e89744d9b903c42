#include "launch/thread_bootstrap.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <thread>
#include <utility>
#include <vector>

namespace cclbench {
namespace {

constexpr int kThreads = 4;

/// Runs `body(bootstrap)` on kThreads threads sharing one group.
void onThreads(const std::function<void(Bootstrap&)>& body) {
  auto group = createThreadGroup(kThreads);
  std::vector<std::thread> threads;
  for (int rank = 0; rank < kThreads; ++rank) {
    threads.emplace_back([group, rank, &body] {
      auto bootstrap = createThreadBootstrap(group, rank);
      body(*bootstrap);
    });
  }
  for (auto& t : threads) t.join();
}

TEST(ThreadBootstrap, PlaceNamesRankAndSize) {
  std::vector<ProcessPlace> places(kThreads);
  onThreads([&](Bootstrap& b) { places[b.place().rank] = b.place(); });
  for (int rank = 0; rank < kThreads; ++rank) {
    EXPECT_EQ(places[rank].rank, rank);
    EXPECT_EQ(places[rank].size, kThreads);
    EXPECT_EQ(places[rank].localRank, rank);
    EXPECT_EQ(places[rank].localSize, kThreads);
    EXPECT_FALSE(places[rank].host.empty());
  }
}

TEST(ThreadBootstrap, AllReduceDoubles) {
  // Rank r contributes {r + 0.1, 10 - r, r * r}.
  std::vector<std::vector<double>> sums(kThreads), mins(kThreads), maxs(kThreads);
  onThreads([&](Bootstrap& b) {
    const int r = b.place().rank;
    const std::vector<double> mine{r + 0.1, 10.0 - r, double(r * r)};
    sums[r] = mins[r] = maxs[r] = mine;
    b.allReduce(sums[r].data(), 3, Bootstrap::Op::kSum);
    b.allReduce(mins[r].data(), 3, Bootstrap::Op::kMin);
    b.allReduce(maxs[r].data(), 3, Bootstrap::Op::kMax);
  });
  EXPECT_NEAR(sums[0][0], 6.4, 1e-12);
  EXPECT_DOUBLE_EQ(sums[0][1], 34.0);
  EXPECT_DOUBLE_EQ(sums[0][2], 14.0);
  EXPECT_DOUBLE_EQ(mins[0][0], 0.1);
  EXPECT_DOUBLE_EQ(mins[0][1], 7.0);
  EXPECT_DOUBLE_EQ(maxs[0][0], 3.1);
  EXPECT_DOUBLE_EQ(maxs[0][1], 10.0);
  EXPECT_DOUBLE_EQ(maxs[0][2], 9.0);
  for (int r = 1; r < kThreads; ++r) {  // bit-identical everywhere
    EXPECT_EQ(std::memcmp(sums[r].data(), sums[0].data(), 3 * sizeof(double)), 0) << r;
    EXPECT_EQ(mins[r], mins[0]);
    EXPECT_EQ(maxs[r], maxs[0]);
  }
}

TEST(ThreadBootstrap, AllReduceUnsigned64) {
  std::vector<std::vector<uint64_t>> sums(kThreads), mins(kThreads), maxs(kThreads);
  onThreads([&](Bootstrap& b) {
    const uint64_t r = static_cast<uint64_t>(b.place().rank);
    const std::vector<uint64_t> mine{r, 1ull << (40 + r), 100 - r};
    sums[r] = mins[r] = maxs[r] = mine;
    b.allReduce(sums[r].data(), 3, Bootstrap::Op::kSum);
    b.allReduce(mins[r].data(), 3, Bootstrap::Op::kMin);
    b.allReduce(maxs[r].data(), 3, Bootstrap::Op::kMax);
  });
  for (int r = 0; r < kThreads; ++r) {
    EXPECT_EQ(sums[r], (std::vector<uint64_t>{6, 15ull << 40, 394})) << r;
    EXPECT_EQ(mins[r], (std::vector<uint64_t>{0, 1ull << 40, 97})) << r;
    EXPECT_EQ(maxs[r], (std::vector<uint64_t>{3, 1ull << 43, 100})) << r;
  }
}

TEST(ThreadBootstrap, MaxLocationPicksTheLowestRankOfTheMaximum) {
  const double values[kThreads] = {1.0, 7.0, 7.0, 3.0};
  std::vector<std::pair<double, int>> results(kThreads);
  onThreads([&](Bootstrap& b) { results[b.place().rank] = b.maxLocation(values[b.place().rank]); });
  for (const auto& result : results) {
    EXPECT_DOUBLE_EQ(result.first, 7.0);
    EXPECT_EQ(result.second, 1);
  }
}

TEST(ThreadBootstrap, BroadcastCopiesTheRootsBytes) {
  std::vector<std::vector<int>> buffers(kThreads);
  onThreads([&](Bootstrap& b) {
    const int r = b.place().rank;
    buffers[r] = {r, r * 10, r * 100};
    b.broadcast(buffers[r].data(), 3 * sizeof(int), 2);
  });
  for (int r = 0; r < kThreads; ++r) EXPECT_EQ(buffers[r], (std::vector<int>{2, 20, 200})) << r;
}

TEST(ThreadBootstrap, GatherToRootConcatenatesInRankOrder) {
  std::vector<std::vector<char>> gathered(kThreads, std::vector<char>{'x'});
  onThreads([&](Bootstrap& b) {
    const int r = b.place().rank;
    const int mine[2] = {r, r * r};
    b.gatherToRoot(mine, sizeof mine, gathered[r]);
  });
  ASSERT_EQ(gathered[0].size(), kThreads * 2 * sizeof(int));
  std::vector<int> values(kThreads * 2);
  std::memcpy(values.data(), gathered[0].data(), gathered[0].size());
  EXPECT_EQ(values, (std::vector<int>{0, 0, 1, 1, 2, 4, 3, 9}));
  for (int r = 1; r < kThreads; ++r) EXPECT_EQ(gathered[r], std::vector<char>{'x'}) << r;
}

TEST(ThreadBootstrap, BarrierWaitsForEveryThread) {
  std::atomic<int> arrived{0};
  std::vector<int> seen(kThreads, -1);
  onThreads([&](Bootstrap& b) {
    if (b.place().rank == 3) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    arrived.fetch_add(1);
    b.barrier();
    seen[b.place().rank] = arrived.load();
    b.barrier();
  });
  for (int r = 0; r < kThreads; ++r) EXPECT_EQ(seen[r], kThreads) << r;
}

TEST(ThreadBootstrap, ManyRoundsInARowStayConsistent) {
  std::vector<double> totals(kThreads);
  onThreads([&](Bootstrap& b) {
    double total = 0;
    for (int round = 0; round < 200; ++round) {
      double v = b.place().rank + round;
      b.allReduce(&v, 1, Bootstrap::Op::kSum);
      total += v;
    }
    totals[b.place().rank] = total;
  });
  // Each round sums to 6 + 4 * round: 200 * 6 + 4 * 19900.
  for (double t : totals) EXPECT_DOUBLE_EQ(t, 1200.0 + 4 * 19900.0);
}

}  // namespace
}  // namespace cclbench
