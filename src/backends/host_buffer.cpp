#include <cstdlib>
#include <cstring>
#include <string>

#include "backends/backend.hpp"
#include "core/host_pattern.hpp"

namespace cclbench {

Buffer allocateHostBuffer(std::size_t bytes) {
  void* data = nullptr;
  const std::size_t rounded = std::max<std::size_t>(4096, (bytes + 4095) / 4096 * 4096);
  if (posix_memalign(&data, 4096, rounded) != 0) {
    throw Error(ExitCode::kNotAvailable,
                "cannot allocate " + std::to_string(bytes) + " bytes of host memory");
  }
  std::memset(data, 0, rounded);  // touch every page before anything is timed
  return Buffer(data, bytes, [](void* p) { std::free(p); });
}

void HostBackend::fillInput(void* data, std::size_t count, DType type,
                            const pattern::InputSpec& spec) {
  pattern::fillInputHost(data, count, type, spec);
}

void HostBackend::fillConstant(void* data, std::size_t count, DType type, double value) {
  pattern::fillConstantHost(data, count, type, value);
}

uint64_t HostBackend::countWrong(const void* data, std::size_t count, DType type,
                                 const pattern::OutputSpec& spec) {
  return pattern::countWrongHost(data, count, type, spec);
}

}  // namespace cclbench
