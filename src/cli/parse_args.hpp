#pragma once
/// One way for every subcommand to parse its arguments with CLI11.

#include <CLI/CLI.hpp>

#include <iostream>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace cclbench {

/// Parses `args` (the words after the subcommand). Returns false when --help was asked for (the
/// help is printed when `printHelp`); any other problem throws Error(kInvalidUsage) with CLI11's
/// one-line message.
inline bool parseArgs(CLI::App& app, const std::vector<std::string>& args, bool printHelp = true) {
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
