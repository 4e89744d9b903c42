#include "session/algorithm_probe.hpp"

#include <cctype>
#include <cstdio>
#include <fstream>

#include "core/error.hpp"
#include "core/json_text.hpp"
#include "engine/operation.hpp"
#include "engine/plan.hpp"

namespace cclbench {
namespace {

std::string lower(std::string text) {
  for (char& ch : text) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return text;
}

void writeChoices(const AlgorithmChoices& choices, const std::string& path) {
  nlohmann::json j = {{"schema", "cclbench.algorithms"}, {"schema_version", 1}};
  auto& list = j["choices"] = nlohmann::json::array();
  for (const auto& [key, c] : choices) {
    list.push_back({{"collective", key.first}, {"bytes", key.second}, {"algorithm", c.algorithm},
                    {"protocol", c.protocol}, {"channels", c.channels}});
  }
  const std::string partial = path + ".partial";
  {
    std::ofstream out(partial, std::ios::trunc);
    if (!(out << jsonText(j, 1) << "\n")) throw usageError("cannot write " + path);
  }
  if (std::rename(partial.c_str(), path.c_str()) != 0) throw usageError("cannot write " + path);
}

}  // namespace

AlgorithmChoices choicesFromLog(const NcclLogSummary& log) {
  AlgorithmChoices choices;
  for (const NcclAlgoChoice& c : log.algorithms) {
    if (c.collective.empty()) continue;  // NCCL 2.21-2.23 lines name no collective
    const auto collective = parseCollective(lower(c.collective));
    if (!collective) continue;
    const int channels =
        c.channelLo && c.channelHi ? *c.channelHi - *c.channelLo + 1 : 0;
    choices[{name(*collective), c.bytes}] = {c.algorithm, c.protocol, channels};
  }
  return choices;
}

AlgorithmChoices readAlgorithmChoices(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw usageError("cannot read the algorithm probe file " + path);
  AlgorithmChoices choices;
  try {
    const nlohmann::json j = nlohmann::json::parse(in);
    for (const auto& c : j.at("choices")) {
      choices[{c.at("collective").get<std::string>(), c.at("bytes").get<uint64_t>()}] = {
          c.at("algorithm").get<std::string>(), c.at("protocol").get<std::string>(),
          c.value("channels", 0)};
    }
  } catch (const nlohmann::json::exception& e) {
    throw usageError(path + ": not an algorithm probe file (" + e.what() + ")");
  }
  return choices;
}

void attachAlgorithm(const AlgorithmChoices& choices, CaseRecord& record) {
  const std::string coll = name(record.collective);
  for (const uint64_t bytes : {record.sizeBytes, record.count * sizeOf(record.dtype)}) {
    const auto it = choices.find({coll, bytes});
    if (it == choices.end()) continue;
    record.ncclAlgorithm = it->second.algorithm;
    record.ncclProtocol = it->second.protocol;
    record.ncclChannels = it->second.channels;
    return;
  }
}

Verdict runAlgorithmProbe(const RunConfig& config, const std::string& file, Bootstrap& bootstrap,
                          Backend& backend, const TransportSetup& setup) {
  std::optional<Error> failure;
  std::vector<PlanTable> plan;
  try {
    plan = buildPlan(config, backend.size(), backend);
  } catch (const Error& e) {
    failure = e;
  }
  if (Verdict v = agreeOn(bootstrap, failure); !v.ok()) return v;
  BufferPool buffers(backend);
  for (const PlanTable& table : plan) {
    for (const PlanRow& row : table.rows) {
      Operation op(backend, buffers, row.outOfPlace, config.peerA, config.peerB, 1);
      bootstrap.barrier();
      if (op.participates()) op.once()();
      backend.synchronize();
    }
  }
  bootstrap.barrier();
  if (bootstrap.place().rank == 0) {
    try {
      writeChoices(choicesFromLog(checkTransport(setup).log), file);
    } catch (const Error& e) {
      failure = e;
    }
  }
  return agreeOn(bootstrap, failure);
}

}  // namespace cclbench
