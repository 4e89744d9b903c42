/// GRAPH, algorithm-choice and TUNING-table messages of NCCL INFO logs.

#include <algorithm>
#include <cctype>
#include <iterator>

#include "inspect/nccl_log_lines.hpp"

namespace cclbench::nccl_log_detail {
namespace {

constexpr const char* kAlgorithmsByIndex[] = {
    "TREE", "RING", "COLLNET_DIRECT", "COLLNET_CHAIN", "NVLS", "NVLS_TREE", "PAT"};
constexpr const char* kProtocolsByIndex[] = {"LL", "LL128", "SIMPLE"};
constexpr const char* kTableProtocols[] = {"LL", "LL128", "Simple"};

std::string algorithmName(std::string_view word) {
  const auto index = intOf(word);
  if (index && *index >= 0 && *index < static_cast<int>(std::size(kAlgorithmsByIndex))) {
    return kAlgorithmsByIndex[*index];
  }
  return std::string(word);
}

std::string protocolName(std::string_view word) {
  const auto index = intOf(word);
  if (index && *index >= 0 && *index < static_cast<int>(std::size(kProtocolsByIndex))) {
    return kProtocolsByIndex[*index];
  }
  return std::string(word);
}

bool isWord(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!std::isalpha(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

std::optional<NcclGraph> parseGraph(std::string_view message) {
  if (!startsWith(message, "Pattern ")) return std::nullopt;
  NcclGraph graph;
  bool typed = false;
  for (std::string_view part : split(message, ',')) {
    const auto space = part.find(' ');
    if (space == std::string_view::npos) continue;
    const std::string_view key = part.substr(0, space), value = trim(part.substr(space + 1));
    const auto slash = value.find('/');
    const std::string_view first = value.substr(0, slash);
    const std::string_view second = slash == std::string_view::npos ? "" : value.substr(slash + 1);
    if (key == "Pattern")
      graph.pattern = intOf(value).value_or(-1);
    else if (key == "crossNic")
      graph.crossNic = intOf(value).value_or(0);
    else if (key == "nChannels")
      graph.nChannels = intOf(value).value_or(0);
    else if (key == "bw" || key == "speed") {
      graph.bwIntra = Cursor(first).number().value_or(0);
      graph.bwInter = Cursor(second).number().value_or(0);
    } else if (key == "type" && !second.empty()) {
      graph.typeIntra = std::string(first);
      graph.typeInter = std::string(second);
      typed = true;
    }
  }
  if (graph.pattern < 0 || !typed) return std::nullopt;
  return graph;
}

std::optional<NcclAlgoChoice> parseAlgoChoice(std::string_view message) {
  const auto arrow = message.find(" Bytes -> Algo ");
  if (arrow == std::string_view::npos) return std::nullopt;
  NcclAlgoChoice choice;
  std::string_view before = message.substr(0, arrow);
  if (const auto colon = before.find(':'); colon != std::string_view::npos) {
    choice.collective = std::string(trim(before.substr(0, colon)));
    before = before.substr(colon + 1);
  }
  const auto bytes = Cursor(trim(before)).integer();
  if (!bytes || *bytes < 0) return std::nullopt;
  choice.bytes = static_cast<std::uint64_t>(*bytes);
  const auto tokens = words(message.substr(arrow + 15));
  if (tokens.size() < 3 || tokens[1] != "proto") return std::nullopt;
  choice.algorithm = algorithmName(tokens[0]);
  choice.protocol = protocolName(tokens[2]);
  if (tokens.size() > 3) {
    Cursor c(tokens[3]);
    if (c.literal("channel{Lo..Hi}={")) {
      choice.channelLo = toInt(c.integer());
      if (c.literal("..")) choice.channelHi = toInt(c.integer());
    }
  }
  return choice;
}

bool TuningTableReader::addRow(std::string_view message, std::vector<NcclTuningCell>& out) {
  const auto bar = message.find('|');
  if (bar == std::string_view::npos) return false;
  const std::string_view head = trim(message.substr(0, bar));
  std::vector<std::string_view> fields = split(message.substr(bar + 1), '|');
  while (!fields.empty() && fields.back().empty()) fields.pop_back();
  if (head == "Algorithm" || head == "Protocol") {
    auto& target = head == "Algorithm" ? algorithms_ : protocols_;
    target.clear();
    for (std::string_view f : fields) target.emplace_back(f);
    if (head == "Algorithm") pairs_.clear();
    return true;
  }
  if (head == "Max NThreads") return true;
  if (head == "Latency/AlgBw") {
    pairs_.clear();
    algorithms_.clear();
    for (std::string_view f : fields) {
      const auto parts = split(f, '/');
      pairs_.emplace_back(std::string(parts[0]), parts.size() > 1 ? std::string(parts[1]) : "");
    }
    return true;
  }
  if (!isWord(head) || (algorithms_.empty() && pairs_.empty()) || fields.empty()) return false;
  std::vector<NcclTuningCell> cells;
  for (std::string_view f : fields) {
    Cursor c(f);
    NcclTuningCell cell;
    const auto latency = c.number();
    c.skipSpaces();
    if (!latency || !c.literal("/")) return false;
    c.skipSpaces();
    const auto bandwidth = c.number();
    if (!bandwidth) return false;
    cell.collective = std::string(head);
    cell.latencyUs = *latency;
    cell.bandwidth = *bandwidth;
    cells.push_back(std::move(cell));
  }
  std::vector<std::pair<std::string, std::string>> columns;
  columnsFor(cells.size(), columns);
  for (std::size_t i = 0; i < cells.size() && i < columns.size(); ++i) {
    cells[i].algorithm = columns[i].first;
    cells[i].protocol = columns[i].second;
    out.push_back(std::move(cells[i]));
  }
  return true;
}

void TuningTableReader::columnsFor(
    std::size_t cells, std::vector<std::pair<std::string, std::string>>& columns) const {
  if (!pairs_.empty()) {
    columns = pairs_;
    return;
  }
  // Each algorithm spans the same number of protocol columns; the Protocol row may be longer
  // than the data rows (NCCL prints all nine under a lone PAT), so count the data row's cells.
  const std::size_t span = std::max<std::size_t>(1, cells / algorithms_.size());
  for (std::size_t i = 0; i < cells; ++i) {
    const std::size_t a = std::min(i / span, algorithms_.size() - 1);
    const std::string protocol = i < protocols_.size() ? protocols_[i] : kTableProtocols[i % 3];
    columns.emplace_back(algorithms_[a], protocol);
  }
}

}  // namespace cclbench::nccl_log_detail
