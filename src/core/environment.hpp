#pragma once
/// A snapshot of environment variables, so launcher detection and provenance are testable with
/// fixtures instead of the real process environment.

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cclbench {

using Environment = std::map<std::string, std::string>;

/// The current process's environment.
Environment processEnvironment();

/// Variables whose names start with any of `prefixes`.
Environment filterByPrefix(const Environment& env, const std::vector<std::string>& prefixes);

/// The value of `name` as an integer, or nullopt when unset or not a number.
std::optional<int> intVariable(const Environment& env, const std::string& name);

}  // namespace cclbench
