// nccl-tests JSON (-J, versions 1 to 4, early misspelled keys included).
#include "fuzz_target.hpp"
#include "store/import_detail.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace cclbench;
  fuzz::expectParsedOrRefused(
      [&] { import_detail::parseNcclTestsJson("results.json", fuzz::text(data, size)); });
  return 0;
}
