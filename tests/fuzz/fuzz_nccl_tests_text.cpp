// nccl-tests console output (any version, launcher prefixes, NCCL INFO lines mixed in), read the
// way `cclbench import` reads a file, format detection included.
#include "fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  cclbench::fuzz::importAndCheck("all_reduce_perf.log", data, size);
  return 0;
}
