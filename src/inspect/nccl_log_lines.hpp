#pragma once
/// Internal to the NCCL log parser: splitting a line into launcher tag, NCCL header and message,
/// and one small parser per kind of message. Each returns nothing for a message it does not
/// recognise; none throws.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "inspect/nccl_log.hpp"

namespace cclbench::nccl_log_detail {

/// A forward-only reader over one line.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : rest_(text) {}
  /// Consumes `text` when the rest starts with it.
  bool literal(std::string_view text);
  void skipSpaces();
  /// A decimal integer (optional '-'), consumed; nothing (and nothing consumed) otherwise.
  std::optional<long long> integer();
  std::optional<double> number();
  /// Everything up to `stop` (not consumed), or the whole rest.
  std::string_view until(char stop);
  std::string_view rest() const { return rest_; }
  bool empty() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

std::string_view trim(std::string_view text);
bool startsWith(std::string_view text, std::string_view prefix);
bool contains(std::string_view text, std::string_view part);
/// Splits on `separator`, trimming each part; empty parts are kept.
std::vector<std::string_view> split(std::string_view text, char separator);
/// Splits on blanks, dropping empty parts.
std::vector<std::string_view> words(std::string_view text);
/// `text` with every byte that is not part of valid UTF-8 replaced by '?', so whatever the log
/// held can go into JSON.
std::string validUtf8(std::string_view text);
/// True when `text` is plain ASCII (nothing to check).
bool isAscii(std::string_view text);
/// The value when it fits an int.
std::optional<int> toInt(std::optional<long long> value);
/// The whole (trimmed) text as an int; nothing when it is not one.
std::optional<int> intOf(std::string_view text);

/// kOther: NCCL's TRACE and CALL lines (NCCL's, but nothing to extract).
enum class LineLevel { kNone, kInfo, kWarn, kVersion, kOther };

/// A line taken apart. `message` views into the line given to splitLine.
struct SplitLine {
  LineLevel level = LineLevel::kNone;
  NcclLineSource source;
  std::string_view message;  ///< after "NCCL INFO " / "NCCL WARN "; the version for kVersion
};

/// Strips a launcher tag and NCCL's header. Lines that are not NCCL's get level kNone.
SplitLine splitLine(std::string_view line);

/// "Channel 00/0 : 0[0] -> 1[1] [send] via NET/IB/0/GDRDMA" and "CollNet 00/0 : 3 [send] via
/// COLLNET/..." (source and line are left for the caller).
std::optional<NcclConnection> parseConnection(std::string_view message);
/// Fills kind, netName, netDevice, proxyRank and gdrdma from the text after "via ".
void classifyTransport(std::string_view transport, NcclConnection& connection);
std::optional<NcclRank> parseRank(std::string_view message);
/// "NET/IB : Using [0]mlx5_5:1/RoCE [RO]; OOB ..." or "NET/Socket : Using [0]eth0:..." (an empty
/// list when the line names no device, nothing when it is another message).
std::optional<std::vector<NcclNic>> parseNics(std::string_view message);
std::optional<NcclGraph> parseGraph(std::string_view message);
std::optional<NcclAlgoChoice> parseAlgoChoice(std::string_view message);

/// The TUNING table of one process: "Algorithm" / "Protocol" header rows (NCCL 2.10+) or one
/// "Latency/AlgBw" row (older), then one row of "latency/bandwidth" cells per collective.
class TuningTableReader {
 public:
  /// Consumes a table row; false for any other message. Cells go to `out`.
  bool addRow(std::string_view message, std::vector<NcclTuningCell>& out);

 private:
  void columnsFor(std::size_t cells,
                  std::vector<std::pair<std::string, std::string>>& columns) const;

  std::vector<std::string> algorithms_;
  std::vector<std::string> protocols_;
  std::vector<std::pair<std::string, std::string>> pairs_;  ///< old format: (algorithm, protocol)
};

}  // namespace cclbench::nccl_log_detail
