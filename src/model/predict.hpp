#pragma once
/// `cclbench predict`: what NCCL's own cost model expects for a described topology, per
/// collective and size: NCCL's pick (algorithm, protocol, channels), the time, algbw and busbw
/// (nccl-tests' definitions), and the runner-up. Modelled, never measured: every line says so,
/// and nothing of it reaches the results database.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/nccl_model.hpp"

namespace cclbench::model {

struct Prediction {
  Collective collective = Collective::kAllReduce;
  uint64_t bytes = 0;
  Choice pick;
  double algbwGBps = 0, busbwGBps = 0;
  std::string runnerUp;  ///< "ring/ll128 12.3 us", empty when only one pair is offered
};

/// Throws Error(kInvalidUsage) for a collective NCCL's tuner is not asked about.
std::vector<Prediction> predict(const NcclModel& model, const std::vector<Collective>& collectives,
                                const std::vector<uint64_t>& sizes);

/// The table, headed by the topology and the word MODELLED.
std::string predictionText(const NcclModel& model, const std::vector<Prediction>& rows);
/// One document (schema cclbench.predict/1, "modelled": true).
nlohmann::json predictionJson(const NcclModel& model, const std::vector<Prediction>& rows);

}  // namespace cclbench::model
