#include "core/environment.hpp"

#include <charconv>
#include <cstring>

extern char** environ;

namespace cclbench {

Environment processEnvironment() {
  Environment env;
  for (char** entry = environ; entry && *entry; ++entry) {
    const char* eq = std::strchr(*entry, '=');
    if (!eq) continue;
    env.emplace(std::string(*entry, static_cast<std::size_t>(eq - *entry)), std::string(eq + 1));
  }
  return env;
}

Environment filterByPrefix(const Environment& env, const std::vector<std::string>& prefixes) {
  Environment out;
  for (const auto& [key, value] : env) {
    for (const auto& prefix : prefixes) {
      if (key.rfind(prefix, 0) == 0) {
        out.emplace(key, value);
        break;
      }
    }
  }
  return out;
}

std::optional<int> intVariable(const Environment& env, const std::string& name) {
  const auto it = env.find(name);
  if (it == env.end() || it->second.empty()) return std::nullopt;
  int value = 0;
  const char* end = it->second.data() + it->second.size();
  const auto [ptr, ec] = std::from_chars(it->second.data(), end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

}  // namespace cclbench
