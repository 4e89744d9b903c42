#pragma once
/// Open MPI 4.1's coll/tuned dynamic rules file (the classic text format; FACTS section 7):
/// the number of collectives; per collective its id and the number of communicator sizes; per
/// communicator size the size and the number of message sizes; per message size a line
/// `MSGSIZE ALG FANINOUT SEGSIZE` (total bytes, the first 0). Lookup takes the largest entry <=
/// the value (or else the first), so rules tuned at N ranks are bounded by fall-through entries
/// (ALG 0) at N - 1 and N + 1 ranks, and ranges end with an ALG 0 line. Open MPI drops a
/// malformed file without a word: everything cclbench writes is read back with parseRules.

#include <cstdint>
#include <string>
#include <vector>

namespace cclbench::tune {

struct RulesLine {
  uint64_t messageBytes = 0;
  int algorithm = 0;  ///< 0: fall through to Open MPI's own choice
  int faninout = 0;
  uint64_t segmentBytes = 0;
  bool operator==(const RulesLine&) const = default;
};

struct RulesCommSize {
  int ranks = 0;
  std::vector<RulesLine> lines;  ///< ascending, the first at 0 bytes
  bool operator==(const RulesCommSize&) const = default;
};

struct RulesCollective {
  int id = 0;  ///< allgather 0, allreduce 2, alltoall 3, bcast 7, gather 9, reduce 11 ...
  std::vector<RulesCommSize> commSizes;  ///< ascending
  bool operator==(const RulesCollective&) const = default;
};

struct RulesFile {
  std::vector<RulesCollective> collectives;
  bool operator==(const RulesFile&) const = default;
};

/// One forced range of one collective.
struct RulesRange {
  int collectiveId = 0;
  uint64_t minBytes = 0;  ///< inclusive
  uint64_t maxBytes = 0;  ///< inclusive: the default is back from maxBytes + 1
  int algorithm = 0;
  uint64_t segmentBytes = 0;
};

/// The file that forces `ranges` at exactly `ranks` ranks and leaves every other size and rank
/// count to Open MPI (ranges of one collective must not overlap).
RulesFile rulesFor(const std::vector<RulesRange>& ranges, int ranks);

/// The text, with `comments` as leading '#' lines (provenance, fingerprint, usage).
std::string formatRules(const RulesFile& rules, const std::vector<std::string>& comments);

/// Reads the text as Open MPI 4.1 does ('#' to the end of a line is a comment); throws
/// Error(kInvalidUsage) naming the line when it is malformed or out of order.
RulesFile parseRules(const std::string& text);

/// What the file decides for a collective, rank count and message size, with Open MPI's lookup
/// (0 = Open MPI's own choice).
int lookupAlgorithm(const RulesFile& rules, int collectiveId, int ranks, uint64_t messageBytes);

}  // namespace cclbench::tune
