#include "session/agreement.hpp"

#include <cstring>
#include <limits>

namespace cclbench {

Verdict agreeOn(Bootstrap& bootstrap, const std::optional<Error>& local) {
  const ProcessPlace& me = bootstrap.place();
  uint64_t firstFailing = local ? static_cast<uint64_t>(me.rank)
                                : std::numeric_limits<uint64_t>::max();
  bootstrap.allReduce(&firstFailing, 1, Bootstrap::Op::kMin);
  if (firstFailing == std::numeric_limits<uint64_t>::max()) return {};

  struct {
    int code;
    char host[96];
    char message[900];
  } report{};
  if (local && static_cast<uint64_t>(me.rank) == firstFailing) {
    report.code = static_cast<int>(local->code());
    std::strncpy(report.host, me.host.c_str(), sizeof report.host - 1);
    std::strncpy(report.message, local->what(), sizeof report.message - 1);
  }
  const int root = static_cast<int>(firstFailing);
  bootstrap.broadcast(&report, sizeof report, root);
  Verdict verdict{static_cast<ExitCode>(report.code), report.message};
  if (root != 0) {
    verdict.message = "rank " + std::to_string(root) + " (host " + report.host +
                      "): " + verdict.message;
  }
  return verdict;
}

std::optional<Error> compareWithRankZero(Bootstrap& bootstrap, uint64_t hash) {
  uint64_t reference = hash;
  bootstrap.broadcast(&reference, sizeof reference, 0);
  if (reference == hash) return std::nullopt;
  return usageError("started with different arguments than rank 0 (every rank must get the same "
                    "cclbench arguments)");
}

}  // namespace cclbench
