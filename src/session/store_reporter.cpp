#include "session/store_reporter.hpp"

#include <cstdio>

namespace cclbench {
namespace {

class StoreReporter final : public Reporter {
 public:
  StoreReporter(const std::string& path, RunMeta meta)
      : store_(std::make_unique<ResultStore>(path)), meta_(std::move(meta)) {
    if (!store_->warning().empty()) {
      std::fprintf(stderr, "cclbench: warning: %s\n", store_->warning().c_str());
    }
  }

  void beginRun(const RunHeader& header) override {
    run_ = store_->beginRun(header, meta_, "cclbench", "", RunStatus::kRunning, header.fingerprint);
  }
  void beginTable(const TableInfo&) override {}
  void row(const RowRecords& row) override {
    std::vector<CaseRecord> cases;
    if (row.outOfPlace) cases.push_back(*row.outOfPlace);
    if (row.inPlace) cases.push_back(*row.inPlace);
    store_->addCases(run_, cases);
  }
  void endTable(const TableSummary&) override {}
  void endRun(const Trailer& trailer) override {
    const RunStatus status = trailer.status == "interrupted"  ? RunStatus::kInterrupted
                             : trailer.status == "incomplete" ? RunStatus::kIncomplete
                                                              : RunStatus::kComplete;
    store_->finishRun(run_, trailer, status);
  }

 private:
  std::unique_ptr<ResultStore> store_;
  RunMeta meta_;
  int64_t run_ = 0;
};

}  // namespace

std::unique_ptr<Reporter> createStoreReporter(const std::string& path, RunMeta meta) {
  return std::make_unique<StoreReporter>(path, std::move(meta));
}

}  // namespace cclbench
