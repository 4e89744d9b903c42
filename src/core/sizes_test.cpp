#include "core/sizes.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/error.hpp"

namespace cclbench {
namespace {

using ::testing::ElementsAre;

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = 1024 * kKiB;
constexpr uint64_t kGiB = 1024 * kMiB;
constexpr uint64_t kTiB = 1024 * kGiB;

TEST(ParseBytes, PlainNumbersAreBytes) {
  EXPECT_EQ(parseBytes("8"), 8u);
  EXPECT_EQ(parseBytes("0"), 0u);
  EXPECT_EQ(parseBytes("1000"), 1000u);
  EXPECT_EQ(parseBytes("8B"), 8u);
}

TEST(ParseBytes, SuffixesAre1024Based) {
  EXPECT_EQ(parseBytes("64K"), 64 * kKiB);
  EXPECT_EQ(parseBytes("1M"), kMiB);
  EXPECT_EQ(parseBytes("2G"), 2 * kGiB);
  EXPECT_EQ(parseBytes("1T"), kTiB);
  EXPECT_EQ(parseBytes("256M"), 268435456u);
}

TEST(ParseBytes, AcceptsBAndIBSpellingsInAnyCase) {
  EXPECT_EQ(parseBytes("64KB"), 64 * kKiB);
  EXPECT_EQ(parseBytes("64KiB"), 64 * kKiB);
  EXPECT_EQ(parseBytes("64k"), 64 * kKiB);
  EXPECT_EQ(parseBytes("64kb"), 64 * kKiB);
  EXPECT_EQ(parseBytes("64kib"), 64 * kKiB);
  EXPECT_EQ(parseBytes("3m"), 3 * kMiB);
  EXPECT_EQ(parseBytes("3MiB"), 3 * kMiB);
  EXPECT_EQ(parseBytes("1g"), kGiB);
  EXPECT_EQ(parseBytes("1t"), kTiB);
}

TEST(ParseBytes, RejectsMalformedText) {
  for (const char* bad : {"", "abc", "-1", "1X", "K", "1.5M", " 8", "8 ", "1KX", "1MK", "+8"}) {
    EXPECT_EQ(parseBytes(bad), std::nullopt) << "'" << bad << "'";
  }
}

TEST(ParseBytes, RejectsUnitMarkersWithoutAUnit) {
  for (const char* bad : {"1iB", "1ib", "1BB", "1bb", "1BiB", "1KiBB"}) {
    EXPECT_EQ(parseBytes(bad), std::nullopt) << "'" << bad << "'";
  }
}

TEST(ParseBytes, RejectsOverflow) {
  EXPECT_EQ(parseBytes("99999999999T"), std::nullopt);
  EXPECT_EQ(parseBytes("18446744073709551616"), std::nullopt);  // 2^64
  EXPECT_EQ(parseBytes("16777216T"), std::nullopt);             // 2^24 TiB = 2^64
  EXPECT_EQ(parseBytes("17179869184G"), std::nullopt);          // 2^34 GiB = 2^64
  // The largest values that still fit.
  EXPECT_EQ(parseBytes("16777215T"), 16777215 * kTiB);
  EXPECT_EQ(parseBytes("18446744073709551615"), UINT64_MAX);
}

TEST(FormatBytes, ExactBinaryUnitsWhereTheyFit) {
  EXPECT_EQ(formatBytes(0), "0 B");
  EXPECT_EQ(formatBytes(8), "8 B");
  EXPECT_EQ(formatBytes(1023), "1023 B");
  EXPECT_EQ(formatBytes(1024), "1 KiB");
  EXPECT_EQ(formatBytes(1536), "1536 B");
  EXPECT_EQ(formatBytes(3 * kKiB), "3 KiB");
  EXPECT_EQ(formatBytes(256 * kMiB), "256 MiB");
  EXPECT_EQ(formatBytes(kMiB + kKiB), "1025 KiB");
  EXPECT_EQ(formatBytes(8 * kGiB), "8 GiB");
  EXPECT_EQ(formatBytes(kTiB), "1 TiB");
  EXPECT_EQ(formatBytes(2048 * kTiB), "2048 TiB");
}

TEST(SweepSizes, MultipliesByTheFactor) {
  EXPECT_THAT(sweepSizes({8, 64, 2.0, 0, {}}), ElementsAre(8, 16, 32, 64));
  EXPECT_THAT(sweepSizes({8, 100, 2.0, 0, {}}), ElementsAre(8, 16, 32, 64));
  EXPECT_THAT(sweepSizes({1, 81, 3.0, 0, {}}), ElementsAre(1, 3, 9, 27, 81));
}

TEST(SweepSizes, NonIntegerFactorRoundsDown) {
  // 10, 15, floor(22.5) = 22, 33, then 49.5 > 40.
  EXPECT_THAT(sweepSizes({10, 40, 1.5, 0, {}}), ElementsAre(10, 15, 22, 33));
}

TEST(SweepSizes, FullDefaultSweepHas26Sizes) {
  const auto sizes = sweepSizes({8, 256 * kMiB, 2.0, 0, {}});
  ASSERT_EQ(sizes.size(), 26u);  // 2^3 .. 2^28
  EXPECT_EQ(sizes.front(), 8u);
  EXPECT_EQ(sizes.back(), 256 * kMiB);
}

TEST(SweepSizes, AddsTheStep) {
  EXPECT_THAT(sweepSizes({8, 40, 0, 16, {}}), ElementsAre(8, 24, 40));
  EXPECT_THAT(sweepSizes({8, 39, 0, 16, {}}), ElementsAre(8, 24));
  // A step wins over a factor that would be invalid on its own.
  EXPECT_THAT(sweepSizes({100, 400, 1.0, 100, {}}), ElementsAre(100, 200, 300, 400));
}

TEST(SweepSizes, EqualMinAndMaxGiveOneSize) {
  EXPECT_THAT(sweepSizes({64, 64, 2.0, 0, {}}), ElementsAre(64));
  EXPECT_THAT(sweepSizes({64, 64, 0, 0, {}}), ElementsAre(64));
}

void expectUsageError(const SweepSpec& spec) {
  try {
    sweepSizes(spec);
    ADD_FAILURE() << "no error for min " << spec.minBytes << " max " << spec.maxBytes << " factor "
                  << spec.factor << " step " << spec.stepBytes;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kInvalidUsage);
    EXPECT_NE(std::string(e.what()), "");
  }
}

TEST(SweepSizes, ImpossibleSpecsAreUsageErrors) {
  expectUsageError({128, 64, 2.0, 0, {}});  // min above max
  expectUsageError({0, 64, 2.0, 0, {}});    // zero size
  expectUsageError({8, 0, 2.0, 0, {}});
  expectUsageError({0, 0, 2.0, 0, {}});
  expectUsageError({8, 64, 1.0, 0, {}});  // factor 1 and no step
  expectUsageError({8, 64, 0.5, 0, {}});
  expectUsageError({8, 64, 0.0, 0, {}});
  expectUsageError({8, 64, -2.0, 0, {}});
}

}  // namespace
}  // namespace cclbench
