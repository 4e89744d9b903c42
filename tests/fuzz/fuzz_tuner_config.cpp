// The NCCL tuner plugin's config (CSV lines of NCCL's example tuner): parsing never fails on any
// bytes, and the byte-range index answers every lookup exactly as a scan in file order would.
#include "fuzz_target.hpp"
#include "tuner_rules.h"

namespace {

struct Query {
  int collective, pipeOps, regBuff;
  uint64_t bytes;
  unsigned availableMask;  // bit a * 3 + p: the pair is available
};

int available(const void* env, int algorithm, int protocol) {
  return (static_cast<const Query*>(env)->availableMask >> (algorithm * 3 + protocol)) & 1u;
}

const cclt_rule* scan(const cclt_rules& rules, long ranks, long nodes, const Query& q) {
  for (std::size_t i = 0; i < rules.count; ++i) {
    const cclt_rule& r = rules.rules[i];
    if (r.collective == q.collective && (r.nRanks == -1 || r.nRanks == ranks) &&
        (r.nNodes == -1 || r.nNodes == nodes) && r.minBytes <= q.bytes && q.bytes <= r.maxBytes &&
        (r.numPipeOps == -1 || r.numPipeOps == q.pipeOps) &&
        (r.regBuff == -1 || r.regBuff == q.regBuff) && available(&q, r.algorithm, r.protocol)) {
      return &r;
    }
  }
  return nullptr;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using cclbench::fuzz::require;
  cclt_rules rules;
  require(cclt_parse(reinterpret_cast<const char*>(data), size, &rules) == 0, "parse ran out of memory");
  require(rules.count <= CCLT_MAX_RULES, "no more rules than the limit");
  const unsigned mask = size > 0 ? data[0] * 0x01010101u : ~0u;
  for (const auto [ranks, nodes] : {std::pair<long, long>{8, 1}, {16, 2}}) {
    cclt_table* table = cclt_table_build(&rules, ranks, nodes);
    require(table != nullptr, "table build ran out of memory");
    for (std::size_t i = 0; i < rules.count && i < 64; ++i) {
      const cclt_rule& r = rules.rules[i];
      for (uint64_t bound : {r.minBytes, r.maxBytes}) {
        for (uint64_t bytes : {bound - 1, bound, bound + 1}) {
          for (int regBuff : {-1, 0, 1}) {
            const Query q{r.collective, i % 2 ? 1 : r.numPipeOps, regBuff, bytes, mask};
            const cclt_rule* want = scan(rules, ranks, nodes, q);
            const cclt_rule* got =
                cclt_lookup(table, q.collective, q.bytes, q.pipeOps, q.regBuff, available, &q);
            require((want ? want->line : 0) == (got ? got->line : 0),
                    "the index answers as a scan in file order");
          }
        }
      }
    }
    cclt_table_free(table);
  }
  cclt_rules_free(&rules);
  return 0;
}
