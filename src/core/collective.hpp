#pragma once
/// One descriptor per measured operation, in one table (collective.cpp): names and aliases,
/// buffer shapes (nccl-tests' rounding), bus bandwidth factor, how outputs are checked, whether
/// an in-place repeat stays predictable, and how one iteration is issued: a call of the
/// library's collective (Backend::collective) or a plan of point-to-point exchanges
/// (Backend::exchange). Adding an operation is one enum value and one row here, plus at most one
/// case in each backend's collective() for a library call.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
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
  kGather,       ///< every rank's chunk to the root (nccl-tests gather_perf, osu_gather)
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

/// One half of a point-to-point exchange; a list of them is posted together and completed
/// together.
struct PeerOp {
  enum class Kind { kSend, kRecv };
  Kind kind;
  void* buffer;
  std::size_t count;
  int peer;
};

/// What a point-to-point operation's plan is built from, for one rank.
struct ExchangeContext {
  int rank;
  int nranks;
  int peerA;  ///< the pair of latency, bw, bibw
  int peerB;
  int window;  ///< messages in flight for bw and bibw
  void* send;
  void* recv;
  void* ack;  ///< a small buffer for acknowledgements
  std::size_t count;
};

/// One iteration as point-to-point exchanges: `first` is posted and completed, then `second`.
struct ExchangePlan {
  std::vector<PeerOp> first;
  std::vector<PeerOp> second;
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

/// When repeating an in-place operation leaves its output predictable.
enum class InPlaceRepeat {
  kAlways,            ///< copies (gathers, broadcast)
  kIdempotentOp,      ///< reductions with min or max
  kIdempotentOwnChunk,  ///< reduce-scatter with min or max, when the result is this rank's chunk
  kNever,
};

struct CollectiveInfo {
  Collective id;
  const char* name;           ///< cclbench's spelling (allreduce)
  const char* ncclTestsName;  ///< nccl-tests' spelling (all_reduce, as in all_reduce_perf)
  std::vector<const char*> aliases;     ///< further spellings accepted (all_to_all)
  std::vector<const char*> osuTitles;   ///< phrases of OSU's benchmark titles ("allreduce latency")
  bool reduces;               ///< takes a reduction op
  bool rooted;                ///< takes a root rank
  bool pointToPoint;          ///< runs between a pair of ranks; the rest stay idle
  bool hasInPlace;            ///< an in-place variant exists (nccl-tests prints N/A otherwise)
  bool inAll;                 ///< part of `all` on the command line
  /// Counts and buffers from the size asked for (nccl-tests' GetCollByteCount).
  CaseShape (*shape)(std::size_t count, std::size_t elementBytes, int nranks);
  double (*busBandwidthFactor)(int nranks);  ///< busbw = algbw x this (FACTS section 1)
  int bytesPerIteration;       ///< algbw counts the size column this many times (bibw: 2)
  int (*operationsPerIteration)(int window);  ///< single operations one timed iteration holds
  pattern::Layout outputLayout;
  /// Whether this rank's output is checked, and from which rank a copied output comes (sets
  /// out.sourceRank); false: nothing to check on this rank.
  bool (*checkedOutput)(const CheckContext& ctx, pattern::OutputSpec& out);
  InPlaceRepeat inPlaceRepeat;
  /// Point-to-point: the exchanges of one iteration; null for a library collective.
  ExchangePlan (*exchanges)(const ExchangeContext& ctx);
};

/// The descriptor of `c`.
const CollectiveInfo& info(Collective c);
inline const char* name(Collective c) { return info(c).name; }

/// Every descriptor, in table order.
const std::vector<CollectiveInfo>& collectiveTable();

/// Parses cclbench's or nccl-tests' name (all_reduce, allreduce, all_reduce_perf...).
std::optional<Collective> parseCollective(std::string_view text);
std::vector<Collective> allCollectives();
/// "allreduce, allgather, ..." for help and error messages.
std::string collectiveSpellings();

/// The operation an OSU benchmark title names (the longest matching phrase wins), if any.
std::optional<Collective> collectiveOfOsuTitle(std::string_view lowerCaseTitle);

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

CheckPlan checkPlanOf(const CheckContext& ctx, const CaseShape& shape);

/// True when this rank takes part in the operation (point-to-point leaves the others idle).
bool participates(Collective c, int rank, int peerA, int peerB);

}  // namespace cclbench
