// OSU micro-benchmarks output (point-to-point and collectives, any version), read the
// way `cclbench import` reads a file, format detection included.
#include "fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  cclbench::fuzz::importAndCheck("osu_latency.txt", data, size);
  return 0;
}
