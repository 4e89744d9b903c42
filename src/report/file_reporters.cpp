#include "report/file_reporters.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "core/json_text.hpp"

namespace cclbench {
namespace {

void createParent(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec) throw usageError("cannot create folder " + parent.string() + ": " + ec.message());
}

class JsonlReporter final : public Reporter {
 public:
  explicit JsonlReporter(const std::string& path) : path_(path) {
    createParent(path);
    file_ = std::fopen(path.c_str(), "w");
    if (!file_) throw usageError("cannot write " + path + ": " + std::strerror(errno));
  }
  ~JsonlReporter() override {
    if (file_) std::fclose(file_);
  }

  void beginRun(const RunHeader& h) override {
    runId_ = h.runId;
    write(toJson(h));
  }
  void beginTable(const TableInfo&) override {}
  void row(const RowRecords& row) override {
    if (row.outOfPlace) write(toJson(*row.outOfPlace, runId_));
    if (row.inPlace) write(toJson(*row.inPlace, runId_));
  }
  void endTable(const TableSummary&) override {}
  void endRun(const Trailer& t) override {
    write(toJson(t));
    std::fclose(file_);
    file_ = nullptr;
  }

 private:
  void write(const nlohmann::json& j) {
    const std::string line = jsonText(j) + "\n";
    if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0) {
      throw Error(ExitCode::kInternal, "cannot write " + path_ + ": " + std::strerror(errno));
    }
  }

  std::string path_;
  std::FILE* file_ = nullptr;
  std::string runId_;
};

class CsvReporter final : public Reporter {
 public:
  explicit CsvReporter(const std::string& path) : path_(path) {
    createParent(path);
    // Fail early, before any measurement, if the folder is not writable.
    std::ofstream probe(path_ + ".partial");
    if (!probe) throw usageError("cannot write " + path_ + ": " + std::strerror(errno));
  }
  ~CsvReporter() override { std::remove((path_ + ".partial").c_str()); }

  void beginRun(const RunHeader& h) override { runId_ = h.runId; }
  void beginTable(const TableInfo&) override {}
  void row(const RowRecords& row) override {
    if (row.outOfPlace) lines_ << csvLine(*row.outOfPlace, runId_) << "\n";
    if (row.inPlace) lines_ << csvLine(*row.inPlace, runId_) << "\n";
  }
  void endTable(const TableSummary&) override {}
  void endRun(const Trailer&) override {
    const std::string partial = path_ + ".partial";
    {
      std::ofstream out(partial, std::ios::trunc);
      out << csvHeader() << "\n" << lines_.str();
      if (!out.flush()) throw Error(ExitCode::kInternal, "cannot write " + partial);
    }
    std::filesystem::rename(partial, path_);
  }

 private:
  std::string path_;
  std::string runId_;
  std::ostringstream lines_;
};

}  // namespace

std::string csvHeader() {
  return "run_id,collective,dtype,redop,root,placement,size_bytes,count,ranks,aggregation,"
         "iterations_per_batch,batches,median_us,min_us,max_us,ci_low_us,ci_high_us,cv,"
         "algbw_gbps,busbw_gbps,checked,wrong,slowest_rank,stop_reason,p50_us,p99_us";
}

std::string csvLine(const CaseRecord& r, const std::string& runId) {
  char numbers[512];
  std::snprintf(numbers, sizeof numbers, "%zu,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g",
                r.samplesUs.size(), r.timeUs.median, r.timeUs.min, r.timeUs.max,
                r.timeUs.medianCi.low, r.timeUs.medianCi.high, r.timeUs.cv, r.algBandwidthGBps,
                r.busBandwidthGBps);
  std::ostringstream line;
  line << runId << "," << name(r.collective) << "," << name(r.dtype) << "," << name(r.op) << ","
       << r.root << "," << name(r.placement) << "," << r.sizeBytes << "," << r.count << ","
       << r.ranks << "," << name(r.aggregation) << "," << r.iterationsPerBatch << "," << numbers
       << "," << (r.checked ? "true" : "false") << "," << r.wrong << "," << r.slowestRank << ","
       << r.stopReason << ",";
  if (r.perIteration) line << r.perIteration->p50Us << "," << r.perIteration->p99Us;
  else line << ",";
  return line.str();
}

std::unique_ptr<Reporter> createJsonlReporter(const std::string& path) {
  return std::make_unique<JsonlReporter>(path);
}

std::unique_ptr<Reporter> createCsvReporter(const std::string& path) {
  return std::make_unique<CsvReporter>(path);
}

}  // namespace cclbench
