#include "backends/mpi/mpi_backend.hpp"

#include <mpi.h>
#if __has_include(<mpi-ext.h>)
#include <mpi-ext.h>
#endif

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backends/coll_tuned.hpp"
#include "backends/in_flight.hpp"
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

/// Open MPI's coll/tuned control variables through the MPI tool interface. Open MPI 4.1 marks
/// coll_tuned_<collective>_algorithm and _segmentsize settable at run time, and a communicator's
/// coll/tuned module reads them when the communicator is created; coll_tuned_use_dynamic_rules is
/// not settable and must be on from MPI_Init (the session sets it for --candidates runs).
class CollTunedControl {
 public:
  CollTunedControl() {
    int provided = 0;
    check(MPI_T_init_thread(MPI_THREAD_SINGLE, &provided), "MPI_T_init_thread");
    try {
      if (!dynamicRulesOn()) {
        throw Error(ExitCode::kNotAvailable,
                    "coll_tuned_use_dynamic_rules is off, so Open MPI ignores forced algorithms: "
                    "start the ranks with OMPI_MCA_coll_tuned_use_dynamic_rules=1 (cclbench sets "
                    "it for --candidates unless the environment says otherwise)");
      }
    } catch (...) {
      MPI_T_finalize();  // no destructor runs for a constructor that throws
      throw;
    }
  }
  ~CollTunedControl() {
    for (auto& [name, h] : handles_) MPI_T_cvar_handle_free(&h);
    MPI_T_finalize();
  }
  CollTunedControl(const CollTunedControl&) = delete;
  CollTunedControl& operator=(const CollTunedControl&) = delete;

  /// Writes `value` into coll_tuned_<variable> and reads it back; throws Error(kInvalidUsage)
  /// when Open MPI refuses it (an algorithm this Open MPI does not have).
  void write(const std::string& variable, int value) {
    const std::string full = "coll_tuned_" + variable;
    auto it = handles_.find(full);
    if (it == handles_.end()) it = handles_.emplace(full, handle(full, true)).first;
    const int rc = MPI_T_cvar_write(it->second, &value);
    int back = -1;
    check(MPI_T_cvar_read(it->second, &back), ("MPI_T_cvar_read of " + full).c_str());
    if (rc != MPI_SUCCESS || back != value) {
      throw usageError("Open MPI refused " + full + " = " + std::to_string(value) +
                       " (MPI_T error " + std::to_string(rc) + "; it keeps " + std::to_string(back) + ")");
    }
  }

 private:
  /// coll_tuned_use_dynamic_rules, a boolean (MPI_C_BOOL in Open MPI 4.1): read into zeroed,
  /// aligned room for any scalar.
  static bool dynamicRulesOn() {
    MPI_T_cvar_handle h = handle("coll_tuned_use_dynamic_rules", false);
    alignas(16) unsigned char on[16] = {};
    const int rc = MPI_T_cvar_read(h, on);
    MPI_T_cvar_handle_free(&h);
    check(rc, "MPI_T_cvar_read of coll_tuned_use_dynamic_rules");
    return std::any_of(std::begin(on), std::end(on), [](unsigned char b) { return b != 0; });
  }

  /// A handle on `name`, a single value not bound to an object (an int when `integer`).
  static MPI_T_cvar_handle handle(const std::string& name, bool integer) {
    int index = -1;
    if (MPI_T_cvar_get_index(name.c_str(), &index) != MPI_SUCCESS) {
      throw Error(ExitCode::kNotAvailable,
                  "this MPI has no control variable " + name +
                      ": candidates are forced per communicator through Open MPI's coll/tuned only");
    }
    char text[256];
    int nameLength = sizeof text, verbosity = 0, bind = 0, scope = 0;
    int descLength = 0;
    MPI_Datatype type = MPI_DATATYPE_NULL;
    MPI_T_enum enumType = MPI_T_ENUM_NULL;
    check(MPI_T_cvar_get_info(index, text, &nameLength, &verbosity, &type, &enumType, nullptr,
                              &descLength, &bind, &scope),
          "MPI_T_cvar_get_info");
    if ((integer && type != MPI_INT) || bind != MPI_T_BIND_NO_OBJECT) {
      throw Error(ExitCode::kNotAvailable,
                  name + " is not a plain " + (integer ? "integer " : "") + "variable in this MPI");
    }
    MPI_T_cvar_handle h = MPI_T_CVAR_HANDLE_NULL;
    int count = 0;
    check(MPI_T_cvar_handle_alloc(index, nullptr, &h, &count), "MPI_T_cvar_handle_alloc");
    if (count != 1) {
      MPI_T_cvar_handle_free(&h);
      throw Error(ExitCode::kNotAvailable, name + " is not a single value in this MPI");
    }
    return h;
  }
  std::map<std::string, MPI_T_cvar_handle> handles_;
};

class MpiBackend final : public HostBackend {
 public:
  /// `localRanks`: the ranks sharing this host's memory, as the bootstrap found them. Not asked
  /// of MPI again: on Open MPI 4.1.4 a second MPI_Comm_split_type(MPI_COMM_TYPE_SHARED) in the
  /// process made every later 8-byte all-reduce about 0.1 us slower (0.60 -> 0.73 us, 2 ranks,
  /// shared memory; bench/README.md), which is what kept cclbench above OSU at 8 B.
  MpiBackend(std::string fabric, int localRanks)
      : fabric_(std::move(fabric)), comm_(duplicateWorld()), localRanks_(std::max(localRanks, 1)) {
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
  }
  ~MpiBackend() override { MPI_Comm_free(&comm_); }

  /// Tuning Open MPI (--candidates): the candidate's algorithm and segment size for `c` go into
  /// coll/tuned's variables, and the collectives move to a fresh duplicate of MPI_COMM_WORLD made
  /// after them (every rank reaches this at the same point of the plan: MPI_Comm_dup is
  /// collective). Empty knobs give Open MPI its own choice back (algorithm 0).
  void forceCandidate(Collective c, const std::map<std::string, std::string>& knobs) override {
    const CollTunedSetting setting = collTunedSetting(knobs);
    const std::optional<CollTunedNames> names = collTunedNames(c);
    if (!names) {
      if (knobs.empty()) return;
      throw usageError(std::string("Open MPI's coll/tuned has no algorithms to force for ") + cclbench::name(c));
    }
    if (!collTuned_) collTuned_ = std::make_unique<CollTunedControl>();
    collTuned_->write(std::string(names->mcaName) + "_algorithm", setting.algorithm);
    collTuned_->write(std::string(names->mcaName) + "_algorithm_segmentsize", setting.segmentBytes);
    MPI_Comm fresh = duplicateWorld();
    MPI_Comm_free(&comm_);
    comm_ = fresh;
  }

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

  std::string streamUnsupportedReason() const override { return {}; }

  /// bw --stream: a message is posted as soon as fewer than `depth` are in flight, the oldest
  /// waited for first (messages between one pair complete in order).
  void stream(std::span<const PeerOp> ops, DType type, int depth) override {
    inFlight_.resize(static_cast<std::size_t>(depth), MPI_REQUEST_NULL);
    const MPI_Datatype datatype = types_.datatype(type);
    for (const PeerOp& op : ops) {
      if (inFlight_.full()) retireOldest();
      MPI_Request& request = inFlight_.next();
      if (op.kind == PeerOp::Kind::kSend) {
        check(MPI_Isend(op.buffer, asInt(op.count), datatype, op.peer, 0, comm_, &request), "MPI_Isend");
      } else {
        check(MPI_Irecv(op.buffer, asInt(op.count), datatype, op.peer, 0, comm_, &request), "MPI_Irecv");
      }
      inFlight_.push();
    }
  }

  void finishStream() override {
    while (inFlight_.size() > 0) retireOldest();
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
  void lineUp(Bootstrap&) override { barrier(); }
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
  /// --stream: waits for the oldest message in flight.
  void retireOldest() {
    check(MPI_Wait(&inFlight_.oldest(), MPI_STATUS_IGNORE), "MPI_Wait");
    inFlight_.pop();
  }

  /// This backend's own communicator: errors return to cclbench instead of aborting the job.
  static MPI_Comm duplicateWorld() {
    MPI_Comm comm = MPI_COMM_NULL;
    check(MPI_Comm_dup(MPI_COMM_WORLD, &comm), "MPI_Comm_dup");
    MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
    return comm;
  }

  std::string fabric_;
  MPI_Comm comm_ = MPI_COMM_NULL;
  int localRanks_ = 1;
  int rank_ = 0;
  int size_ = 1;
  mpi::TypeTable types_;
  std::vector<MPI_Request> requests_;
  InFlight<MPI_Request> inFlight_;  ///< --stream
  std::unique_ptr<CollTunedControl> collTuned_;  ///< made by the first forced candidate
};

}  // namespace

std::unique_ptr<Backend> createMpiBackend(const std::string& fabric, int localRanks) {
  return std::make_unique<MpiBackend>(fabric, localRanks);
}

bool mpiIsCudaAware() {
#if defined(OMPI_HAVE_MPI_EXT_CUDA) && OMPI_HAVE_MPI_EXT_CUDA
  return MPIX_Query_cuda_support() == 1;
#else
  return false;
#endif
}

}  // namespace cclbench
