#include "report/console_reporter.hpp"

#include <cinttypes>
#include <string>

#include "core/sizes.hpp"

namespace cclbench {

std::string fitNumber(double value, int width) {
  char text[64];
  for (const char* format : {"%*.2f", "%*.1f", "%*.0f"}) {
    if (std::snprintf(text, sizeof text, format, width, value) <= width) return text;
  }
  std::snprintf(text, sizeof text, width >= 7 ? "%*.1e" : "%*.0e", width, value);
  return text;
}

namespace {

constexpr std::size_t kMaxHostLines = 8;

std::string rankList(const std::vector<int>& ranks) {
  std::string out;
  for (std::size_t i = 0; i < ranks.size();) {
    std::size_t j = i;
    while (j + 1 < ranks.size() && ranks[j + 1] == ranks[j] + 1) ++j;
    if (!out.empty()) out += ",";
    out += std::to_string(ranks[i]);
    if (j > i) out += "-" + std::to_string(ranks[j]);
    i = j + 1;
  }
  return out;
}

class ConsoleReporter final : public Reporter {
 public:
  explicit ConsoleReporter(std::FILE* out) : out_(out) {}

  void beginRun(const RunHeader& h) override {
    std::string libraries;
    for (const auto& [key, value] : h.libraryVersions) {
      libraries += (libraries.empty() ? "" : "; ") + value;
    }
    std::fprintf(out_, "# cclbench %s (git %s)  backend %s (%s)\n", h.toolVersion.c_str(),
                 h.gitRevision.c_str(), h.backend.c_str(), libraries.c_str());
    const auto& c = h.config;
    std::fprintf(out_,
                 "# ranks %d on %zu host(s)  launcher %s  minBytes %s maxBytes %s  warmup iters: %s"
                 "  iters: %s  samples: %s  validation: %s\n",
                 h.ranks, h.hosts.size(), h.launcher.c_str(), c["min_bytes"].dump().c_str(),
                 c["max_bytes"].dump().c_str(), c["warmup_iterations"].dump().c_str(),
                 iterationsText(c["iterations_per_batch"].get<int>()).c_str(),
                 samplesText(c).c_str(), c["check_iterations"].dump().c_str());
    std::fprintf(out_,
                 "# time: median per-iteration time of timed batches; ranks combined by %s "
                 "(nccl-tests: mean)\n",
                 aggregationText(h.aggregation));
    if (!h.mpiThreadProvided.empty()) {
      std::fprintf(out_, "# MPI thread level: %s (asked %s)\n", h.mpiThreadProvided.c_str(),
                   h.mpiThreadRequested.c_str());
    }
    if (h.oversubscription.is_object() && h.oversubscription.value("oversubscribed", false)) {
      const auto& first = h.oversubscription["hosts"][0];
      std::fprintf(out_, "# OVERSUBSCRIBED: %s ranks on %s core(s) of %s; figures are slowed\n",
                   first["ranks"].dump().c_str(), first["cores"].dump().c_str(),
                   first["host"].get<std::string>().c_str());
    }
    std::fprintf(out_, "#\n# Using hosts\n");
    for (std::size_t i = 0; i < h.hosts.size() && i < kMaxHostLines; ++i) {
      const HostEntry& e = h.hosts[i];
      std::fprintf(out_, "#  %-20s ranks %s  cpus %s\n", e.host.c_str(),
                   rankList(e.ranks).c_str(), e.cpus.empty() ? "" : cpuSummary(e).c_str());
    }
    if (h.hosts.size() > kMaxHostLines) {
      std::fprintf(out_, "#  ... and %zu more hosts (all listed in the records)\n",
                   h.hosts.size() - kMaxHostLines);
    }
    std::fflush(out_);
  }

  void beginTable(const TableInfo& t) override {
    table_ = t;
    std::fprintf(out_, "#\n# Collective: %s\n", name(t.collective));
    for (const std::string& note : t.notes) std::fprintf(out_, "# note: %s\n", note.c_str());
    for (uint64_t bytes : t.skippedBytes) {
      std::fprintf(out_, "# skipped %s: rounds down to 0 elements per rank\n",
                   formatBytes(bytes).c_str());
    }
    std::fprintf(out_,
                 "# %10s  %12s  %8s  %6s  %6s           out-of-place                       "
                 "in-place          \n",
                 "", "", "", "", "");
    std::fprintf(out_,
                 "# %10s  %12s  %8s  %6s  %6s  %7s  %6s  %6s  %6s  %7s  %6s  %6s  %6s   %6s  %6s  "
                 "%7s\n",
                 "size", "count", "type", "redop", "root", "time", "algbw", "busbw", "#wrong",
                 "time", "algbw", "busbw", "#wrong", "ci%", "ci%", "slowest");
    std::fprintf(out_,
                 "# %10s  %12s  %8s  %6s  %6s  %7s  %6s  %6s  %6s  %7s  %6s  %6s  %6s   %6s  %6s  "
                 "%7s\n",
                 "(B)", "(elements)", "", "", "", "(us)", "(GB/s)", "(GB/s)", "", "(us)", "(GB/s)",
                 "(GB/s)", "", "(out)", "(in)", "rank");
    std::fflush(out_);
  }

  void row(const RowRecords& row) override {
    const CaseRecord& id = row.outOfPlace ? *row.outOfPlace : *row.inPlace;
    std::fprintf(out_, "%12" PRIu64 "  %12" PRIu64 "  %8s  %6s  %6d", id.sizeBytes, id.count,
                 name(id.dtype), name(id.op), id.root);
    printPlace(row.outOfPlace);
    printPlace(row.inPlace);
    std::fprintf(out_, "   %6s  %6s  %7s\n", ciText(row.outOfPlace).c_str(),
                 ciText(row.inPlace).c_str(), slowestText(row).c_str());
    std::fflush(out_);
  }

  void endTable(const TableSummary& s) override {
    std::fprintf(out_, "# %-20s : %" PRIu64 " %s\n", "Out of bounds values", s.wrong,
                 s.wrong ? "FAILED" : "OK");
    std::fprintf(out_, "# %-20s : %g %s\n", "Avg bus bandwidth", s.averageBusBandwidth,
                 s.busBwFloor ? (s.belowFloor ? "FAILED" : "OK") : "");
    std::fprintf(out_, "# %-20s : %.2f GB/s at %s\n", "Bus bandwidth", s.largestBusBandwidth,
                 formatBytes(s.largestBytes).c_str());
    if (s.busBwFloor) {
      std::fprintf(out_, "# %-20s : %.2f GB/s at the largest size: %s\n", "Bus bandwidth floor",
                   *s.busBwFloor, s.belowFloor ? "FAILED" : "OK");
    }
    std::fflush(out_);
  }

  void endRun(const Trailer& t) override {
    std::fprintf(out_, "#\n# Result: %s  (%zu cases, %.1f s)%s%s\n",
                 t.exitCode == 0 ? "OK" : "FAILED", t.cases, t.wallSeconds,
                 t.message.empty() ? "" : "  ", t.message.c_str());
    std::fflush(out_);
  }

 private:
  void printPlace(const std::optional<CaseRecord>& r) {
    if (!r) {
      std::fprintf(out_, "  %7s  %6s  %6s  %6s", "N/A", "N/A", "N/A", "N/A");
      return;
    }
    const std::string time = fitNumber(r->timeUs.median, 7);
    const std::string alg = fitNumber(r->algBandwidthGBps, 6);
    const std::string bus = fitNumber(r->busBandwidthGBps, 6);
    if (r->checked) {
      std::fprintf(out_, "  %7s  %6s  %6s  %6g", time.c_str(), alg.c_str(), bus.c_str(),
                   static_cast<double>(r->wrong));
    } else {
      std::fprintf(out_, "  %7s  %6s  %6s    N/A", time.c_str(), alg.c_str(), bus.c_str());
    }
  }

  static std::string ciText(const std::optional<CaseRecord>& r) {
    if (!r || r->timeUs.median <= 0) return "N/A";
    return fitNumber(100.0 * stats::relativeHalfWidth(r->timeUs), 6);
  }

  static std::string slowestText(const RowRecords& row) {
    const CaseRecord& r = row.outOfPlace ? *row.outOfPlace : *row.inPlace;
    return std::to_string(r.slowestRank);
  }

  static std::string iterationsText(int iterations) {
    return iterations > 0 ? std::to_string(iterations) : "auto";
  }

  static std::string samplesText(const nlohmann::json& c) {
    const int batches = c["batches"].get<int>();
    if (batches > 0) return std::to_string(batches);
    char text[96];
    std::snprintf(text, sizeof text, "auto (to +-%g%% at 95%%, %gs per size)",
                  100 * c["precision"].get<double>(), c["size_budget_seconds"].get<double>());
    return text;
  }

  static const char* aggregationText(Aggregation a) {
    switch (a) {
      case Aggregation::kRank0: return "rank 0 (-a 0)";
      case Aggregation::kMean: return "the mean (-a 1)";
      case Aggregation::kMin: return "the fastest rank (-a 2)";
      default: return "the slowest rank (-a 3, completion time)";
    }
  }

  static std::string cpuSummary(const HostEntry& e) {
    std::string out;
    for (std::size_t i = 0; i < e.cpus.size() && i < 8; ++i) {
      out += (i ? " " : "") + std::string("[") + e.cpus[i] + "]";
    }
    if (e.cpus.size() > 8) out += " ...";
    return out;
  }

  std::FILE* out_;
  TableInfo table_{};
};

}  // namespace

std::unique_ptr<Reporter> createConsoleReporter(std::FILE* out) {
  return std::make_unique<ConsoleReporter>(out);
}

}  // namespace cclbench
