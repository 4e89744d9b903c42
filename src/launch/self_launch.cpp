#include "launch/self_launch.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "build_info.hpp"
#include "core/error.hpp"

namespace cclbench {
namespace {

bool isRule(const std::string& line) {
  return line.size() >= 20 && line.find_first_not_of('-') == std::string::npos;
}

/// Open MPI blocks that only restate what the ranks already reported.
bool benignBlock(const std::vector<std::string>& block) {
  static constexpr std::array<const char*, 4> kMarkers{
      "terminated normally, but", "exited with non-zero status",
      "MPI_ABORT was invoked", "process that invoked MPI_ABORT"};
  for (const auto& line : block) {
    for (const char* marker : kMarkers) {
      if (line.find(marker) != std::string::npos) return true;
    }
  }
  return false;
}

bool executableOnPath(const std::string& name, std::string& found) {
  const char* path = std::getenv("PATH");
  if (!path) return false;
  std::string dirs(path);
  std::size_t start = 0;
  while (start <= dirs.size()) {
    const std::size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::string candidate = dirs.substr(start, end - start) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) {
      found = candidate;
      return true;
    }
    start = end + 1;
  }
  return false;
}

}  // namespace

std::vector<std::string> mpirunCommand(const SelfLaunchRequest& r) {
  std::vector<std::string> cmd{r.mpirun};
  if (r.runningAsRoot) cmd.push_back("--allow-run-as-root");
  if (r.ranks > r.cores) {
    cmd.insert(cmd.end(), {"--oversubscribe", "--bind-to", "none"});
  }
  cmd.insert(cmd.end(), {"-np", std::to_string(r.ranks), "-x", "CCLBENCH_SELF_LAUNCHED=1",
                         r.executable});
  cmd.insert(cmd.end(), r.args.begin(), r.args.end());
  return cmd;
}

std::vector<std::string> LauncherNoiseFilter::feed(const std::string& line) {
  if (line.find("help message") != std::string::npos ||
      line.find("orte_base_help_aggregate") != std::string::npos) {
    return {};
  }
  if (!inBlock_) {
    if (!isRule(line)) return {line};
    inBlock_ = true;
    block_ = {line};
    return {};
  }
  block_.push_back(line);
  if (!isRule(line)) return {};
  inBlock_ = false;
  std::vector<std::string> out;
  if (!benignBlock(block_)) out.swap(block_);
  block_.clear();
  return out;
}

std::vector<std::string> LauncherNoiseFilter::finish() {
  inBlock_ = false;
  std::vector<std::string> out;
  out.swap(block_);
  return out;
}

std::string findMpirun() {
  if (const char* env = std::getenv("CCLBENCH_MPIRUN"); env && *env) return env;
  std::string found;
  if (executableOnPath("mpirun", found)) return found;
  return build::kMpirun;
}

int runLauncher(const std::vector<std::string>& command, bool markSelfLaunched) {
  int pipeFds[2];
  if (pipe(pipeFds) != 0) throw Error(ExitCode::kInternal, "pipe() failed");
  const pid_t pid = fork();
  if (pid < 0) throw Error(ExitCode::kInternal, "fork() failed");
  if (pid == 0) {
    dup2(pipeFds[1], STDERR_FILENO);
    close(pipeFds[0]);
    close(pipeFds[1]);
    if (markSelfLaunched) setenv("CCLBENCH_SELF_LAUNCHED", "1", 1);
    std::vector<char*> argv;
    for (const auto& arg : command) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    std::fprintf(stderr, "cclbench: error: cannot start %s: %s\n", argv[0], std::strerror(errno));
    std::_Exit(static_cast<int>(ExitCode::kNotAvailable));
  }
  close(pipeFds[1]);
  FILE* in = fdopen(pipeFds[0], "r");
  LauncherNoiseFilter filter;
  auto emit = [](const std::vector<std::string>& lines) {
    for (const auto& l : lines) std::fprintf(stderr, "%s\n", l.c_str());
    std::fflush(stderr);
  };
  char* line = nullptr;
  std::size_t capacity = 0;
  ssize_t length;
  while ((length = getline(&line, &capacity, in)) >= 0) {
    std::string text(line, static_cast<std::size_t>(length));
    if (!text.empty() && text.back() == '\n') text.pop_back();
    emit(filter.feed(text));
  }
  std::free(line);
  emit(filter.finish());
  std::fclose(in);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return static_cast<int>(ExitCode::kInternal);
}

}  // namespace cclbench
