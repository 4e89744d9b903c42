#pragma once
/// Host-memory implementations of the pattern: fill inputs, poison outputs, count wrong elements.
/// Backends on host memory use these directly; device backends run the same formulas in kernels.

#include <cstddef>
#include <cstdint>

#include "core/dtype.hpp"
#include "core/pattern.hpp"

namespace cclbench::pattern {

/// Writes `count` input elements of `spec` (starting at spec.firstIndex) into `data`.
void fillInputHost(void* data, std::size_t count, DType type, const InputSpec& spec);

/// Writes `value` into every one of `count` elements.
void fillConstantHost(void* data, std::size_t count, DType type, double value);

/// Number of the `count` elements of `data` that differ from `spec`'s expected values
/// (exactly, or by more than allowedUlps(spec.op)).
uint64_t countWrongHost(const void* data, std::size_t count, DType type, const OutputSpec& spec);

}  // namespace cclbench::pattern
