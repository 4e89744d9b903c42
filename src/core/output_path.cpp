#include "core/output_path.hpp"

#include <sys/stat.h>

#include <filesystem>

#include "core/error.hpp"

namespace cclbench {
namespace {

namespace fs = std::filesystem;

/// The path as it will be opened: absolute, with `.`, `..` and symbolic links of the existing
/// part resolved.
fs::path resolved(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(path, ec), ec);
  return ec ? fs::absolute(path) : p;
}

}  // namespace

void checkOutputPath(const std::string& path, const std::string& what, const OutputRules& rules) {
  if (path.empty()) throw usageError(what + " needs a file name (got an empty one)");
  const fs::path target = resolved(path);
  for (const std::string& db : rules.protectedFiles) {
    if (db.empty()) continue;
    const fs::path base = resolved(db);
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
      if (target == fs::path(base.string() + suffix)) {
        throw usageError(what + " " + path + " is the results database" +
                         (*suffix ? std::string(" (its ") + (suffix + 1) + " file)" : "") +
                         ": writing there would destroy the history; pick another file");
      }
    }
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return;  // new: fine
  if (S_ISDIR(st.st_mode)) throw usageError(what + " " + path + " is a folder, not a file");
  if (!S_ISREG(st.st_mode)) {
    throw usageError(what + " " + path +
                     " exists and is not a regular file (a FIFO, a device or a socket): refused");
  }
  if (rules.mustBeNew) {
    throw usageError(what + " " + path + " exists: remove it or name a new file (" + what +
                     " never replaces one)");
  }
}

}  // namespace cclbench
