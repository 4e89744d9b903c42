#pragma once
/// JSON text for anything cclbench writes. Strings cclbench did not make (environment values,
/// host names, command lines, NCCL log lines) may hold bytes that are not UTF-8; nlohmann's
/// dump() throws on those. Here they become U+FFFD, so a record or a report is always written.

#include <string>

#include <nlohmann/json.hpp>

namespace cclbench {

inline std::string jsonText(const nlohmann::json& j, int indent = -1) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace cclbench
