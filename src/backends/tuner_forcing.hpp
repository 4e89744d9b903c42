#pragma once
/// Forcing a candidate on NCCL through cclbench's tuner plugin, in cclbench's own process (issue
/// 8): NCCL loads libnccl-tuner-cclbench.so (NCCL_TUNER_PLUGIN, an absolute path) when a
/// communicator is created; this finds that same loaded library with dlopen(RTLD_NOLOAD) and its
/// control symbol, so every later call of every communicator gets the forced (algorithm,
/// protocol[, channels]) without a new communicator. The plugin's counts then say whether NCCL
/// asked the tuner and got the forced pair (honoured), or had marked it unavailable. No CUDA
/// here: tested against the plugin through dlopen.

#include <optional>
#include <string>

#include "cclbench_tuner.h"

namespace cclbench {

/// A candidate: "ring/simple", "nvls/simple/16" (algorithm/protocol[/channels], as the plugin
/// config spells them).
struct ForcedCandidate {
  int algorithm = -1;
  int protocol = -1;
  int channels = 0;  ///< 0: NCCL's own count
  std::string text;
};

/// Parses "ALGO/PROTO[/CHANNELS]"; throws Error(kInvalidUsage) naming what is wrong.
ForcedCandidate parseForcedCandidate(const std::string& text);

class TunerForcing {
 public:
  /// Finds the plugin NCCL loaded from `pluginPath` (absolute) and its control symbol. Throws
  /// Error(kNotAvailable) saying which is missing: NCCL falls back to another tuner without a
  /// word when it cannot load the one named, so forcing would silently change nothing.
  explicit TunerForcing(const std::string& pluginPath);
  ~TunerForcing();
  TunerForcing(const TunerForcing&) = delete;
  TunerForcing& operator=(const TunerForcing&) = delete;

  /// Forces `candidate` on every collective NCCL asks the tuner about (ncclFunc_t `collective`,
  /// -1 for all); nullopt stops forcing. Throws Error(kInvalidUsage) when the plugin refuses it.
  void force(const std::optional<ForcedCandidate>& candidate, int collective = -1);
  /// The plugin's counts so far (every communicator of the process together).
  cclbench_tuner_counts counts() const;

 private:
  void* handle_ = nullptr;
  cclbench_tuner_force_fn force_ = nullptr;
  std::string path_;
};

}  // namespace cclbench
