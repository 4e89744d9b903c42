#pragma once
/// One descriptor per measured operation: names, buffer shapes (nccl-tests' rounding), bus
/// bandwidth factor, and how inputs and outputs are laid out for checking. Adding a collective
/// means adding a row here and a call in each backend.

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "core/dtype.hpp"
#include "core/pattern.hpp"
#include "core/redop.hpp"

namespace cclbench {

enum class Collective {
  kAllReduce,
  kAllGather,
  kReduceScatter,
  kBroadcast,
  kReduce,
  kAllToAll,
  kSendRecv,     ///< nccl-tests' ring: rank r sends to r+1 and receives from r-1
  kLatency,      ///< ping-pong between a pair, half the round trip (osu_latency)
  kBandwidth,    ///< a window of messages one way, then an ack (osu_bw)
  kBiBandwidth,  ///< windows both ways at once (osu_bibw)
};

/// Element counts of one case, as nccl-tests computes them from the size asked for.
struct CaseShape {
  std::size_t count;              ///< the table's count column and the count passed to the call
  std::size_t sendCount;          ///< elements in the send buffer
  std::size_t recvCount;          ///< elements in the receive buffer
  std::size_t sendInPlaceOffset;  ///< in-place: send = recv buffer + this x rank (elements)
  std::size_t recvInPlaceOffset;  ///< in-place: recv = recv buffer + this x rank (elements)
  std::size_t sizeBytes;          ///< the table's size column: actual bytes moved per rank buffer
};

struct CollectiveInfo {
  Collective id;
  const char* name;           ///< cclbench's spelling (allreduce)
  const char* ncclTestsName;  ///< nccl-tests' spelling (all_reduce)
  bool reduces;               ///< takes a reduction op
  bool rooted;                ///< takes a root rank
  bool pointToPoint;          ///< runs between a pair of ranks; the rest stay idle
  bool hasInPlace;            ///< an in-place variant exists (nccl-tests prints N/A otherwise)
  pattern::Layout outputLayout;
};

const CollectiveInfo& info(Collective c);
inline const char* name(Collective c) { return info(c).name; }

/// Parses cclbench's or nccl-tests' name (all_reduce, allreduce, all_reduce_perf...).
std::optional<Collective> parseCollective(std::string_view text);
std::vector<Collective> allCollectives();

/// nccl-tests' GetCollByteCount: counts rounded down (per-rank chunks of all-gather,
/// reduce-scatter and all-to-all to a multiple of 16 bytes). count == 0 means "too small".
CaseShape shapeOf(Collective c, std::size_t requestedBytes, std::size_t elementBytes, int nranks);

/// busbw = algbw x this (FACTS.md section 1); 1 for rooted and point-to-point operations.
double busBandwidthFactor(Collective c, int nranks);

/// Bytes that count towards algbw per iteration: the size column, twice for bidirectional.
double algorithmBytes(Collective c, std::size_t sizeBytes);

/// Where one rank's pieces of a case live and what its output must hold.
struct CheckPlan {
  pattern::InputSpec input;                   ///< what to write into the send region
  std::size_t inputCount;                     ///< how many elements of it
  std::optional<pattern::OutputSpec> output;  ///< nullopt: this rank's output is not checked
  std::size_t outputCount;
};

/// Identity of one case as far as data goes: operation, type and op, on which ranks.
struct CheckContext {
  Collective collective;
  DType type;
  RedOp op;
  int rank;
  int nranks;
  int root;       ///< rooted collectives
  int peerA;      ///< point-to-point pair
  int peerB;
  uint64_t seed;  ///< differs between cases so stale data from an earlier case is caught
};

CheckPlan checkPlanOf(const CheckContext& ctx, const CaseShape& shape);

/// True when this rank takes part in the operation (point-to-point leaves the others idle).
bool participates(Collective c, int rank, int peerA, int peerB);

}  // namespace cclbench
