#include "session/store_reporter.hpp"

#include <cstdio>

namespace cclbench {
namespace {

class StoreReporter final : public Reporter {
 public:
  StoreReporter(const std::string& path, RunMeta meta, std::string recordsFile)
      : store_(std::make_unique<ResultStore>(path)),
        path_(path),
        meta_(std::move(meta)),
        recordsFile_(std::move(recordsFile)) {
    if (!store_->warning().empty()) {
      std::fprintf(stderr, "cclbench: warning: %s\n", store_->warning().c_str());
    }
  }

  void beginRun(const RunHeader& header) override {
    guarded([&] {
      run_ = store_->beginRun(header, meta_, "cclbench", "", RunStatus::kRunning,
                              header.fingerprint);
    });
  }
  void beginTable(const TableInfo&) override {}
  void row(const RowRecords& row) override {
    std::vector<CaseRecord> cases;
    if (row.outOfPlace) cases.push_back(*row.outOfPlace);
    if (row.inPlace) cases.push_back(*row.inPlace);
    guarded([&] { store_->addCases(run_, cases); });
  }
  void endTable(const TableSummary&) override {}
  void endRun(const Trailer& trailer) override {
    const RunStatus status = trailer.status == "interrupted"  ? RunStatus::kInterrupted
                             : trailer.status == "incomplete" ? RunStatus::kIncomplete
                                                              : RunStatus::kComplete;
    guarded([&] { store_->finishRun(run_, trailer, status); });
  }

 private:
  /// A database that stops taking writes (a full disk, a lost mount) does not stop the
  /// measurement: one line says what failed and where the records still go; later writes are
  /// not tried (the run stays "running" there, which `runs` shows as incomplete).
  template <typename Write>
  void guarded(Write&& write) {
    if (failed_) return;
    try {
      write();
    } catch (const std::exception& e) {
      failed_ = true;
      const std::string next =
          recordsFile_.empty()
              ? "; measuring goes on, but without --jsonl this run is kept nowhere"
              : "; measuring goes on into " + recordsFile_ +
                    ": store it later with `cclbench import " + recordsFile_ + "`";
      std::fprintf(stderr, "cclbench: warning: results database %s stopped taking this run: %s%s\n",
                   path_.c_str(), e.what(), next.c_str());
      std::fflush(stderr);
    }
  }

  std::unique_ptr<ResultStore> store_;
  std::string path_;
  RunMeta meta_;
  std::string recordsFile_;
  int64_t run_ = 0;
  bool failed_ = false;
};

}  // namespace

std::unique_ptr<Reporter> createStoreReporter(const std::string& path, RunMeta meta,
                                              const std::string& recordsFile) {
  return std::make_unique<StoreReporter>(path, std::move(meta), recordsFile);
}

}  // namespace cclbench
