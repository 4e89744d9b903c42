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

/// Writes `text` whole: a .partial file renamed into place, so no half file looks complete.
/// Throws Error(kInvalidUsage) when it cannot.
void writeWholeFile(const std::string& path, const std::string& text);
/// A file's whole text ("" when it cannot be read).
std::string readWholeFile(const std::string& path);

/// `option`, or results/<name>/ when it is empty: created, and refused (Error kInvalidUsage)
/// when it exists and is not empty. Returns the folder.
std::string prepareOutputFolder(const std::string& option, const std::string& name);

}  // namespace cclbench
