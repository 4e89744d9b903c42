#pragma once
/// MPI datatypes and reduction ops for every cclbench type. Types MPI lacks (half, bfloat16,
/// fp8) travel as opaque 1- or 2-byte types and reduce through cclbench's own MPI_Ops, which
/// compute in double and round to nearest even: never a silent cast to another type.

#include <mpi.h>

#include "core/dtype.hpp"
#include "core/redop.hpp"

namespace cclbench::mpi {

/// Created after MPI_Init, freed before MPI_Finalize (RAII).
class TypeTable {
 public:
  TypeTable();
  ~TypeTable();
  TypeTable(const TypeTable&) = delete;
  TypeTable& operator=(const TypeTable&) = delete;

  MPI_Datatype datatype(DType type) const;
  /// The MPI_Op for `op` on `type`; avg reduces with sum (the caller divides afterwards).
  MPI_Op reduction(DType type, RedOp op) const;
};

/// Divides each element by `divisor` in the element's own arithmetic (avg's final step).
void divideElements(void* data, std::size_t count, DType type, int divisor);

}  // namespace cclbench::mpi
