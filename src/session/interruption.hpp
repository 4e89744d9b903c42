#pragma once
/// Ending a rank from outside its measuring loop: a timeout (the watchdog) or a signal (Ctrl-C,
/// SIGTERM, SIGHUP). Helper threads never call MPI; they let rank 0 write the run's end record
/// (status and reason) to every open sink, release the library's resources and end the process,
/// and the launcher ends the rest of the job. The process that self-launched the ranks finishes
/// the records itself when the ranks were killed before they could.

#include <atomic>
#include <string>
#include <thread>

#include "backends/backend.hpp"
#include "core/bootstrap.hpp"
#include "session/run_options.hpp"

namespace cclbench {

/// The sinks of a run in progress, as a helper thread may end them.
class RunEnding {
 public:
  virtual ~RunEnding() = default;
  /// Writes the end record (`status`: incomplete, interrupted) once; gives up after about a
  /// second when the sinks are busy (a rank stuck writing). Never throws.
  virtual void endEarly(const std::string& status, int exitCode,
                        const std::string& message) noexcept = 0;
};

/// What a rank's helper threads may need to end it; each part is published while it exists.
struct LiveRank {
  std::atomic<Bootstrap*> bootstrap{nullptr};
  std::atomic<Backend*> backend{nullptr};
  std::atomic<RunEnding*> ending{nullptr};

  /// The run's end record (rank 0's sinks), then the backend's resources (NCCL: the
  /// communicator aborted). The caller ends the process.
  void endEarly(const std::string& status, int exitCode, const std::string& message) noexcept;

  /// Publishes a backend for the lifetime of this object.
  class Published {
   public:
    Published(LiveRank* live, Backend* backend);
    ~Published();
    Published(const Published&) = delete;
    Published& operator=(const Published&) = delete;

   private:
    LiveRank* live_;
  };
};

/// While it exists, SIGINT, SIGTERM and SIGHUP end this process as an interrupted run: rank 0
/// writes the end record (status interrupted), the process says so in one line when `speak`
/// (rank 0 only, and not self-launched ranks: their launcher ends them with its own SIGTERM and
/// the process the user signalled tells the story), and exits with 128 + the signal number.
class InterruptWatch {
 public:
  InterruptWatch(LiveRank& live, bool speak);
  ~InterruptWatch();
  InterruptWatch(const InterruptWatch&) = delete;
  InterruptWatch& operator=(const InterruptWatch&) = delete;

 private:
  LiveRank& live_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

/// The self-launching process, after `signal` (the one the user sent) ended the job: the run's
/// end record in the JSON Lines file and the database says interrupted by that signal, with exit
/// 128 + signal, whether the ranks wrote one (they saw the launcher's SIGTERM) or were killed
/// before they could. Prints the one line; failures here are reported, never thrown.
void finishInterruptedRun(const RunOptions& options, const std::string& runId, int signal);

}  // namespace cclbench
