#pragma once
/// One way for every subcommand to parse its arguments with CLI11.

#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/sizes.hpp"

namespace cclbench {

/// A word that reads as a number but is none (nan, inf, 1e999): no option of any subcommand
/// takes one, and a range check lets NaN through (every comparison with it is false).
inline bool notFinite(const std::string& word) {
  const std::string value = word.rfind("--", 0) == 0 && word.find('=') != std::string::npos
                                ? word.substr(word.find('=') + 1)
                                : word;
  if (value.empty()) return false;
  char* end = nullptr;
  const double v = std::strtod(value.c_str(), &end);
  return end == value.c_str() + value.size() && !std::isfinite(v);
}

/// A size option's value (`-b 4M`); throws Error(kInvalidUsage) naming the option.
inline uint64_t bytesOption(const std::string& text, const char* flag) {
  const auto value = parseBytes(text);
  if (!value) {
    throw usageError(std::string("cannot read size '") + text + "' for " + flag +
                     " (use a number with an optional K, M, G or T suffix, 1024-based)");
  }
  return *value;
}

/// Parses `args` (the words after the subcommand). Returns false when --help was asked for (the
/// help is printed when `printHelp`); any other problem throws Error(kInvalidUsage) with CLI11's
/// one-line message.
inline bool parseArgs(CLI::App& app, const std::vector<std::string>& args, bool printHelp = true) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (!notFinite(args[i])) continue;
    const std::string& word = args[i];
    const std::size_t eq = word.find('=');
    const std::string option = word.rfind("-", 0) == 0 && eq != std::string::npos ? word.substr(0, eq)
                               : i > 0 && args[i - 1].rfind("-", 0) == 0 ? args[i - 1]
                                                                          : std::string();
    throw usageError((option.empty() ? "" : option + ": ") + "'" +
                     (eq == std::string::npos ? word : word.substr(eq + 1)) +
                     "' is not a finite number (" + app.get_name() + " --help)");
  }
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them reversed
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    if (printHelp) std::cout << app.help() << std::flush;
    return false;
  } catch (const CLI::ParseError& e) {
    throw usageError(std::string(e.what()) + " (" + app.get_name() + " --help)");
  }
  return true;
}

}  // namespace cclbench
