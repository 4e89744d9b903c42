/* libnccl-tuner-cclbench.so: NCCL's tuner plugin ABI v2 to v5 over cclbench's rules
 * (tuner_rules.h), plus the forcing control that `cclbench tune` uses in-process
 * (cclbench_tuner.h). It never fails the user's job: init always succeeds, getCollInfo never
 * returns an error, a missing, malformed or hostile config logs one warning and changes
 * nothing. Only the ncclTunerPlugin_v* symbols and cclbenchTunerForce are exported. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cclbench_tuner.h"
#include "tuner_abi.h"
#include "tuner_rules.h"

#define EXPORT __attribute__((visibility("default")))

/* A config larger than this is read up to it, with a warning (1,024 rules fit in far less). */
enum { kMaxConfigBytes = 4 << 20 };

typedef struct {
  cclt_table* table; /* NULL: no rules (forcing may still apply) */
  ncclDebugLogger_t log;
} context;

/* ------------------------------------------------------------------------------------------ */
/* Forcing: one word per collective, read with one relaxed load per call. 0 is "not forced";
 * else bit 31 | channels (bits 8-23, 0 = untouched) | protocol (bits 4-7) | algorithm (0-3). */

static _Atomic uint32_t g_forced[CCLT_NUM_COLLECTIVES];
static _Atomic unsigned long long g_forcedCalls, g_unavailableCalls;

static uint32_t pack(int algorithm, int protocol, int channels) {
  return 0x80000000u | ((uint32_t)(channels > 0 ? channels : 0) << 8) |
         ((uint32_t)protocol << 4) | (uint32_t)algorithm;
}

EXPORT int cclbenchTunerForce(int collective, int algorithm, int protocol, int channels,
                              cclbench_tuner_counts* counts) {
  const int query = collective == -2 && algorithm == -2;
  if (!query) {
    if (collective < -1 || collective >= CCLT_NUM_COLLECTIVES) return -1;
    if (algorithm < -1 || algorithm >= CCLT_NUM_ALGORITHMS) return -1;
    if (algorithm >= 0 && (protocol < 0 || protocol >= CCLT_NUM_PROTOCOLS)) return -1;
    if (channels > 0xffff) return -1;
    const uint32_t word = algorithm < 0 ? 0 : pack(algorithm, protocol, channels);
    for (int c = 0; c < CCLT_NUM_COLLECTIVES; ++c) {
      if (collective == -1 || collective == c) atomic_store(&g_forced[c], word);
    }
  }
  if (counts) {
    counts->forced = atomic_load(&g_forcedCalls);
    counts->unavailable = atomic_load(&g_unavailableCalls);
  }
  return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* The config file */

static void say(ncclDebugLogger_t log, int level, const char* message) {
  if (log) log(level, CCLT_LOG_INIT | CCLT_LOG_TUNING, __FILE__, __LINE__, "%s", message);
}

/* Reads a regular file (never a FIFO or a device: opening those could block the user's
 * communicator init). Returns a malloc'ed buffer, or NULL with `why` filled. */
static char* read_config(const char* path, size_t* length, int* truncated, char* why, size_t n) {
  const int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    snprintf(why, n, "cannot open %s: %s", path, strerror(errno));
    return NULL;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    snprintf(why, n, "%s is not a regular file", path);
    close(fd);
    return NULL;
  }
  const size_t want = st.st_size > kMaxConfigBytes ? (size_t)kMaxConfigBytes : (size_t)st.st_size;
  *truncated = st.st_size > kMaxConfigBytes;
  char* text = malloc(want ? want : 1);
  if (!text) {
    snprintf(why, n, "no memory for %s", path);
    close(fd);
    return NULL;
  }
  size_t got = 0;
  while (got < want) {
    const ssize_t r = read(fd, text + got, want - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += (size_t)r;
  }
  close(fd);
  *length = got;
  return text;
}

/* The rules for this communicator, from CCLBENCH_TUNER_CONFIG, else NCCL_TUNER_CONFIG_FILE. */
static cclt_table* load_rules(ncclDebugLogger_t log, size_t nRanks, size_t nNodes) {
  const char* path = getenv("CCLBENCH_TUNER_CONFIG");
  if (!path || !*path) path = getenv("NCCL_TUNER_CONFIG_FILE");
  char message[512];
  if (!path || !*path) {
    say(log, CCLT_LOG_INFO, "cclbench tuner: no config (CCLBENCH_TUNER_CONFIG unset): NCCL decides");
    return NULL;
  }
  char why[320] = "";
  size_t length = 0;
  int truncated = 0;
  char* text = read_config(path, &length, &truncated, why, sizeof why);
  if (!text) {
    snprintf(message, sizeof message, "cclbench tuner: %s; NCCL decides", why);
    say(log, CCLT_LOG_WARN, message);
    return NULL;
  }
  cclt_rules rules;
  const int parsed = cclt_parse(text, length, &rules);
  free(text);
  if (parsed != 0) {
    say(log, CCLT_LOG_WARN, "cclbench tuner: no memory to parse the config; NCCL decides");
    return NULL;
  }
  cclt_table* table = cclt_table_build(&rules, (long)nRanks, (long)nNodes);
  if (rules.skippedLines || rules.ignoredRules || truncated) {
    snprintf(message, sizeof message,
             "cclbench tuner: %s: %zu line(s) skipped (first: %s), %zu rule(s) past %d ignored%s",
             path, rules.skippedLines, rules.skippedLines ? rules.firstSkipped : "none",
             rules.ignoredRules, CCLT_MAX_RULES,
             truncated ? ", read only its first 4 MiB" : "");
    say(log, CCLT_LOG_WARN, message);
  }
  snprintf(message, sizeof message,
           "cclbench tuner: %zu of %zu rule(s) of %s apply to %zu ranks on %zu node(s)",
           cclt_table_rules(table), rules.count, path, nRanks, nNodes);
  say(log, CCLT_LOG_INFO, message);
  cclt_rules_free(&rules);
  return table;
}

/* ------------------------------------------------------------------------------------------ */
/* Decisions */

typedef struct {
  const float* table; /* NULL for v2 */
  int numAlgo, numProto;
  int collNetSupport, nvlsSupport; /* v2 only */
} offer;

static int available(const void* env, int algorithm, int protocol) {
  const offer* o = env;
  if (o->table) {
    return algorithm < o->numAlgo && protocol < o->numProto &&
           o->table[algorithm * o->numProto + protocol] >= 0;
  }
  if (algorithm == CCLT_ALGO_NVLS || algorithm == CCLT_ALGO_NVLS_TREE) return o->nvlsSupport;
  if (algorithm == CCLT_ALGO_COLLNET_DIRECT || algorithm == CCLT_ALGO_COLLNET_CHAIN) {
    return o->collNetSupport;
  }
  return 1;
}

/* The pair and channels for one call; 0 when NCCL's own choice stands. */
static int decide(void* ctx, int collType, size_t nBytes, int numPipeOps, int regBuff,
                  const offer* o, int* algorithm, int* protocol, int* channels) {
  if (collType < 0 || collType >= CCLT_NUM_COLLECTIVES) return 0;
  const uint32_t forced = atomic_load_explicit(&g_forced[collType], memory_order_relaxed);
  if (forced) {
    const int a = (int)(forced & 0xf), p = (int)((forced >> 4) & 0xf);
    if (!available(o, a, p)) {
      atomic_fetch_add_explicit(&g_unavailableCalls, 1, memory_order_relaxed);
      return 0;
    }
    atomic_fetch_add_explicit(&g_forcedCalls, 1, memory_order_relaxed);
    *algorithm = a;
    *protocol = p;
    *channels = (int)((forced >> 8) & 0xffff);
    return 1;
  }
  const context* c = ctx;
  if (!c || !c->table) return 0;
  const cclt_rule* r =
      cclt_lookup(c->table, collType, (uint64_t)nBytes, numPipeOps, regBuff, available, o);
  if (!r) return 0;
  *algorithm = r->algorithm;
  *protocol = r->protocol;
  *channels = r->channels;
  return 1;
}

static ncclResult_t cost_table_call(void* ctx, int collType, size_t nBytes, int numPipeOps,
                                    float** collCostTable, int numAlgo, int numProto, int regBuff,
                                    int* nChannels) {
  if (!collCostTable || numAlgo <= 0 || numProto <= 0) return CCLT_NCCL_SUCCESS;
  float* table = (float*)collCostTable; /* a contiguous float[numAlgo][numProto] */
  const offer o = {table, numAlgo, numProto, 0, 0};
  int algorithm = -1, protocol = -1, channels = 0;
  if (!decide(ctx, collType, nBytes, numPipeOps, regBuff, &o, &algorithm, &protocol, &channels)) {
    return CCLT_NCCL_SUCCESS;
  }
  table[algorithm * numProto + protocol] = 0.0f;
  if (channels > 0 && nChannels) *nChannels = channels;
  return CCLT_NCCL_SUCCESS;
}

/* ------------------------------------------------------------------------------------------ */
/* The exported versions */

static ncclResult_t start(size_t nRanks, size_t nNodes, ncclDebugLogger_t log, void** ctx) {
  context* c = calloc(1, sizeof *c);
  if (c) {
    c->log = log;
    c->table = load_rules(log, nRanks, nNodes);
  } else {
    say(log, CCLT_LOG_WARN, "cclbench tuner: no memory for a context; NCCL decides");
  }
  if (ctx) *ctx = c;
  return CCLT_NCCL_SUCCESS;
}

static ncclResult_t stop(void* ctx) {
  context* c = ctx;
  if (c) cclt_table_free(c->table);
  free(c);
  return CCLT_NCCL_SUCCESS;
}

static ncclResult_t init_v5(void** ctx, uint64_t commId, size_t nRanks, size_t nNodes,
                            ncclDebugLogger_t log, void* nvlDomainInfo, void* constants) {
  (void)commId;
  (void)nvlDomainInfo;
  (void)constants;
  return start(nRanks, nNodes, log, ctx);
}

static ncclResult_t info_v4(void* ctx, int collType, size_t nBytes, int numPipeOps,
                            float** collCostTable, int numAlgo, int numProto, int regBuff,
                            int* nChannels) {
  return cost_table_call(ctx, collType, nBytes, numPipeOps, collCostTable, numAlgo, numProto,
                         regBuff, nChannels);
}

static ncclResult_t info_v3(void* ctx, int collType, size_t nBytes, int numPipeOps,
                            float** collCostTable, int numAlgo, int numProto, int* nChannels) {
  return cost_table_call(ctx, collType, nBytes, numPipeOps, collCostTable, numAlgo, numProto, -1,
                         nChannels);
}

static ncclResult_t info_v2(void* ctx, int collType, size_t nBytes, int collNetSupport,
                            int nvlsSupport, int numPipeOps, int* algorithm, int* protocol,
                            int* nChannels) {
  const offer o = {NULL, CCLT_NUM_ALGORITHMS, CCLT_NUM_PROTOCOLS, collNetSupport, nvlsSupport};
  int a = -1, p = -1, channels = 0;
  if (!decide(ctx, collType, nBytes, numPipeOps, -1, &o, &a, &p, &channels)) {
    return CCLT_NCCL_SUCCESS;
  }
  if (algorithm) *algorithm = a;
  if (protocol) *protocol = p;
  if (channels > 0 && nChannels) *nChannels = channels;
  return CCLT_NCCL_SUCCESS;
}

EXPORT const cclt_tuner_v5 ncclTunerPlugin_v5 = {"cclbench", init_v5, info_v4, stop};
EXPORT const cclt_tuner_v4 ncclTunerPlugin_v4 = {"cclbench", start, info_v4, stop};
EXPORT const cclt_tuner_v3 ncclTunerPlugin_v3 = {"cclbench", start, info_v3, stop};
EXPORT const cclt_tuner_v2 ncclTunerPlugin_v2 = {"cclbench", start, info_v2, stop};
