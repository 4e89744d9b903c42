#include "session/interruption.hpp"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "core/record.hpp"
#include "session/provenance.hpp"
#include "session/run_sources.hpp"
#if defined(CCLBENCH_HAVE_STORE)
#include "store/result_store.hpp"
#endif

namespace cclbench {
namespace {

volatile std::sig_atomic_t gInterrupt = 0;

void noteInterrupt(int signal) { gInterrupt = signal; }

constexpr int kStopSignals[] = {SIGINT, SIGTERM, SIGHUP};

std::string signalName(int signal) {
  switch (signal) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    default: return "signal " + std::to_string(signal);
  }
}

/// Appends an end record to a JSON Lines file that has none (its ranks were killed first).
void endRecordsFile(const std::string& path, const std::string& runId, int exitCode,
                    const std::string& message) {
  std::ifstream in(path);
  if (!in) return;  // nothing was written, or no records file was asked for
  Trailer trailer{runId, "interrupted", exitCode, message, 0, 0, utcNow(), 0, {}};
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    const std::string type = recordType(j);
    if (type == "end") return;  // the ranks said it themselves
    if (type == "case") {
      ++trailer.cases;
      if (j.contains("wrong") && j["wrong"].is_number_unsigned()) {
        trailer.wrongTotal += j["wrong"].get<uint64_t>();
      }
    }
  }
  in.close();
  std::ofstream out(path, std::ios::app);
  out << "\n" << toJson(trailer).dump() << "\n";
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

InterruptWatch::InterruptWatch(LiveRank& live) : live_(live) {
  gInterrupt = 0;
  struct sigaction action {};
  action.sa_handler = noteInterrupt;
  sigemptyset(&action.sa_mask);
  for (int s : kStopSignals) sigaction(s, &action, nullptr);
  // A helper thread, not the handler, does the work: writing files is not async-signal-safe.
  thread_ = std::thread([this] {
    while (!stop_.load()) {
      if (const int signal = gInterrupt) {
        Bootstrap* bootstrap = live_.bootstrap.load();
        const bool printer = !bootstrap || bootstrap->place().rank == 0;
        const std::string message = "interrupted by " + signalName(signal) +
                                    ": the cases measured so far are kept (status interrupted)";
        if (printer) std::fprintf(stderr, "cclbench: error: %s\n", message.c_str());
        live_.endEarly("interrupted", 128 + signal, message);
        std::fflush(nullptr);
        std::_Exit(128 + signal);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
}

InterruptWatch::~InterruptWatch() {
  stop_ = true;
  thread_.join();
  struct sigaction action {};
  action.sa_handler = SIG_DFL;
  sigemptyset(&action.sa_mask);
  for (int s : kStopSignals) sigaction(s, &action, nullptr);
}

void finishInterruptedRun(const RunOptions& options, const std::string& runId, int signal) {
  const int exitCode = 128 + signal;
  const std::string message = "interrupted by " + signalName(signal) +
                              " (the ranks were ended before they could record it)";
  for (const ReporterSpec& spec : options.outputs.reporters) {
    try {
      if (spec.name == "jsonl") {
        endRecordsFile(spec.target.empty() ? defaultRecordsPath(runId) : spec.target, runId,
                       exitCode, message);
      }
#if defined(CCLBENCH_HAVE_STORE)
      if (spec.name == "store") {
        ResultStore store(resultsDatabasePath(spec.target));
        const auto id = store.findRun(runId);
        if (!id) continue;
        const auto run = store.run(*id);
        if (run && run->status == "running") {
          store.finishRun(*id,
                          Trailer{runId, "interrupted", exitCode, message,
                                  static_cast<std::size_t>(run->caseCount), 0, utcNow(), 0, {}},
                          RunStatus::kInterrupted);
        }
      }
#endif
    } catch (const std::exception& e) {
      std::fprintf(stderr, "cclbench: warning: could not mark run %s interrupted in %s: %s\n",
                   runId.c_str(), spec.name.c_str(), e.what());
    }
  }
}

}  // namespace cclbench
