#pragma once
/// Where the ranks of one host leave signs of life for each other: a small shared-memory
/// segment with one slot per local rank holding two clocks, when the rank last made progress
/// (its watchdog was armed or kicked) and when its watchdog thread last ran (its process is
/// alive). When a rank's watchdog fires, the slots tell which local rank stopped answering
/// (a stopped, killed or swapped-out process leaves a stale "alive" clock); a rank on another
/// host cannot be seen, and is then called unknown. Reads are per host: nothing grows with the
/// job's rank count beyond the ranks of one node.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cclbench {

class Heartbeat {
 public:
  /// The segment of run `runId` on this host, created by whichever local rank comes first.
  /// Null where POSIX shared memory is not available (the timeout message then says unknown).
  static std::unique_ptr<Heartbeat> open(const std::string& runId, int localRank, int rank);
  ~Heartbeat();
  Heartbeat(const Heartbeat&) = delete;
  Heartbeat& operator=(const Heartbeat&) = delete;

  /// Removes the segment's name once every local rank has it open (mapped, it stays usable;
  /// nothing is left behind in /dev/shm however the run ends).
  void unlinkName();
  void progress();
  void alive();

  struct Silent {
    int rank;
    double seconds;  ///< since its process last ran
  };
  /// Local ranks other than this one whose process has not run for `staleSeconds`.
  std::vector<Silent> silent(double staleSeconds) const;

  /// Slots in a segment: local ranks beyond it are not watched.
  static constexpr int kSlots = 512;

 private:
  struct Slot;
  Heartbeat(std::string name, Slot* slots, int localRank);
  std::string name_;
  Slot* slots_;
  int localRank_;
};

}  // namespace cclbench
