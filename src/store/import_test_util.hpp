#pragma once
// Helpers of the importer tests (import*_test.cpp only).

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "store/import.hpp"

namespace cclbench::import_test {

/// The case of `run` with this size and placement (the first one, for files with several types).
inline const CaseRecord& caseAt(const ImportedRun& run, uint64_t sizeBytes, Placement placement) {
  const auto it = std::find_if(run.cases.begin(), run.cases.end(), [&](const CaseRecord& r) {
    return r.sizeBytes == sizeBytes && r.placement == placement;
  });
  if (it == run.cases.end()) {
    throw std::runtime_error("no case of size " + std::to_string(sizeBytes));
  }
  return *it;
}

/// The distinct sizes of a run, ascending: one per table row.
inline std::vector<uint64_t> sizesOf(const ImportedRun& run) {
  std::set<uint64_t> sizes;
  for (const CaseRecord& r : run.cases) sizes.insert(r.sizeBytes);
  return {sizes.begin(), sizes.end()};
}

inline bool hasNote(const ImportedRun& run, const std::string& part) {
  return std::any_of(run.notes.begin(), run.notes.end(),
                     [&](const std::string& n) { return n.find(part) != std::string::npos; });
}

/// Writes `content` to a fresh file named `name` in the test's temporary folder.
inline std::string writeTemp(const std::string& name, const std::string& content) {
  const std::string path = ::testing::TempDir() + "cclbench-import-" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

/// Reads `path` expecting Error(kInvalidUsage) "PATH:LINE: ..."; returns the message.
inline std::string expectUsageError(const std::string& path, std::size_t line) {
  try {
    readResultsFile(path);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kInvalidUsage);
    const std::string prefix = path + ":" + std::to_string(line) + ": ";
    EXPECT_EQ(std::string(e.what()).rfind(prefix, 0), 0u) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    return e.what();
  }
  ADD_FAILURE() << path << ": expected an error at line " << line;
  return {};
}

}  // namespace cclbench::import_test
