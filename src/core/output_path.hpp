#pragma once
/// Output paths checked before anything is measured or written: an output never replaces the
/// results database (or its -wal and -shm files), a folder, a FIFO, a device or any other file
/// that is not a regular one, and is never empty; where an output must be new (--jsonl), an
/// existing file is refused too. Each refusal is one line (Error kInvalidUsage, exit 6).

#include <string>
#include <vector>

namespace cclbench {

struct OutputRules {
  std::vector<std::string> protectedFiles;  ///< results databases, whether they exist or not
  bool mustBeNew = false;                   ///< refuse an existing file
};

/// `what` names the option in the message ("--jsonl", "--out").
void checkOutputPath(const std::string& path, const std::string& what, const OutputRules& rules);

}  // namespace cclbench
