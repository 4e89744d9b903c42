#include "core/dtype.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "core/redop.hpp"

namespace cclbench {
namespace {

using ::testing::ElementsAre;

const std::vector<DType> kAllTypes{DType::kInt8,     DType::kUint8,   DType::kInt32,
                                   DType::kUint32,   DType::kInt64,   DType::kUint64,
                                   DType::kHalf,     DType::kFloat,   DType::kDouble,
                                   DType::kBfloat16, DType::kFp8E4M3, DType::kFp8E5M2};

TEST(DType, NamesAndSizes) {
  const std::vector<std::tuple<DType, std::string, std::size_t, bool, bool>> expected{
      {DType::kInt8, "int8", 1, false, true},     {DType::kUint8, "uint8", 1, false, false},
      {DType::kInt32, "int32", 4, false, true},   {DType::kUint32, "uint32", 4, false, false},
      {DType::kInt64, "int64", 8, false, true},   {DType::kUint64, "uint64", 8, false, false},
      {DType::kHalf, "half", 2, true, true},      {DType::kFloat, "float", 4, true, true},
      {DType::kDouble, "double", 8, true, true},  {DType::kBfloat16, "bfloat16", 2, true, true},
      {DType::kFp8E4M3, "f8e4m3", 1, true, true}, {DType::kFp8E5M2, "f8e5m2", 1, true, true}};
  for (const auto& [type, typeName, bytes, isFloat, isSigned] : expected) {
    EXPECT_EQ(info(type).type, type) << typeName;
    EXPECT_EQ(std::string(name(type)), typeName);
    EXPECT_EQ(sizeOf(type), bytes) << typeName;
    EXPECT_EQ(info(type).isFloat, isFloat) << typeName;
    EXPECT_EQ(info(type).isSigned, isSigned) << typeName;
  }
}

TEST(DType, EveryNameParsesBack) {
  for (DType type : kAllTypes) EXPECT_EQ(parseDType(name(type)), type) << name(type);
}

TEST(DType, AliasesParse) {
  const std::vector<std::pair<std::string, DType>> aliases{
      {"fp16", DType::kHalf},       {"float16", DType::kHalf},     {"bf16", DType::kBfloat16},
      {"fp32", DType::kFloat},      {"float32", DType::kFloat},    {"fp64", DType::kDouble},
      {"float64", DType::kDouble},  {"char", DType::kInt8},        {"int", DType::kInt32},
      {"e4m3", DType::kFp8E4M3},    {"fp8_e4m3", DType::kFp8E4M3}, {"e5m2", DType::kFp8E5M2},
      {"fp8_e5m2", DType::kFp8E5M2}};
  for (const auto& [alias, type] : aliases) EXPECT_EQ(parseDType(alias), type) << alias;
}

TEST(DType, ParsingIgnoresCase) {
  EXPECT_EQ(parseDType("FLOAT"), DType::kFloat);
  EXPECT_EQ(parseDType("BF16"), DType::kBfloat16);
  EXPECT_EQ(parseDType("Int64"), DType::kInt64);
}

TEST(DType, UnknownNamesDoNotParse) {
  for (const char* bad : {"", "float128", "int16", "fp8", "floa", "float "}) {
    EXPECT_EQ(parseDType(bad), std::nullopt) << "'" << bad << "'";
  }
}

TEST(DType, StandardTypesAreNcclTestsTen) {
  EXPECT_THAT(
      standardDTypes(),
      ElementsAre(DType::kInt8, DType::kUint8, DType::kInt32, DType::kUint32, DType::kInt64,
                  DType::kUint64, DType::kHalf, DType::kFloat, DType::kDouble, DType::kBfloat16));
}

TEST(DType, SpellingsListEveryAcceptedName) {
  const std::string spellings = dtypeSpellings();
  for (const char* word : {"int8", "bfloat16", "f8e5m2", "fp16", "bf16", "e4m3", "fp8_e5m2"}) {
    EXPECT_NE(spellings.find(word), std::string::npos) << word;
  }
}

TEST(RedOp, NamesParseBack) {
  for (RedOp op :
       {RedOp::kSum, RedOp::kProd, RedOp::kMin, RedOp::kMax, RedOp::kAvg, RedOp::kPreMulSum}) {
    EXPECT_EQ(parseRedOp(name(op)), op) << name(op);
  }
  EXPECT_EQ(std::string(name(RedOp::kPreMulSum)), "mulsum");
  EXPECT_EQ(parseRedOp("premulsum"), RedOp::kPreMulSum);
  EXPECT_EQ(parseRedOp("none"), std::nullopt);
  EXPECT_EQ(parseRedOp("add"), std::nullopt);
  EXPECT_EQ(parseRedOp(""), std::nullopt);
}

TEST(RedOp, StandardOpsAreTheFiveWithoutMulSum) {
  EXPECT_THAT(standardRedOps(),
              ::testing::UnorderedElementsAre(RedOp::kSum, RedOp::kProd, RedOp::kMax, RedOp::kMin,
                                              RedOp::kAvg));
}

}  // namespace
}  // namespace cclbench
