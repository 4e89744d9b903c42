// NCCL INFO/WARN logs (NCCL_DEBUG=INFO, any subsystem mix), as `cclbench inspect-log` and the
// fabric verification read them, with the summaries built from what was parsed.
#include <sstream>

#include "core/json_text.hpp"
#include "fuzz_target.hpp"
#include "inspect/nccl_log.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace cclbench;
  fuzz::expectParsedOrRefused([&] {
    std::istringstream in(fuzz::text(data, size));
    const NcclLogSummary log = parseNcclLog(in);
    peerTransports(log);
    algorithmRanges(log);
    (void)jsonText(toJson(log));  // as inspect-log --json writes it
  });
  return 0;
}
