#include "backends/mpi/mpi_backend.hpp"

#include <mpi.h>
#if __has_include(<mpi-ext.h>)
#include <mpi-ext.h>
#endif

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "backends/mpi/mpi_types.hpp"
#include "core/error.hpp"
#include "core/host_memory.hpp"

namespace cclbench {
namespace {

void check(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(rc, text, &length);
  throw Error(ExitCode::kLibraryError, std::string(what) + " failed: " + std::string(text, length));
}

int asInt(std::size_t count) {
  if (count > static_cast<std::size_t>(INT32_MAX)) {
    throw Error(ExitCode::kNotAvailable,
                "count " + std::to_string(count) + " exceeds MPI's int count limit");
  }
  return static_cast<int>(count);
}

class MpiBackend final : public HostBackend {
 public:
  explicit MpiBackend(std::string fabric) : fabric_(std::move(fabric)) {
    check(MPI_Comm_dup(MPI_COMM_WORLD, &comm_), "MPI_Comm_dup");
    MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
    MPI_Comm local = MPI_COMM_NULL;  // the ranks that share this host's memory
    if (MPI_Comm_split_type(comm_, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local) ==
        MPI_SUCCESS) {
      MPI_Comm_size(local, &localRanks_);
      MPI_Comm_free(&local);
    }
  }
  ~MpiBackend() override { MPI_Comm_free(&comm_); }

  std::optional<uint64_t> memoryLimitBytes() const override {
    return hostBufferLimitBytes(localRanks_);
  }

  std::string name() const override { return "mpi"; }

  std::map<std::string, std::string> libraryVersions() const override {
    char text[MPI_MAX_LIBRARY_VERSION_STRING];
    int length = 0;
    MPI_Get_library_version(text, &length);
    // Open MPI counts the terminating NUL in `length`: stop at the first one.
    std::string library(text, strnlen(text, static_cast<std::size_t>(length)));
    if (const auto eol = library.find_first_of("\r\n"); eol != std::string::npos) {
      library.resize(eol);
    }
    int version = 0, subversion = 0;
    MPI_Get_version(&version, &subversion);
    return {{"mpi_library", library},
            {"mpi_standard", std::to_string(version) + "." + std::to_string(subversion)}};
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }

  std::string unsupportedReason(Collective, DType, RedOp op) const override {
    if (op == RedOp::kPreMulSum) return "MPI has no pre-multiplied sum (mulsum is NCCL-only)";
    return {};
  }

  InPlaceLayout inPlaceLayout(Collective c, const CaseShape& shape) const override {
    // MPI_Reduce_scatter_block with MPI_IN_PLACE leaves this rank's block at the start.
    if (c == Collective::kReduceScatter) return {0, 0};
    return Backend::inPlaceLayout(c, shape);
  }

  void collective(const CollectiveCall& c) override {
    const MPI_Datatype type = types_.datatype(c.type);
    const int count = asInt(c.count);
    const bool inPlace = c.send == c.recv;
    switch (c.collective) {
      case Collective::kAllReduce:
        check(MPI_Allreduce(inPlace ? MPI_IN_PLACE : c.send, c.recv, count, type,
                            types_.reduction(c.type, c.op), comm_),
              "MPI_Allreduce");
        if (c.op == RedOp::kAvg) mpi::divideElements(c.recv, c.count, c.type, size_);
        return;
      case Collective::kAllGather: {
        const std::size_t bytes = c.count * sizeOf(c.type);
        const bool ownChunk = static_cast<const char*>(c.recv) + bytes * rank_ == c.send;
        check(MPI_Allgather(ownChunk ? MPI_IN_PLACE : c.send, count, type, c.recv, count, type,
                            comm_),
              "MPI_Allgather");
        return;
      }
      case Collective::kReduceScatter:
        check(MPI_Reduce_scatter_block(inPlace ? MPI_IN_PLACE : c.send, c.recv, count, type,
                                       types_.reduction(c.type, c.op), comm_),
              "MPI_Reduce_scatter_block");
        if (c.op == RedOp::kAvg) mpi::divideElements(c.recv, c.count, c.type, size_);
        return;
      case Collective::kBroadcast:
        // MPI broadcasts in one buffer: out-of-place copies the root's input into it first.
        if (rank_ == c.root && !inPlace) std::memcpy(c.recv, c.send, c.count * sizeOf(c.type));
        check(MPI_Bcast(c.recv, count, type, c.root, comm_), "MPI_Bcast");
        return;
      case Collective::kReduce:
        check(MPI_Reduce(inPlace && rank_ == c.root ? MPI_IN_PLACE : c.send, c.recv, count, type,
                         types_.reduction(c.type, c.op), c.root, comm_),
              "MPI_Reduce");
        if (c.op == RedOp::kAvg && rank_ == c.root) {
          mpi::divideElements(c.recv, c.count, c.type, size_);
        }
        return;
      case Collective::kAllToAll:
        check(MPI_Alltoall(inPlace ? MPI_IN_PLACE : c.send, count, type, c.recv, count, type,
                           comm_),
              "MPI_Alltoall");
        return;
      case Collective::kGather: {
        const bool ownChunk =
            static_cast<const char*>(c.recv) + c.count * sizeOf(c.type) * rank_ == c.send;
        check(MPI_Gather(ownChunk && rank_ == c.root ? MPI_IN_PLACE : c.send, count, type, c.recv,
                         count, type, c.root, comm_),
              "MPI_Gather");
        return;
      }
      default:
        throw Error(ExitCode::kNotAvailable,
                    std::string("the MPI backend has no call for ") + cclbench::name(c.collective));
    }
  }

  void exchange(std::span<const PeerOp> ops, DType type) override {
    requests_.resize(ops.size());
    const MPI_Datatype datatype = types_.datatype(type);
    for (std::size_t i = 0; i < ops.size(); ++i) {
      const PeerOp& op = ops[i];
      if (op.kind == PeerOp::Kind::kSend) {
        check(MPI_Isend(op.buffer, asInt(op.count), datatype, op.peer, 0, comm_, &requests_[i]),
              "MPI_Isend");
      } else {
        check(MPI_Irecv(op.buffer, asInt(op.count), datatype, op.peer, 0, comm_, &requests_[i]),
              "MPI_Irecv");
      }
    }
    check(MPI_Waitall(static_cast<int>(requests_.size()), requests_.data(), MPI_STATUSES_IGNORE),
          "MPI_Waitall");
  }

  /// Open MPI cannot say which BTL or PML carried a message to a peer: with a fabric, only its
  /// components were selectable (the MCA environment), so a probe message to each peer that
  /// arrives shows they reach it; without one there is nothing to report.
  nlohmann::json connectAndReport(std::span<const int> peers) override {
    if (fabric_.empty()) return nullptr;
    std::vector<PeerOp> ops;
    std::vector<int32_t> in(peers.size()), out(peers.size(), rank_);
    for (std::size_t i = 0; i < peers.size(); ++i) {
      ops.push_back({PeerOp::Kind::kRecv, &in[i], 1, peers[i]});
      ops.push_back({PeerOp::Kind::kSend, &out[i], 1, peers[i]});
    }
    exchange(ops, DType::kInt32);
    nlohmann::json mca = nlohmann::json::object();
    for (const char* name : {"OMPI_MCA_pml", "OMPI_MCA_btl", "UCX_TLS"}) {
      if (const char* value = std::getenv(name)) mca[name] = value;
    }
    return {{"backend", "mpi"},
            {"fabric", fabric_},
            {"forced", mca},
            {"reported_by", "exclusive selection: Open MPI reports no per-peer transport, so only "
                            "the components above were selectable and a probe reached every "
                            "peer tested"},
            {"peers_probed", peers.size()}};
  }

  void barrier() override { check(MPI_Barrier(comm_), "MPI_Barrier"); }
  void synchronize() override {}

  double timeIterations(const std::function<void()>& issueOnce, int iterations) override {
    const double start = MPI_Wtime();
    for (int i = 0; i < iterations; ++i) issueOnce();
    return MPI_Wtime() - start;
  }

  void timeEachIteration(const std::function<void()>& issueOnce,
                         std::span<double> seconds) override {
    for (double& s : seconds) {
      const double start = MPI_Wtime();
      issueOnce();
      s = MPI_Wtime() - start;
    }
  }

 private:
  std::string fabric_;
  MPI_Comm comm_ = MPI_COMM_NULL;
  int localRanks_ = 1;
  int rank_ = 0;
  int size_ = 1;
  mpi::TypeTable types_;
  std::vector<MPI_Request> requests_;
};

}  // namespace

std::unique_ptr<Backend> createMpiBackend(const std::string& fabric) {
  return std::make_unique<MpiBackend>(fabric);
}

bool mpiIsCudaAware() {
#if defined(OMPI_HAVE_MPI_EXT_CUDA) && OMPI_HAVE_MPI_EXT_CUDA
  return MPIX_Query_cuda_support() == 1;
#else
  return false;
#endif
}

}  // namespace cclbench
