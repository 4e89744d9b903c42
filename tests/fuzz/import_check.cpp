#include <cmath>

#include "fuzz_target.hpp"
#include "store/import.hpp"

namespace cclbench::fuzz {

void importAndCheck(const char* fileName, const uint8_t* data, std::size_t size) {
  expectParsedOrRefused([&] {
    for (const ImportedRun& run : readResultsText(fileName, text(data, size))) {
      for (const CaseRecord& c : run.cases) {
        require(std::isfinite(c.timeUs.median) && c.timeUs.median >= 0,
                "an imported time is finite and not negative");
        require(std::isfinite(c.busBandwidthGBps) && c.busBandwidthGBps >= 0,
                "an imported bus bandwidth is finite and not negative");
      }
    }
  });
}

}  // namespace cclbench::fuzz
