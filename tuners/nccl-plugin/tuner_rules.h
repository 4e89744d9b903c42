/* The rules of the cclbench tuner plugin: parsing the CSV config of NCCL's example tuner (so
 * existing configs keep working) and looking a call up in them, first match first. Pure C with
 * no I/O: the plugin reads the file, the fuzz target and the tests feed text directly.
 *
 * A line: collective,min_bytes,max_bytes,algorithm,protocol,channels,nNodes,nRanks
 *         [,numPipeOps[,regBuff]]
 * collective: broadcast reduce allgather reducescatter allreduce; algorithm: tree ring
 * collnet_direct collnet_chain nvls nvls_tree pat; protocol: ll ll128 simple (any case). Byte
 * bounds are inclusive, in total bytes (cclbench's size column; NCCL's nBytes). -1 is a
 * wildcard in every numeric field (min 0, max unbounded, any count); channels -1 or 0 leaves
 * NCCL's channel count alone. '#' starts a comment line. A line that does not parse is skipped
 * (counted, the first reason kept), never fatal. */
#ifndef CCLBENCH_TUNER_RULES_H
#define CCLBENCH_TUNER_RULES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
  CCLT_MAX_RULES = 1024,     /* later rules are ignored, with a warning */
  CCLT_MAX_LINE = 1024,      /* longer lines are skipped */
  CCLT_REASON_LENGTH = 160
};

typedef struct {
  int collective; /* ncclFunc_t, 0-4 */
  uint64_t minBytes, maxBytes;
  int algorithm, protocol;
  int channels; /* > 0: written to *nChannels; otherwise untouched */
  int nNodes, nRanks, numPipeOps, regBuff; /* -1: any */
  int line;                                 /* where it stands in the file, from 1 */
} cclt_rule;

typedef struct {
  cclt_rule* rules;
  size_t count;
  size_t skippedLines;
  char firstSkipped[CCLT_REASON_LENGTH]; /* "line 3: unknown algorithm 'rign'" */
  size_t ignoredRules;                   /* past CCLT_MAX_RULES */
} cclt_rules;

/* Parses `length` bytes of text (no terminator needed). Returns 0, or -1 when memory ran out
 * (then `out` holds no rules). */
int cclt_parse(const char* text, size_t length, cclt_rules* out);
void cclt_rules_free(cclt_rules* rules);

/* Whether NCCL offers (algorithm, protocol) for this call. */
typedef int (*cclt_available_fn)(const void* env, int algorithm, int protocol);

/* One communicator's rules (those whose nNodes and nRanks fit it), indexed per collective by
 * byte range. Immutable once built: lookups from several threads need no lock. */
typedef struct cclt_table cclt_table;
cclt_table* cclt_table_build(const cclt_rules* rules, long nRanks, long nNodes);
void cclt_table_free(cclt_table* table);
size_t cclt_table_rules(const cclt_table* table);

/* The first rule, in file order, that matches the call and whose pair is available; NULL when
 * none does. regBuff -1: unknown (v2 and v3 calls), only rules without a regBuff match. */
const cclt_rule* cclt_lookup(const cclt_table* table, int collective, uint64_t bytes,
                             int numPipeOps, int regBuff, cclt_available_fn available,
                             const void* env);

/* Names as the config spells them; NULL out of range. */
const char* cclt_collective_name(int collective);
const char* cclt_algorithm_name(int algorithm);
const char* cclt_protocol_name(int protocol);

#ifdef __cplusplus
}
#endif

#endif
