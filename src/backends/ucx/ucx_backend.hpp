#pragma once
/// The UCX backend: point-to-point over UCP (tagged messages, or RMA put with a completion
/// notice), one worker per rank, progress by polling, host memory. Worker addresses go through
/// the run's bootstrap; endpoints are created on first use. A fabric forces UCX_TLS on this
/// backend's own UCP context (never the process environment) and every endpoint's lanes are read
/// back from UCX's own report.

#include <memory>
#include <optional>
#include <string>

#include "backends/backend.hpp"
#include "core/bootstrap.hpp"
#include "inspect/fabric.hpp"

namespace cclbench {

enum class UcxApi { kTag, kPut };

struct UcxBackendOptions {
  UcxApi api = UcxApi::kTag;
  std::optional<Fabric> fabric;  ///< forced through ucp_config_modify; verified per endpoint
  bool deviceMemory = false;     ///< CUDA buffers: only where UCX has a CUDA transport
};

/// Creates this rank's UCP context, worker and address table (collective over `bootstrap`).
/// Throws Error(kFabricMismatch) when the forced fabric cannot start here, Error(kNotAvailable)
/// for CUDA memory without a CUDA transport, Error(kLibraryError) for other UCX failures.
std::unique_ptr<Backend> createUcxBackend(Bootstrap& bootstrap, const UcxBackendOptions& options);

/// "tag" or "put"; nothing for anything else.
std::optional<UcxApi> parseUcxApi(const std::string& text);

}  // namespace cclbench
