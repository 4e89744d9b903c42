#include "launch/mpi_bootstrap.hpp"

#include <mpi.h>

#include <cstdlib>
#include <string>

#include "core/error.hpp"
#include "launch/launch_env.hpp"

namespace cclbench {
namespace {

MPI_Op mpiOp(Bootstrap::Op op) {
  switch (op) {
    case Bootstrap::Op::kSum: return MPI_SUM;
    case Bootstrap::Op::kMin: return MPI_MIN;
    default: return MPI_MAX;
  }
}

void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) {
    throw Error(ExitCode::kLibraryError, std::string(what) + " failed (MPI error " +
                                             std::to_string(rc) + ")");
  }
}

class MpiBootstrap final : public Bootstrap {
 public:
  MpiBootstrap() {
    check(MPI_Comm_dup(MPI_COMM_WORLD, &comm_), "MPI_Comm_dup");
    MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
    MPI_Comm_rank(comm_, &place_.rank);
    MPI_Comm_size(comm_, &place_.size);
    MPI_Comm local;
    MPI_Comm_split_type(comm_, MPI_COMM_TYPE_SHARED, place_.rank, MPI_INFO_NULL, &local);
    MPI_Comm_rank(local, &place_.localRank);
    MPI_Comm_size(local, &place_.localSize);
    MPI_Comm_free(&local);
    place_.host = hostName();
  }
  ~MpiBootstrap() override { MPI_Comm_free(&comm_); }

  const ProcessPlace& place() const override { return place_; }

  void allReduce(double* values, int count, Op op) override {
    check(MPI_Allreduce(MPI_IN_PLACE, values, count, MPI_DOUBLE, mpiOp(op), comm_),
          "MPI_Allreduce (agreement)");
  }
  void allReduce(uint64_t* values, int count, Op op) override {
    check(MPI_Allreduce(MPI_IN_PLACE, values, count, MPI_UINT64_T, mpiOp(op), comm_),
          "MPI_Allreduce (agreement)");
  }
  std::pair<double, int> maxLocation(double value) override {
    struct {
      double value;
      int rank;
    } in{value, place_.rank}, out{};
    check(MPI_Allreduce(&in, &out, 1, MPI_DOUBLE_INT, MPI_MAXLOC, comm_), "MPI_Allreduce (maxloc)");
    return {out.value, out.rank};
  }
  void broadcast(void* data, std::size_t bytes, int root) override {
    check(MPI_Bcast(data, static_cast<int>(bytes), MPI_BYTE, root, comm_), "MPI_Bcast (agreement)");
  }
  void gatherToRoot(const void* mine, std::size_t bytes, std::vector<char>& out) override {
    if (place_.rank == 0) out.resize(bytes * static_cast<std::size_t>(place_.size));
    check(MPI_Gather(mine, static_cast<int>(bytes), MPI_BYTE, out.data(), static_cast<int>(bytes),
                     MPI_BYTE, 0, comm_),
          "MPI_Gather (agreement)");
  }
  void barrier() override { check(MPI_Barrier(comm_), "MPI_Barrier (agreement)"); }
  [[noreturn]] void abort(int exitCode) override {
    MPI_Abort(MPI_COMM_WORLD, exitCode);
    std::_Exit(exitCode);
  }

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
  ProcessPlace place_;
};

}  // namespace

MpiRuntime::MpiRuntime(int* argc, char*** argv, MpiThreadLevel requested)
    : requested_(requested) {
  // Open MPI takes a lock in every call under MPI_THREAD_MULTIPLE (8-25% of a small all-reduce
  // here): measure at the level applications use unless asked otherwise.
  static constexpr int kLevels[] = {MPI_THREAD_SINGLE, MPI_THREAD_FUNNELED,
                                    MPI_THREAD_SERIALIZED, MPI_THREAD_MULTIPLE};
  int provided = MPI_THREAD_SINGLE;
  MPI_Init_thread(argc, argv, kLevels[static_cast<int>(requested)], &provided);
  for (int i = 0; i < 4; ++i) {
    if (kLevels[i] == provided) provided_ = static_cast<MpiThreadLevel>(i);
  }
}

MpiRuntime::~MpiRuntime() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

std::unique_ptr<Bootstrap> createMpiBootstrap() { return std::make_unique<MpiBootstrap>(); }

}  // namespace cclbench
