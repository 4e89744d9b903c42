#include "inspect/nccl_log_lines.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>

namespace cclbench::nccl_log_detail {
namespace {

bool isDigit(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) != 0;
}

bool allDigits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!isDigit(c)) return false;
  }
  return true;
}

std::string_view stripLauncherTag(std::string_view line, std::optional<int>& rank) {
  {
    Cursor c(line);
    if (c.literal("[") && c.integer() && c.literal(",")) {
      const auto r = toInt(c.integer());
      if (r && c.literal("]<")) {
        c.until('>');
        if (c.literal(">:")) {
          rank = r;
          return c.rest();
        }
      }
    }
  }
  for (std::string_view open : {"[default", "["}) {
    Cursor c(line);
    if (!c.literal(open)) continue;
    const auto r = toInt(c.integer());
    if (r && (c.literal("]:") || c.literal("] "))) {
      rank = r;
      return c.rest();
    }
  }
  Cursor c(line);
  c.skipSpaces();
  const auto r = toInt(c.integer());
  if (r && c.literal(": ")) {
    rank = r;
    return c.rest();
  }
  return line;
}

/// "host:pid:tid" followed by "[dev]", anywhere in the header (a timestamp may come first).
void parseHeader(std::string_view header, NcclLineSource& source) {
  const auto tokens = words(header);
  for (std::size_t i = 1; i < tokens.size(); ++i) {
    const std::string_view dev = tokens[i];
    if (dev.size() < 3 || dev.front() != '[' || dev.back() != ']') continue;
    const auto device = intOf(dev.substr(1, dev.size() - 2));
    const std::string_view id = tokens[i - 1];
    const auto tidColon = id.rfind(':');
    if (!device || tidColon == std::string_view::npos || tidColon == 0) continue;
    const auto pidColon = id.rfind(':', tidColon - 1);
    if (pidColon == std::string_view::npos || pidColon == 0) continue;
    const std::string_view pid = id.substr(pidColon + 1, tidColon - pidColon - 1);
    if (!allDigits(pid) || !allDigits(id.substr(tidColon + 1))) continue;
    source.host = std::string(id.substr(0, pidColon));
    source.pid = Cursor(pid).integer();
    source.device = device;
    return;
  }
}

/// "[2025-01-01 12:00:00] " as NCCL_DEBUG_TIMESTAMP_FORMAT writes it by default.
std::string_view stripTimestamp(std::string_view text) {
  if (text.empty() || text.front() != '[') return text;
  const auto close = text.find("] ");
  return close == std::string_view::npos ? text : text.substr(close + 2);
}

void parseNetTransport(std::string_view text, NcclConnection& connection) {
  std::size_t slash = std::string_view::npos;
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] == '/' && isDigit(text[i + 1])) {
      slash = i;
      break;
    }
  }
  if (slash == std::string_view::npos) {
    connection.netName = std::string(text.substr(0, text.find('/')));
    return;
  }
  connection.netName = std::string(text.substr(0, slash));
  Cursor c(text.substr(slash + 1));
  connection.netDevice = toInt(c.integer());
  if (c.literal("(")) {
    const auto proxy = toInt(c.integer());
    if (proxy && c.literal(")")) connection.proxyRank = proxy;
  }
}

bool endpoint(Cursor& c, int& rank, std::string& device) {
  const auto r = toInt(c.integer());
  if (!r || !c.literal("[")) return false;
  device = std::string(c.until(']'));
  if (!c.literal("]")) return false;
  rank = *r;
  return true;
}

/// A UTF-8 sequence's length from its first byte, and the range allowed for its second byte
/// (RFC 3629: no overlong forms, surrogates or code points above U+10FFFF). Length 0: invalid.
struct Utf8Lead {
  std::size_t length;
  unsigned low, high;
};

Utf8Lead utf8Lead(unsigned c) {
  if (c < 0x80) return {1, 0, 0};
  if (c >= 0xC2 && c <= 0xDF) return {2, 0x80, 0xBF};
  if (c >= 0xE0 && c <= 0xEF) return {3, c == 0xE0 ? 0xA0u : 0x80u, c == 0xED ? 0x9Fu : 0xBFu};
  if (c >= 0xF0 && c <= 0xF4) return {4, c == 0xF0 ? 0x90u : 0x80u, c == 0xF4 ? 0x8Fu : 0xBFu};
  return {0, 0, 0};
}

}  // namespace

std::optional<int> toInt(std::optional<long long> value) {
  if (!value || *value < std::numeric_limits<int>::min() ||
      *value > std::numeric_limits<int>::max()) {
    return std::nullopt;
  }
  return static_cast<int>(*value);
}

std::optional<int> intOf(std::string_view text) {
  Cursor c(trim(text));
  const auto value = toInt(c.integer());
  return value && c.empty() ? value : std::nullopt;
}

std::vector<std::string_view> words(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

/// Open MPI "[1,0]<stdout>:", torchrun "[default0]:", MPICH "[0] ", srun "0: " / " 12: ".
bool Cursor::literal(std::string_view text) {
  if (!startsWith(rest_, text)) return false;
  rest_.remove_prefix(text.size());
  return true;
}

void Cursor::skipSpaces() {
  while (!rest_.empty() && (rest_.front() == ' ' || rest_.front() == '\t')) rest_.remove_prefix(1);
}

std::optional<long long> Cursor::integer() {
  long long value = 0;
  const char* begin = rest_.data();
  const auto [end, error] = std::from_chars(begin, begin + rest_.size(), value);
  if (error != std::errc()) return std::nullopt;
  rest_.remove_prefix(static_cast<std::size_t>(end - begin));
  return value;
}

std::optional<double> Cursor::number() {
  double value = 0;
  const char* begin = rest_.data();
  const auto [end, error] = std::from_chars(begin, begin + rest_.size(), value);
  if (error != std::errc()) return std::nullopt;
  rest_.remove_prefix(static_cast<std::size_t>(end - begin));
  return value;
}

std::string_view Cursor::until(char stop) {
  const std::string_view taken = rest_.substr(0, rest_.find(stop));
  rest_.remove_prefix(taken.size());
  return taken;
}

bool isAscii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return (c & 0x80) == 0; });
}

std::string validUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
    const Utf8Lead lead = utf8Lead(byte(0));
    bool valid = lead.length > 0 && i + lead.length <= text.size();
    for (std::size_t k = 1; valid && k < lead.length; ++k) {
      valid = k == 1 ? byte(k) >= lead.low && byte(k) <= lead.high : (byte(k) & 0xC0) == 0x80;
    }
    if (!valid) {
      out += '?';
      ++i;
      continue;
    }
    out.append(text.substr(i, lead.length));
    i += lead.length;
  }
  return out;
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

bool startsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const auto at = text.find(separator, start);
    parts.push_back(trim(text.substr(start, at == std::string_view::npos ? at : at - start)));
    if (at == std::string_view::npos) return parts;
    start = at + 1;
  }
}

SplitLine splitLine(std::string_view line) {
  SplitLine out;
  const std::string_view rest = stripLauncherTag(line, out.source.launcherRank);
  struct Marker {
    std::string_view text;
    LineLevel level;
  };
  for (const Marker& m :
       {Marker{"NCCL INFO", LineLevel::kInfo}, Marker{"NCCL WARN", LineLevel::kWarn},
        Marker{"NCCL TRACE", LineLevel::kOther}, Marker{"NCCL CALL", LineLevel::kOther}}) {
    const auto at = rest.find(m.text);
    if (at == std::string_view::npos) continue;
    parseHeader(rest.substr(0, at), out.source);
    out.level = m.level;
    out.message = rest.substr(at + m.text.size());
    if (startsWith(out.message, " ")) out.message.remove_prefix(1);
    if (m.level == LineLevel::kWarn) out.message = trim(out.message);
    return out;
  }
  const std::string_view plain = stripTimestamp(trim(rest));
  if (startsWith(plain, "NCCL version ")) {
    out.level = LineLevel::kVersion;
    out.message = plain;
  }
  return out;
}

std::optional<NcclConnection> parseConnection(std::string_view message) {
  Cursor c(message);
  const bool collNet = c.literal("CollNet ");
  if (!collNet && !c.literal("Channel ")) return std::nullopt;
  NcclConnection conn;
  const auto channel = toInt(c.integer());
  if (!channel) return std::nullopt;
  conn.channel = *channel;
  if (c.literal("/")) {
    conn.connIndex = toInt(c.integer());
    if (!conn.connIndex) return std::nullopt;
  }
  if (!c.literal(" : ")) return std::nullopt;
  if (collNet) {
    const auto rank = toInt(c.integer());
    if (!rank) return std::nullopt;
    conn.fromRank = *rank;
  } else if (!endpoint(c, conn.fromRank, conn.fromDevice) || !c.literal(" -> ") ||
             !endpoint(c, conn.toRank, conn.toDevice)) {
    return std::nullopt;
  }
  c.skipSpaces();
  if (c.literal("[send]"))
    conn.direction = ConnectionDirection::kSend;
  else if (c.literal("[receive]"))
    conn.direction = ConnectionDirection::kReceive;
  c.skipSpaces();
  if (!c.literal("via ")) return std::nullopt;
  conn.transport = std::string(trim(c.rest()));
  if (conn.transport.empty()) return std::nullopt;
  classifyTransport(conn.transport, conn);
  return conn;
}

void classifyTransport(std::string_view transport, NcclConnection& connection) {
  connection.gdrdma = contains(transport, "/GDRDMA");
  if (startsWith(transport, "P2P")) {
    connection.kind = TransportKind::kP2p;
  } else if (startsWith(transport, "SHM") || startsWith(transport, "direct shared memory")) {
    connection.kind = TransportKind::kShm;
  } else if (startsWith(transport, "NVLS")) {
    connection.kind = TransportKind::kNvls;
  } else if (startsWith(transport, "COLLNET/")) {
    parseNetTransport(transport.substr(8), connection);
    connection.kind = TransportKind::kCollNet;
  } else if (startsWith(transport, "NET/")) {
    parseNetTransport(transport.substr(4), connection);
    const std::string& net = connection.netName;
    connection.kind = net == "IB" || startsWith(net, "IBext") ? TransportKind::kNetIb
                      : net == "Socket"                       ? TransportKind::kNetSocket
                                                              : TransportKind::kNetOther;
  } else {
    connection.kind = TransportKind::kUnknown;
  }
}

std::optional<NcclRank> parseRank(std::string_view message) {
  const auto at = message.find("comm 0x");
  if (at == std::string_view::npos) return std::nullopt;
  const auto tokens = words(message.substr(at));
  NcclRank rank;
  rank.comm = std::string(tokens[1]);
  for (std::size_t i = 2; i + 1 < tokens.size(); ++i) {
    const std::string_view key = tokens[i];
    const auto value = intOf(tokens[i + 1]);
    if (key == "rank" && value && rank.rank < 0)
      rank.rank = *value;
    else if ((key == "nranks" || key == "nRanks") && value)
      rank.nRanks = *value;
    else if (key == "cudaDev" && value)
      rank.cudaDev = value;
    else if (key == "nNodes" && value)
      rank.nNodes = value;
    else if (key == "localRanks" && value)
      rank.localRanks = value;
    else if (key == "busId")
      rank.busId = std::string(tokens[i + 1]);
  }
  if (rank.rank < 0 || rank.nRanks <= 0) return std::nullopt;
  return rank;
}

std::optional<std::vector<NcclNic>> parseNics(std::string_view message) {
  std::string net;
  std::string_view body;
  if (startsWith(message, "NET/IB : Using")) {
    net = "IB";
    body = message.substr(14);
    body = body.substr(0, body.find(';'));
  } else if (startsWith(message, "NET/Socket : Using")) {
    net = "Socket";
    body = message.substr(18);
  } else {
    return std::nullopt;
  }
  std::vector<NcclNic> nics;
  for (std::string_view word : words(body)) {
    Cursor c(word);
    NcclNic nic;
    nic.net = net;
    const auto index = c.literal("[") ? toInt(c.integer()) : std::nullopt;
    if (!index || !c.literal("]")) continue;
    nic.index = *index;
    nic.name = std::string(c.until(':'));
    if (!c.literal(":") || nic.name.empty()) continue;
    if (net == "Socket") {
      nic.address = std::string(c.rest());
    } else {
      nic.port = toInt(c.integer());
      c.until('/');
      if (c.literal("/")) nic.linkLayer = std::string(c.rest());
    }
    nics.push_back(std::move(nic));
  }
  return nics;
}

}  // namespace cclbench::nccl_log_detail
