#include "core/output_path.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

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

void writeWholeFile(const std::string& path, const std::string& text) {
  const std::string partial = path + ".partial";
  {
    std::ofstream out(partial, std::ios::trunc);
    out << text;
    if (!out) throw usageError("cannot write " + partial);
  }
  std::error_code ec;
  std::filesystem::rename(partial, path, ec);
  if (ec) throw usageError("cannot write " + path + ": " + ec.message());
}

std::string readWholeFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string prepareOutputFolder(const std::string& option, const std::string& name) {
  const std::filesystem::path folder =
      option.empty() ? std::filesystem::path("results") / name : std::filesystem::path(option);
  std::error_code ec;
  if (std::filesystem::exists(folder, ec) && !std::filesystem::is_empty(folder, ec)) {
    throw usageError("--out " + folder.string() + " is not empty: give a new folder");
  }
  std::filesystem::create_directories(folder, ec);
  if (ec) throw usageError("cannot create " + folder.string() + ": " + ec.message());
  return folder.string();
}

}  // namespace cclbench
