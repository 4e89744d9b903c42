// nccl-tests console lines: column header, rows, run parameters, rank lines.
#include "store/import_nccl_table.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

namespace cclbench::import_detail {
namespace {

/// The name a preamble column goes by, from any version's spelling.
std::string preambleName(std::string_view w) {
  if (w == "size" || w == "bytes") return "size";
  if (w == "count" || w == "N") return "count";
  if (w == "type") return "type";
  if (w == "redop" || w == "op") return "redop";
  if (w == "root") return "root";
  return {};
}

/// The name a result column goes by, from any version's spelling.
std::string groupName(std::string_view w) {
  if (w == "time" || w == "cputime") return "time";
  if (w == "algbw" || w == "busbw" || w == "i_min" || w == "i_max" || w == "i_p99") {
    return std::string(w);
  }
  if (w == "i_cv%") return "i_cv";
  if (w == "#wrong") return "wrong";
  if (w == "error" || w == "res") return "error";
  return {};
}

struct RowReader {
  const std::vector<std::string_view>& ws;
  const std::string& path;
  std::size_t line;
  std::size_t next = 0;

  std::string_view word() { return ws[next++]; }
  double number(const char* what) {
    const std::string_view w = word();
    const auto value = toNumber(w);
    if (!value) fail(path, line, std::string(what) + " '" + std::string(w) + "' is not a number");
    return *value;
  }
  uint64_t whole(const char* what) {
    const std::string_view w = word();
    const auto value = toUnsigned(w);
    if (!value) {
      fail(path, line, std::string(what) + " '" + std::string(w) + "' is not a whole number");
    }
    return *value;
  }
};

void readPreamble(RowReader& in, const TableLayout& layout, TableRow& row) {
  for (const std::string& column : layout.preamble) {
    if (column == "size") row.sizeBytes = in.whole("size");
    if (column == "count") row.count = in.whole("count");
    if (column == "type") {
      const std::string_view w = in.word();
      const auto dtype = parseDType(w);
      if (!dtype) fail(in.path, in.line, "unknown data type '" + std::string(w) + "'");
      row.dtype = *dtype;
    }
    if (column == "redop") {
      const std::string_view w = in.word();
      const auto op = w == "none" ? std::optional<RedOp>(RedOp::kNone) : parseRedOp(w);
      if (!op) fail(in.path, in.line, "unknown reduction '" + std::string(w) + "'");
      row.op = *op;
    }
    if (column == "root") {
      const std::string_view w = in.word();
      const auto root = toInteger(w);
      if (!root) fail(in.path, in.line, "root '" + std::string(w) + "' is not a whole number");
      row.root = static_cast<int>(*root);
    }
  }
}

Measurement readGroup(RowReader& in, const TableLayout& layout, TableRow& row,
                      std::size_t perIterationCount) {
  Measurement m;
  PerIterationStats iter{perIterationCount, 0, 0, 0, 0};
  for (const std::string& column : layout.group) {
    if (column == "time") m.timeUs = in.number("time") * layout.timeScale;
    if (column == "algbw") m.algBandwidthGBps = in.number("algbw");
    if (column == "busbw") m.busBandwidthGBps = in.number("busbw");
    if (column == "i_min") iter.minUs = in.number("i_min");
    if (column == "i_max") iter.maxUs = in.number("i_max");
    if (column == "i_p99") iter.p99Us = in.number("i_p99");
    if (column == "i_cv") in.number("i_cv%");
    if (column == "wrong" || column == "error") {
      if (in.ws[in.next] == "N/A") {
        ++in.next;
        continue;
      }
      const std::string_view text = in.ws[in.next];
      const double value = in.number(column == "wrong" ? "#wrong" : "error");
      if (column == "error") {
        row.residual = std::max(row.residual, value);
      } else {
        if (value < 0 || !std::isfinite(value)) {
          fail(in.path, in.line, "#wrong '" + std::string(text) + "' is not a count");
        }
        m.wrong = static_cast<uint64_t>(std::llround(value));
        row.approximateWrong |= text.find_first_of("eE") != std::string_view::npos;
      }
    }
  }
  if (std::find(layout.group.begin(), layout.group.end(), "i_min") != layout.group.end()) {
    m.perIteration = iter;
  }
  return m;
}

}  // namespace

std::optional<TableLayout> parseColumnHeader(std::string_view text) {
  const auto ws = words(text);
  if (ws.size() < 5 || ws[0] != "#" || preambleName(ws[1]) != "size") return std::nullopt;
  TableLayout layout;
  layout.timeScale = ws[1] == "bytes" ? 1000.0 : 1.0;  // v1 printed milliseconds
  std::size_t i = 1;
  for (; i < ws.size() && !preambleName(ws[i]).empty(); ++i) {
    layout.preamble.push_back(preambleName(ws[i]));
  }
  if (i >= ws.size() || groupName(ws[i]) != "time") return std::nullopt;
  std::vector<std::string> columns;
  for (; i < ws.size(); ++i) {
    if (ws[i] == "timestamp") {
      layout.trailing = 2;  // "%Y-%m-%d %H:%M:%S"
      break;
    }
    const std::string name = groupName(ws[i]);
    if (name.empty()) return std::nullopt;
    columns.push_back(name);
  }
  const auto second = std::find(columns.begin() + 1, columns.end(), "time");
  if (second == columns.end() || columns.size() % 2 != 0 ||
      !std::equal(columns.begin(), second, second, columns.end())) {
    return std::nullopt;
  }
  layout.group.assign(columns.begin(), second);
  layout.residual =
      std::find(layout.group.begin(), layout.group.end(), "error") != layout.group.end();
  if (std::find(layout.group.begin(), layout.group.end(), "busbw") == layout.group.end()) {
    return std::nullopt;
  }
  return layout;
}

TableRow parseTableRow(const std::vector<std::string_view>& ws, const TableLayout& layout,
                       const std::string& path, std::size_t line, std::size_t perIterationCount) {
  const bool full = ws.size() == layout.fullWidth();
  if (!full && ws.size() != layout.outOfPlaceWidth()) {
    fail(path, line,
         "table row has " + std::to_string(ws.size()) + " fields where the column header has " +
             std::to_string(layout.fullWidth()));
  }
  TableRow row;
  row.line = line;
  RowReader in{ws, path, line};
  readPreamble(in, layout, row);
  row.out = readGroup(in, layout, row, perIterationCount);
  if (full) row.in = readGroup(in, layout, row, perIterationCount);
  return row;
}

nlohmann::json parseRunParameters(std::string_view text) {
  nlohmann::json config = nlohmann::json::object();
  std::string key;
  for (std::string_view w : words(text)) {
    const bool value = !w.empty() && (std::isdigit(static_cast<unsigned char>(w[0])) ||
                                      (w[0] == '-' && w.size() > 1));
    if (!value) {
      if (!key.empty()) key += "_";
      key += std::string(w.ends_with(":") ? w.substr(0, w.size() - 1) : w);
      continue;
    }
    const std::size_t paren = w.find('(');
    const auto number = toInteger(w.substr(0, paren));
    if (key == "step" && paren != std::string_view::npos) {
      key = w.substr(paren) == "(bytes)" ? "step_bytes" : "step_factor";
    }
    static const std::map<std::string, std::string> kNames{{"nThread", "nthreads"},
                                                           {"nGpus", "ngpus"},
                                                           {"minBytes", "minimum_bytes"},
                                                           {"maxBytes", "maximum_bytes"},
                                                           {"warmup_iters", "warmup_iters"},
                                                           {"iters", "iterations"},
                                                           {"agg_iters", "aggregated_iterations"}};
    const auto it = kNames.find(key);
    const std::string name = it != kNames.end() ? it->second : key;
    if (number && !name.empty()) config[name] = *number;
    key.clear();
  }
  return config;
}

std::optional<RankLine> parseRankLine(std::string_view text) {
  const auto ws = words(text);
  if (ws.size() < 2 || ws[0] != "Rank") return std::nullopt;
  const auto rank = toInteger(ws[1]);
  if (!rank) return std::nullopt;
  RankLine out{static_cast<int>(*rank), {}};
  for (std::size_t i = 2; i + 1 < ws.size(); ++i) {
    if (ws[i] == "on") {
      out.host = std::string(ws[i + 1]);
      break;
    }
  }
  return out;
}

}  // namespace cclbench::import_detail
