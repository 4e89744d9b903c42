#include "backends/tuner_forcing.hpp"

#include <dlfcn.h>

#include "core/error.hpp"
#include "tuner_rules.h"

namespace cclbench {

ForcedCandidate parseForcedCandidate(const std::string& text) {
  ForcedCandidate c;
  c.text = text;
  const std::size_t a = text.find('/');
  const std::size_t b = a == std::string::npos ? a : text.find('/', a + 1);
  if (a == std::string::npos) throw usageError("--nccl-force '" + text + "': ALGORITHM/PROTOCOL[/CHANNELS]");
  const std::string algorithm = text.substr(0, a);
  const std::string protocol = text.substr(a + 1, b == std::string::npos ? std::string::npos : b - a - 1);
  for (int i = 0; cclt_algorithm_name(i); ++i) {
    if (algorithm == cclt_algorithm_name(i)) c.algorithm = i;
  }
  for (int i = 0; cclt_protocol_name(i); ++i) {
    if (protocol == cclt_protocol_name(i)) c.protocol = i;
  }
  if (c.algorithm < 0) {
    throw usageError("--nccl-force: no NCCL algorithm '" + algorithm +
                     "' (tree ring collnet_direct collnet_chain nvls nvls_tree pat)");
  }
  if (c.protocol < 0) throw usageError("--nccl-force: no NCCL protocol '" + protocol + "' (ll ll128 simple)");
  if (b != std::string::npos) {
    const std::string channels = text.substr(b + 1);
    std::size_t used = 0;
    int n = 0;
    try {
      n = std::stoi(channels, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != channels.size() || n < 1 || n > 64) {
      throw usageError("--nccl-force: channels '" + channels + "' must be 1 to 64");
    }
    c.channels = n;
  }
  return c;
}

TunerForcing::TunerForcing(const std::string& pluginPath) : path_(pluginPath) {
  if (pluginPath.empty() || pluginPath.front() != '/') {
    throw Error(ExitCode::kNotAvailable,
                "forcing NCCL candidates needs NCCL_TUNER_PLUGIN set to the absolute path of "
                "libnccl-tuner-cclbench.so (it is '" + pluginPath + "')");
  }
  handle_ = dlopen(pluginPath.c_str(), RTLD_NOW | RTLD_NOLOAD);
  if (!handle_) {
    throw Error(ExitCode::kNotAvailable,
                "NCCL has not loaded the tuner plugin " + pluginPath +
                    " (NCCL falls back to another tuner when it cannot): nothing can be forced");
  }
  force_ = reinterpret_cast<cclbench_tuner_force_fn>(dlsym(handle_, CCLBENCH_TUNER_FORCE_SYMBOL));
  if (!force_) {
    dlclose(handle_);
    handle_ = nullptr;
    throw Error(ExitCode::kNotAvailable, pluginPath + " has no " CCLBENCH_TUNER_FORCE_SYMBOL
                                         ": not cclbench's tuner plugin");
  }
}

TunerForcing::~TunerForcing() {
  if (!handle_) return;
  force_(-1, -1, -1, 0, nullptr);  // the plugin may outlive this process's tuning
  dlclose(handle_);
}

void TunerForcing::force(const std::optional<ForcedCandidate>& c, int collective) {
  const int rc = c ? force_(collective, c->algorithm, c->protocol, c->channels, nullptr)
                   : force_(collective, -1, -1, 0, nullptr);
  if (rc != 0) throw usageError("the tuner plugin refused to force " + (c ? c->text : std::string("nothing")));
}

cclbench_tuner_counts TunerForcing::counts() const {
  cclbench_tuner_counts out{};
  force_(-2, -2, 0, 0, &out);
  return out;
}

}  // namespace cclbench
