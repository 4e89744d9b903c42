/* cclbench's own declarations of NCCL's tuner plugin ABI (versions 2 to 5), written from the
 * facts in docs (FACTS section 6) and checked field by field against NCCL 2.28.9's
 * src/include/plugin/tuner/tuner_v{2,3,4,5}.h and nccl_common.h. No NCCL header is included:
 * the plugin links nothing of NCCL. Each version is a frozen struct of function pointers,
 * exported under a symbol that carries its version. */
#ifndef CCLBENCH_TUNER_ABI_H
#define CCLBENCH_TUNER_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int ncclResult_t; /* an enum in NCCL: 0 is ncclSuccess */
#define CCLT_NCCL_SUCCESS 0

/* ncclDebugLogLevel and the subsystems a tuner logs under. */
enum { CCLT_LOG_WARN = 2, CCLT_LOG_INFO = 3 };
enum { CCLT_LOG_INIT = 0x1, CCLT_LOG_TUNING = 0x40 };
typedef void (*ncclDebugLogger_t)(int level, unsigned long flags, const char* file, int line,
                                  const char* fmt, ...);

/* ncclFunc_t values a tuner is asked about: Broadcast 0, Reduce 1, AllGather 2, ReduceScatter 3,
 * AllReduce 4. Algorithms and protocols are indices into the cost table. */
enum { CCLT_NUM_COLLECTIVES = 5 };
enum {
  CCLT_ALGO_TREE = 0,
  CCLT_ALGO_RING = 1,
  CCLT_ALGO_COLLNET_DIRECT = 2,
  CCLT_ALGO_COLLNET_CHAIN = 3,
  CCLT_ALGO_NVLS = 4,
  CCLT_ALGO_NVLS_TREE = 5,
  CCLT_ALGO_PAT = 6,
  CCLT_NUM_ALGORITHMS = 7
};
enum { CCLT_PROTO_LL = 0, CCLT_PROTO_LL128 = 1, CCLT_PROTO_SIMPLE = 2, CCLT_NUM_PROTOCOLS = 3 };

/* v2 (NCCL 2.21.5): no cost table; the tuner returns an algorithm and a protocol. */
typedef struct {
  const char* name;
  ncclResult_t (*init)(size_t nRanks, size_t nNodes, ncclDebugLogger_t logFunction, void** context);
  ncclResult_t (*getCollInfo)(void* context, int collType, size_t nBytes, int collNetSupport,
                              int nvlsSupport, int numPipeOps, int* algorithm, int* protocol,
                              int* nChannels);
  ncclResult_t (*destroy)(void* context);
} cclt_tuner_v2;

/* v3 (NCCL 2.22.3): a cost table, really float[numAlgo][numProto] passed as float**. */
typedef struct {
  const char* name;
  ncclResult_t (*init)(size_t nRanks, size_t nNodes, ncclDebugLogger_t logFunction, void** context);
  ncclResult_t (*getCollInfo)(void* context, int collType, size_t nBytes, int numPipeOps,
                              float** collCostTable, int numAlgo, int numProto, int* nChannels);
  ncclResult_t (*destroy)(void* context);
} cclt_tuner_v3;

/* v4 (NCCL 2.24.3): adds regBuff (the user buffers can be registered). */
typedef struct {
  const char* name;
  ncclResult_t (*init)(size_t nRanks, size_t nNodes, ncclDebugLogger_t logFunction, void** context);
  ncclResult_t (*getCollInfo)(void* context, int collType, size_t nBytes, int numPipeOps,
                              float** collCostTable, int numAlgo, int numProto, int regBuff,
                              int* nChannels);
  ncclResult_t (*destroy)(void* context);
} cclt_tuner_v4;

/* v5 (NCCL 2.28.3): init gets the communicator id, NVLink-domain information and NCCL's model
 * constants (both only passed through here: the plugin reads neither); destroy is finalize. */
typedef struct {
  const char* name;
  ncclResult_t (*init)(void** context, uint64_t commId, size_t nRanks, size_t nNodes,
                       ncclDebugLogger_t logFunction, void* nvlDomainInfo, void* constants);
  ncclResult_t (*getCollInfo)(void* context, int collType, size_t nBytes, int numPipeOps,
                              float** collCostTable, int numAlgo, int numProto, int regBuff,
                              int* nChannels);
  ncclResult_t (*finalize)(void* context);
} cclt_tuner_v5;

#ifdef __cplusplus
}
#endif

#endif
