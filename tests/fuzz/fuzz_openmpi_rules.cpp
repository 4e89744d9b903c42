// Open MPI coll/tuned dynamic rules files (what `cclbench tune` writes and reads back). A file
// that parses must format and parse again to the same rules.
#include "fuzz_target.hpp"
#include "tuners/openmpi_rules.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace cclbench;
  fuzz::expectParsedOrRefused([&] {
    const tune::RulesFile rules = tune::parseRules(fuzz::text(data, size));
    fuzz::require(tune::parseRules(tune::formatRules(rules, {})) == rules,
                  "formatRules(parseRules(x)) reads back as the same rules");
  });
  return 0;
}
