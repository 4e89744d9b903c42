#pragma once
/// Small text helpers the acceptance, matrix and nightly outputs share.

#include <cstdio>
#include <string>

#include "acceptance/jobs.hpp"

namespace cclbench::acceptance {

/// `value` through a printf format ("%.3g", figures as the console shows them, by default).
inline std::string formatted(double value, const char* format = "%.3g") {
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

/// Host names joined by commas, each followed by `suffix` (":2": mpirun's slots per host).
inline std::string hostList(const HostGroup& hosts, const std::string& suffix = "") {
  std::string out;
  for (const auto& h : hosts) out += (out.empty() ? "" : ",") + h + suffix;
  return out;
}

}  // namespace cclbench::acceptance
