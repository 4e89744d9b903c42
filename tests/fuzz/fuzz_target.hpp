#pragma once
/// What every fuzz target checks: a parser of outside input either returns or refuses the input
/// with cclbench::Error(kInvalidUsage) (the one-line "FILE:LINE: ..." error and exit 6). Any other
/// exception, a crash, or a sanitizer report is a finding: libFuzzer stops and saves the input.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "core/error.hpp"

namespace cclbench::fuzz {

inline std::string text(const uint8_t* data, std::size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

/// Runs `parse`; a refusal is fine, anything else aborts with the reason.
template <typename Parse>
void expectParsedOrRefused(Parse&& parse) {
  try {
    parse();
  } catch (const Error& e) {
    if (e.code() != ExitCode::kInvalidUsage) {
      std::fprintf(stderr, "refused with exit %d instead of 6: %s\n", static_cast<int>(e.code()),
                   e.what());
      std::abort();
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "escaped exception (not a cclbench error): %s\n", e.what());
    std::abort();
  }
}

/// A property that must hold for every input the parser accepted.
inline void require(bool holds, const char* what) {
  if (holds) return;
  std::fprintf(stderr, "property broken: %s\n", what);
  std::abort();
}

/// What `cclbench import` does with a file of this name and content; every number it keeps is
/// finite and not negative.
void importAndCheck(const char* fileName, const uint8_t* data, std::size_t size);

}  // namespace cclbench::fuzz
