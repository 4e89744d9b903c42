#include "backends/mpi/mpi_types.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

#include "core/element_codec.hpp"

namespace cclbench::mpi {
namespace {

// The opaque types of the narrow floats, indexed half, bfloat16, e4m3, e5m2. User-defined MPI_Op
// callbacks receive only the datatype, so they find the format by comparing handles.
std::array<MPI_Datatype, 4> gNarrowTypes{MPI_DATATYPE_NULL, MPI_DATATYPE_NULL, MPI_DATATYPE_NULL,
                                         MPI_DATATYPE_NULL};
std::array<MPI_Op, 4> gNarrowOps{MPI_OP_NULL, MPI_OP_NULL, MPI_OP_NULL, MPI_OP_NULL};
constexpr std::array<DType, 4> kNarrow{DType::kHalf, DType::kBfloat16, DType::kFp8E4M3,
                                       DType::kFp8E5M2};

int narrowIndex(DType type) {
  for (std::size_t i = 0; i < kNarrow.size(); ++i) {
    if (kNarrow[i] == type) return static_cast<int>(i);
  }
  return -1;
}

template <typename Combine>
void reduceNarrow(void* in, void* inout, int* len, MPI_Datatype* datatype, Combine combine) {
  DType type = DType::kHalf;
  for (std::size_t i = 0; i < gNarrowTypes.size(); ++i) {
    if (*datatype == gNarrowTypes[i]) type = kNarrow[i];
  }
  const codec::MiniFloat format = codec::miniFloatOf(type);
  const auto count = static_cast<std::size_t>(*len);
  if (sizeOf(type) == 2) {
    const auto* a = static_cast<const uint16_t*>(in);
    auto* b = static_cast<uint16_t*>(inout);
    for (std::size_t i = 0; i < count; ++i) {
      b[i] = static_cast<uint16_t>(codec::encodeMini(
          format, combine(codec::decodeMini(format, a[i]), codec::decodeMini(format, b[i]))));
    }
  } else {
    const auto* a = static_cast<const uint8_t*>(in);
    auto* b = static_cast<uint8_t*>(inout);
    for (std::size_t i = 0; i < count; ++i) {
      b[i] = static_cast<uint8_t>(codec::encodeMini(
          format, combine(codec::decodeMini(format, a[i]), codec::decodeMini(format, b[i]))));
    }
  }
}

void narrowSum(void* in, void* inout, int* len, MPI_Datatype* dt) {
  reduceNarrow(in, inout, len, dt, [](double a, double b) { return a + b; });
}
void narrowProd(void* in, void* inout, int* len, MPI_Datatype* dt) {
  reduceNarrow(in, inout, len, dt, [](double a, double b) { return a * b; });
}
void narrowMin(void* in, void* inout, int* len, MPI_Datatype* dt) {
  reduceNarrow(in, inout, len, dt, [](double a, double b) { return std::min(a, b); });
}
void narrowMax(void* in, void* inout, int* len, MPI_Datatype* dt) {
  reduceNarrow(in, inout, len, dt, [](double a, double b) { return std::max(a, b); });
}

template <typename T>
void divideAs(void* data, std::size_t count, int divisor) {
  auto* p = static_cast<T*>(data);
  const T d = static_cast<T>(divisor);
  for (std::size_t i = 0; i < count; ++i) p[i] = static_cast<T>(p[i] / d);
}

}  // namespace

TypeTable::TypeTable() {
  for (std::size_t i = 0; i < kNarrow.size(); ++i) {
    MPI_Type_contiguous(static_cast<int>(sizeOf(kNarrow[i])), MPI_BYTE, &gNarrowTypes[i]);
    MPI_Type_commit(&gNarrowTypes[i]);
  }
  MPI_Op_create(&narrowSum, 1, &gNarrowOps[0]);
  MPI_Op_create(&narrowProd, 1, &gNarrowOps[1]);
  MPI_Op_create(&narrowMin, 1, &gNarrowOps[2]);
  MPI_Op_create(&narrowMax, 1, &gNarrowOps[3]);
}

TypeTable::~TypeTable() {
  for (auto& op : gNarrowOps) {
    if (op != MPI_OP_NULL) MPI_Op_free(&op);
  }
  for (auto& t : gNarrowTypes) {
    if (t != MPI_DATATYPE_NULL) MPI_Type_free(&t);
  }
}

MPI_Datatype TypeTable::datatype(DType type) const {
  switch (type) {
    case DType::kInt8: return MPI_INT8_T;
    case DType::kUint8: return MPI_UINT8_T;
    case DType::kInt32: return MPI_INT32_T;
    case DType::kUint32: return MPI_UINT32_T;
    case DType::kInt64: return MPI_INT64_T;
    case DType::kUint64: return MPI_UINT64_T;
    case DType::kFloat: return MPI_FLOAT;
    case DType::kDouble: return MPI_DOUBLE;
    default: return gNarrowTypes[static_cast<std::size_t>(narrowIndex(type))];
  }
}

MPI_Op TypeTable::reduction(DType type, RedOp op) const {
  const bool narrow = narrowIndex(type) >= 0;
  switch (op) {
    case RedOp::kProd: return narrow ? gNarrowOps[1] : MPI_PROD;
    case RedOp::kMin: return narrow ? gNarrowOps[2] : MPI_MIN;
    case RedOp::kMax: return narrow ? gNarrowOps[3] : MPI_MAX;
    default: return narrow ? gNarrowOps[0] : MPI_SUM;  // sum and avg
  }
}

void divideElements(void* data, std::size_t count, DType type, int divisor) {
  switch (type) {
    case DType::kInt8: return divideAs<int8_t>(data, count, divisor);
    case DType::kUint8: return divideAs<uint8_t>(data, count, divisor);
    case DType::kInt32: return divideAs<int32_t>(data, count, divisor);
    case DType::kUint32: return divideAs<uint32_t>(data, count, divisor);
    case DType::kInt64: return divideAs<int64_t>(data, count, divisor);
    case DType::kUint64: return divideAs<uint64_t>(data, count, divisor);
    case DType::kFloat: return divideAs<float>(data, count, divisor);
    case DType::kDouble: return divideAs<double>(data, count, divisor);
    default: break;
  }
  const codec::MiniFloat format = codec::miniFloatOf(type);
  if (sizeOf(type) == 2) {
    auto* p = static_cast<uint16_t*>(data);
    for (std::size_t i = 0; i < count; ++i) {
      p[i] = static_cast<uint16_t>(
          codec::encodeMini(format, codec::decodeMini(format, p[i]) / divisor));
    }
  } else {
    auto* p = static_cast<uint8_t*>(data);
    for (std::size_t i = 0; i < count; ++i) {
      p[i] = static_cast<uint8_t>(
          codec::encodeMini(format, codec::decodeMini(format, p[i]) / divisor));
    }
  }
}

}  // namespace cclbench::mpi
