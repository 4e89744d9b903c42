// nccl-tests console output (any version, launcher prefixes, NCCL INFO lines mixed in), read the
// way `cclbench import` reads a file, format detection included.
#include <cmath>

#include "fuzz_target.hpp"
#include "store/import.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace cclbench;
  fuzz::expectParsedOrRefused([&] {
    for (const ImportedRun& run : readResultsText("all_reduce_perf.log", fuzz::text(data, size))) {
      for (const CaseRecord& c : run.cases) {
        fuzz::require(std::isfinite(c.timeUs.median) && c.timeUs.median >= 0,
                      "an imported time is finite and not negative");
        fuzz::require(std::isfinite(c.busBandwidthGBps) && c.busBandwidthGBps >= 0,
                      "an imported bus bandwidth is finite and not negative");
      }
    }
  });
  return 0;
}
