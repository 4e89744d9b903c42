// cclbench JSON Lines (header, cases, trailer): the canonical record's reader. Whatever it
// accepts must write back (core's one toJson) and read again to the same header and cases.
#include "core/record.hpp"
#include "fuzz_target.hpp"
#include "store/import_detail.hpp"

namespace {

std::string write(const cclbench::ImportedRun& run) {
  std::string out = cclbench::toJson(run.header).dump() + "\n";
  for (const cclbench::CaseRecord& c : run.cases) {
    out += cclbench::toJson(c, run.header.runId).dump() + "\n";
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace cclbench;
  fuzz::expectParsedOrRefused([&] {
    for (const auto& parsed : import_detail::parseCclbenchJsonl("run.jsonl", fuzz::text(data, size))) {
      const ImportedRun& run = parsed.run;
      const auto again = import_detail::parseCclbenchJsonl("again.jsonl", write(run));
      fuzz::require(again.size() == 1, "a written run reads back as one run");
      fuzz::require(again[0].run.header == run.header, "the header survives a write and read");
      fuzz::require(again[0].run.cases == run.cases, "the cases survive a write and read");
    }
  });
  return 0;
}
