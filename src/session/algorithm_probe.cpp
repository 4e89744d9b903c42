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
  nlohmann::json j = {{"schema", "cclbench.algorithms"}, {"schema_version", 2}};
  auto& list = j["choices"] = nlohmann::json::array();
  for (const auto& [key, c] : choices) {
    const auto& [candidate, collective, bytes] = key;
    nlohmann::json entry = {{"collective", collective}, {"bytes", bytes}, {"algorithm", c.algorithm},
                            {"protocol", c.protocol}, {"channels", c.channels}};
    if (!candidate.empty()) entry["candidate"] = candidate;
    list.push_back(std::move(entry));
  }
  const std::string partial = path + ".partial";
  {
    std::ofstream out(partial, std::ios::trunc);
    if (!(out << jsonText(j, 1) << "\n")) throw usageError("cannot write " + path);
  }
  if (std::rename(partial.c_str(), path.c_str()) != 0) throw usageError("cannot write " + path);
}

AlgorithmChoice choiceOf(const NcclAlgoChoice& c) {
  return {c.algorithm, c.protocol, c.channelLo && c.channelHi ? *c.channelHi - *c.channelLo + 1 : 0};
}

}  // namespace

std::string candidateKey(const std::map<std::string, std::string>& knobs) {
  std::string key;
  for (const auto& [k, v] : knobs) key += (key.empty() ? "" : ",") + k + "=" + v;
  return key;
}

AlgorithmChoices choicesFromLog(const NcclLogSummary& log) {
  AlgorithmChoices choices;
  for (const NcclAlgoChoice& c : log.algorithms) {
    if (c.collective.empty()) continue;  // NCCL 2.21-2.23 lines name no collective
    const auto collective = parseCollective(lower(c.collective));
    if (!collective) continue;
    choices[{"", name(*collective), c.bytes}] = choiceOf(c);
  }
  return choices;
}

AlgorithmChoices choicesOfCalls(const std::vector<ProbeCall>& calls,
                                const std::vector<NcclAlgoChoice>& logged) {
  AlgorithmChoices choices;
  std::size_t next = 0;
  for (const ProbeCall& call : calls) {
    for (std::size_t at = next; at < logged.size(); ++at) {
      const NcclAlgoChoice& c = logged[at];
      if (c.bytes != call.sizeBytes && c.bytes != call.countBytes) continue;
      // NCCL 2.21-2.23 lines name no collective: the bytes and the order decide.
      if (!c.collective.empty() && parseCollective(lower(c.collective)) != call.collective) continue;
      choices[{call.candidate, name(call.collective), c.bytes}] = choiceOf(c);
      next = at + 1;
      break;
    }
  }
  return choices;
}

std::optional<bool> probeSawCandidate(const CaseRecord& record) {
  const auto algorithm = record.candidate.find("algorithm");
  const auto protocol = record.candidate.find("protocol");
  if (algorithm == record.candidate.end() || protocol == record.candidate.end() ||
      record.ncclAlgorithm.empty()) {
    return std::nullopt;
  }
  return lower(record.ncclAlgorithm) == lower(algorithm->second) &&
         lower(record.ncclProtocol) == lower(protocol->second);
}

AlgorithmChoices readAlgorithmChoices(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw usageError("cannot read the algorithm probe file " + path);
  AlgorithmChoices choices;
  try {
    const nlohmann::json j = nlohmann::json::parse(in);
    for (const auto& c : j.at("choices")) {  // version 1 has no candidates
      choices[{c.value("candidate", std::string()), c.at("collective").get<std::string>(),
               c.at("bytes").get<uint64_t>()}] = {c.at("algorithm").get<std::string>(),
                                                   c.at("protocol").get<std::string>(),
                                                   c.value("channels", 0)};
    }
  } catch (const nlohmann::json::exception& e) {
    throw usageError(path + ": not an algorithm probe file (" + e.what() + ")");
  }
  return choices;
}

void attachAlgorithm(const AlgorithmChoices& choices, CaseRecord& record) {
  const std::string coll = name(record.collective);
  const std::string candidate = candidateKey(record.candidate);
  for (const uint64_t bytes : {record.sizeBytes, record.count * sizeOf(record.dtype)}) {
    const auto it = choices.find({candidate, coll, bytes});
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
  std::vector<ProbeCall> calls;
  for (const PlanTable& table : plan) {
    // A candidate is forced as the measuring run forces it, so NCCL logs what it ran for it.
    if (table.candidate) backend.forceCandidate(table.collective, *table.candidate);
    const std::string candidate = table.candidate ? candidateKey(*table.candidate) : "";
    for (const PlanRow& row : table.rows) {
      const CaseSpec& spec = row.outOfPlace;
      Operation op(backend, buffers, spec, config.peerA, config.peerB, 1);
      bootstrap.barrier();
      if (op.participates()) op.once()();
      backend.synchronize();
      calls.push_back({candidate, spec.collective, spec.shape.sizeBytes,
                       spec.shape.count * sizeOf(spec.dtype)});
    }
  }
  bootstrap.barrier();
  if (bootstrap.place().rank == 0) {
    try {
      writeChoices(choicesOfCalls(calls, checkTransport(setup).log.algorithmCalls), file);
    } catch (const Error& e) {
      failure = e;
    }
  }
  return agreeOn(bootstrap, failure);
}

}  // namespace cclbench
