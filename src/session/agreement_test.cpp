#include "session/agreement.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <thread>
#include <vector>

#include "launch/thread_bootstrap.hpp"

namespace cclbench {
namespace {

constexpr int kRanks = 4;

/// Runs `body(bootstrap)` on kRanks threads sharing one thread group.
void onRanks(const std::function<void(Bootstrap&)>& body) {
  auto group = createThreadGroup(kRanks);
  std::vector<std::thread> threads;
  for (int rank = 0; rank < kRanks; ++rank) {
    threads.emplace_back([group, rank, &body] {
      auto bootstrap = createThreadBootstrap(group, rank);
      body(*bootstrap);
    });
  }
  for (auto& t : threads) t.join();
}

/// Every rank's verdict when the ranks in `failures` fail with their error.
std::vector<Verdict> verdicts(const std::vector<std::optional<Error>>& failures) {
  std::vector<Verdict> out(kRanks);
  onRanks([&](Bootstrap& b) {
    const int rank = b.place().rank;
    out[rank] = agreeOn(b, failures[rank]);
  });
  return out;
}

TEST(AgreeOn, NoFailureIsOkEverywhere) {
  for (const Verdict& v : verdicts({std::nullopt, std::nullopt, std::nullopt, std::nullopt})) {
    EXPECT_TRUE(v.ok());
    EXPECT_EQ(v.code, ExitCode::kOk);
    EXPECT_EQ(v.message, "");
  }
}

TEST(AgreeOn, OneFailingRankDecidesForAll) {
  const auto all =
      verdicts({std::nullopt, std::nullopt,
                Error(ExitCode::kWrongData, "allreduce: 3 wrong elements"), std::nullopt});
  for (int rank = 0; rank < kRanks; ++rank) {
    const Verdict& v = all[rank];
    EXPECT_FALSE(v.ok()) << rank;
    EXPECT_EQ(v.code, ExitCode::kWrongData) << rank;
    EXPECT_NE(v.message.find("rank 2"), std::string::npos) << v.message;
    EXPECT_NE(v.message.find("allreduce: 3 wrong elements"), std::string::npos) << v.message;
    EXPECT_EQ(v.message, all[0].message);
  }
}

TEST(AgreeOn, TheLowestFailingRankWins) {
  const auto all = verdicts({std::nullopt, Error(ExitCode::kTimeout, "rank one timed out"),
                             std::nullopt, Error(ExitCode::kLibraryError, "rank three failed")});
  for (const Verdict& v : all) {
    EXPECT_EQ(v.code, ExitCode::kTimeout);
    EXPECT_NE(v.message.find("rank 1"), std::string::npos) << v.message;
    EXPECT_NE(v.message.find("rank one timed out"), std::string::npos) << v.message;
    EXPECT_EQ(v.message.find("rank three"), std::string::npos) << v.message;
  }
}

TEST(AgreeOn, RankZerosMessageIsUnprefixed) {
  const auto all = verdicts({Error(ExitCode::kInvalidUsage, "bad -b"), std::nullopt, std::nullopt,
                             Error(ExitCode::kInternal, "other")});
  for (const Verdict& v : all) {
    EXPECT_EQ(v.code, ExitCode::kInvalidUsage);
    EXPECT_EQ(v.message, "bad -b");
  }
}

TEST(AgreeOn, LongMessagesAreCutNotOverrun) {
  const std::string longText(5000, 'x');
  const auto all =
      verdicts({std::nullopt, std::nullopt, std::nullopt, Error(ExitCode::kInternal, longText)});
  for (const Verdict& v : all) {
    EXPECT_EQ(v.code, ExitCode::kInternal);
    EXPECT_LT(v.message.size(), 1100u);
    EXPECT_NE(v.message.find("xxxxxxxx"), std::string::npos);
  }
}

TEST(CompareWithRankZero, FlagsOnlyTheRanksThatDiffer) {
  const uint64_t hashes[kRanks] = {5, 5, 7, 5};
  std::vector<std::optional<Error>> results(kRanks);
  onRanks([&](Bootstrap& b) {
    const int rank = b.place().rank;
    results[rank] = compareWithRankZero(b, hashes[rank]);
  });
  for (int rank = 0; rank < kRanks; ++rank) {
    EXPECT_EQ(results[rank].has_value(), rank == 2) << rank;
  }
  EXPECT_EQ(results[2]->code(), ExitCode::kInvalidUsage);
}

TEST(CompareWithRankZero, ThenAgreeOnGivesEveryRankTheMismatch) {
  const uint64_t hashes[kRanks] = {1, 1, 1, 9};
  std::vector<Verdict> all(kRanks);
  onRanks([&](Bootstrap& b) {
    const int rank = b.place().rank;
    all[rank] = agreeOn(b, compareWithRankZero(b, hashes[rank]));
  });
  for (const Verdict& v : all) {
    EXPECT_EQ(v.code, ExitCode::kInvalidUsage);
    EXPECT_NE(v.message.find("rank 3"), std::string::npos) << v.message;
  }
}

}  // namespace
}  // namespace cclbench
