#include "session/interruption.hpp"

#include <semaphore.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <vector>

#include "core/json_text.hpp"
#include "core/record.hpp"
#include "session/provenance.hpp"
#include "session/run_sources.hpp"
#if defined(CCLBENCH_HAVE_STORE)
#include "store/result_store.hpp"
#endif

namespace cclbench {
namespace {

volatile std::sig_atomic_t gInterrupt = 0;
sem_t gWake;  ///< posted by the handler: the watcher thread runs at once (Open MPI's mpirun sends
              ///< SIGKILL about 10 ms after its SIGTERM)

/// The first signal wins: the launcher may follow the user's SIGINT with a SIGTERM of its own.
void noteInterrupt(int signal) {
  if (!gInterrupt) gInterrupt = signal;
  sem_post(&gWake);  // async-signal-safe
}

constexpr int kStopSignals[] = {SIGINT, SIGTERM, SIGHUP};

std::string signalName(int signal) {
  switch (signal) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    default: return "signal " + std::to_string(signal);
  }
}

/// Makes the last record of a JSON Lines file `trailer`: appended when the ranks wrote no end
/// record, replacing theirs otherwise (counts kept from it). Written whole, then renamed.
/// Returns the cases the file holds, or -1 when there is no such file.
long endRecordsFile(const std::string& path, Trailer trailer) {
  std::ifstream in(path);
  if (!in) return -1;  // nothing was written, or no records file was asked for
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    const std::string type = recordType(j);
    if (type == "end") {
      trailer.wallSeconds = j.value("wall_seconds", 0.0);
      continue;
    }
    if (j.is_discarded()) continue;  // a line cut short by the kill
    if (type == "case") {
      ++trailer.cases;
      if (j.contains("wrong") && j["wrong"].is_number_unsigned()) {
        trailer.wrongTotal += j["wrong"].get<uint64_t>();
      }
    }
    lines.push_back(line);
  }
  in.close();
  const std::string partial = path + ".partial";
  {
    std::ofstream out(partial, std::ios::trunc);
    for (const auto& l : lines) out << l << "\n";
    out << jsonText(toJson(trailer)) << "\n";
    if (!out) throw std::runtime_error("cannot write " + partial);
  }
  if (std::rename(partial.c_str(), path.c_str()) != 0) {
    throw std::runtime_error("cannot replace " + path);
  }
  return static_cast<long>(trailer.cases);
}

}  // namespace

void LiveRank::endEarly(const std::string& status, int exitCode,
                        const std::string& message) noexcept {
  if (RunEnding* e = ending.load()) e->endEarly(status, exitCode, message);
  if (Backend* b = backend.load()) b->abortCommunication();
}

LiveRank::Published::Published(LiveRank* live, Backend* backend) : live_(live) {
  if (live_) live_->backend = backend;
}

LiveRank::Published::~Published() {
  if (live_) live_->backend = nullptr;
}

InterruptWatch::InterruptWatch(LiveRank& live, bool speak) : live_(live) {
  gInterrupt = 0;
  sem_init(&gWake, 0, 0);
  struct sigaction action {};
  action.sa_handler = noteInterrupt;
  sigemptyset(&action.sa_mask);
  for (int s : kStopSignals) sigaction(s, &action, nullptr);
  // A helper thread, not the handler, does the work: writing files is not async-signal-safe.
  thread_ = std::thread([this, speak] {
    while (!stop_.load()) {
      while (sem_wait(&gWake) != 0 && errno == EINTR) {
      }
      if (const int signal = gInterrupt) {
        const std::string message = "interrupted by " + signalName(signal) +
                                    ": the cases measured so far are kept (status interrupted)";
        // The records first: the launcher may kill us within milliseconds.
        const bool hasSinks = live_.ending.load() != nullptr;
        live_.endEarly("interrupted", 128 + signal, message);
        if (speak) std::fprintf(stderr, "cclbench: error: %s\n", message.c_str());
        // A rank with nothing to write leaves a moment later: Open MPI's mpirun kills the whole
        // job as soon as one rank exits, which could cut rank 0's end record short.
        if (!hasSinks) std::this_thread::sleep_for(std::chrono::milliseconds(500));
        std::fflush(nullptr);
        std::_Exit(128 + signal);
      }
    }
  });
}

InterruptWatch::~InterruptWatch() {
  stop_ = true;
  sem_post(&gWake);
  thread_.join();
  sem_destroy(&gWake);
  struct sigaction action {};
  action.sa_handler = SIG_DFL;
  sigemptyset(&action.sa_mask);
  for (int s : kStopSignals) sigaction(s, &action, nullptr);
}

void finishInterruptedRun(const RunOptions& options, const std::string& runId, int signal) {
  const std::string message =
      "interrupted by " + signalName(signal) + ": the cases measured so far are kept (status "
      "interrupted)";
  const Trailer base{runId, "interrupted", 128 + signal, message, 0, 0, utcNow(), 0, {}};
  for (const ReporterSpec& spec : options.outputs.reporters) {
    try {
      if (spec.name == "jsonl") {
        endRecordsFile(spec.target.empty() ? defaultRecordsPath(runId) : spec.target, base);
      }
#if defined(CCLBENCH_HAVE_STORE)
      if (spec.name == "store") {
        ResultStore store(resultsDatabasePath(spec.target));
        const auto id = store.findRun(runId);
        if (!id) continue;
        const auto run = store.run(*id);
        Trailer trailer = run->trailer.value_or(base);
        trailer.status = base.status;
        trailer.exitCode = base.exitCode;
        trailer.message = base.message;
        if (!run->trailer) trailer.cases = static_cast<std::size_t>(run->caseCount);
        store.finishRun(*id, trailer, RunStatus::kInterrupted);
      }
#endif
    } catch (const std::exception& e) {
      std::fprintf(stderr, "cclbench: warning: could not mark run %s interrupted in %s: %s\n",
                   runId.c_str(), spec.name.c_str(), e.what());
    }
  }
  std::fprintf(stderr, "cclbench: error: %s\n", message.c_str());
  std::fflush(stderr);
}

}  // namespace cclbench
