#include "backends/nccl/nccl_backend.hpp"

#include <cuda_runtime.h>
#include <nccl.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "backends/nccl/cuda_check.hpp"
#include "backends/nccl/cuda_handles.hpp"
#include "backends/nccl/device_patterns.hpp"
#include "backends/nccl/graph_loop.hpp"
#include "backends/tuner_forcing.hpp"
#include "core/element_codec.hpp"
#include "core/error.hpp"

namespace cclbench {
namespace {

using cuda::check;
using cuda::checkNccl;

std::optional<ncclDataType_t> ncclType(DType type) {
  switch (type) {
    case DType::kInt8: return ncclInt8;
    case DType::kUint8: return ncclUint8;
    case DType::kInt32: return ncclInt32;
    case DType::kUint32: return ncclUint32;
    case DType::kInt64: return ncclInt64;
    case DType::kUint64: return ncclUint64;
    case DType::kHalf: return ncclFloat16;
    case DType::kFloat: return ncclFloat32;
    case DType::kDouble: return ncclFloat64;
    case DType::kBfloat16: return ncclBfloat16;
#if NCCL_VERSION_CODE >= NCCL_VERSION(2, 24, 0)
    case DType::kFp8E4M3: return ncclFloat8e4m3;
    case DType::kFp8E5M2: return ncclFloat8e5m2;
#endif
    default: return std::nullopt;
  }
}

/// Waits for a non-blocking communicator's pending operation (seen on an H200 with NCCL 2.28.9:
/// a window deregistration still in progress made the next registration fail). For release
/// paths that must not throw.
void waitQuietly(ncclComm_t comm) {
  ncclResult_t state = ncclInProgress;
  while (state == ncclInProgress && ncclCommGetAsyncError(comm, &state) == ncclSuccess) {
    std::this_thread::yield();
  }
}

std::string versionText(int code) {
  // NCCL >= 2.9 encodes MAJOR*10000 + MINOR*100 + PATCH.
  return std::to_string(code / 10000) + "." + std::to_string(code / 100 % 100) + "." +
         std::to_string(code % 100);
}

class NcclBackend final : public Backend {
 public:
  NcclBackend(Bootstrap& bootstrap, const BackendOptions& options)
      : registration_(options.registration) {
#if NCCL_VERSION_CODE < NCCL_VERSION(2, 27, 0)
    if (registration_ == 2) {
      throw Error(ExitCode::kNotAvailable, "-R 2 (symmetric windows) needs NCCL 2.27 or newer");
    }
#endif
    const ProcessPlace& place = bootstrap.place();
    const int devices = visibleCudaDevices();
    if (devices == 0) {
      int count = 0;
      const cudaError_t rc = cudaGetDeviceCount(&count);
      throw Error(ExitCode::kNotAvailable,
                  std::string("--backend nccl needs a CUDA device, and none is visible here (") +
                      (rc == cudaSuccess ? "0 devices" : cudaGetErrorString(rc)) + ")");
    }
    device_ = options.device >= 0 ? options.device : place.localRank % devices;
    if (place.localSize > devices && options.device < 0) {
      throw Error(ExitCode::kNotAvailable,
                  std::to_string(place.localSize) + " ranks on host " + place.host + " but only " +
                      std::to_string(devices) + " CUDA device(s): NCCL needs one GPU per rank");
    }
    check(cudaSetDevice(device_), "cudaSetDevice");
    // Every handle is owned by a member: whatever throws below releases what came before.
    stream_ = cuda::nonBlockingStream();
    start_ = cuda::event();
    stop_ = cuda::event();
    if (options.cudaGraph) graph_ = std::make_unique<cuda::GraphLoop>(stream_);
    wrongCounter_ = cuda::deviceMemory(sizeof(unsigned long long));
    wrongHost_ = cuda::pinnedMemory(sizeof(unsigned long long));
    cudaDeviceProp props{};
    check(cudaGetDeviceProperties(&props, device_), "cudaGetDeviceProperties");
    deviceName_ = props.name;
    computeCapability_ = props.major * 10 + props.minor;

    ncclUniqueId id{};
    if (place.rank == 0) checkNccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
    bootstrap.broadcast(&id, sizeof id, 0);
    ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
    config.blocking = 0;  // so a hung init can be watched and aborted
    checkNccl(ncclCommInitRankConfig(comm_.out(), place.size, id, place.rank, &config),
              "ncclCommInitRankConfig");
    waitForComm("ncclCommInitRankConfig");
    comm_.ready();
    rank_ = place.rank;
    size_ = place.size;
    if (!options.ncclForce.empty()) forcing().force(parseForcedCandidate(options.ncclForce));
  }

  /// The members release themselves, the communicator (finalized) before the memory, events
  /// and stream it used (declaration order); the graph and the reduction ops go first.
  ~NcclBackend() override {
    graph_.reset();
    if (comm_) {
      for (auto& [key, op] : preMulOps_) ncclRedOpDestroy(op, comm_);
    }
  }

  std::string name() const override { return "nccl"; }

  void forceCandidate(Collective, const std::map<std::string, std::string>& knobs) override {
    if (knobs.empty()) {
      if (forcing_) forcing_->force(std::nullopt);
      return;
    }
    const auto a = knobs.find("algorithm"), p = knobs.find("protocol"), ch = knobs.find("channels");
    if (a == knobs.end() || p == knobs.end()) {
      throw usageError("an NCCL candidate needs the knobs algorithm and protocol");
    }
    forcing().force(parseForcedCandidate(a->second + "/" + p->second +
                                         (ch == knobs.end() ? "" : "/" + ch->second)));
  }

  std::optional<std::pair<uint64_t, uint64_t>> forcingCounts() const override {
    if (!forcing_) return std::nullopt;
    const cclbench_tuner_counts c = forcing_->counts();
    return std::pair<uint64_t, uint64_t>{c.forced, c.unavailable};
  }

  std::map<std::string, std::string> libraryVersions() const override {
    int nccl = 0, runtime = 0, driver = 0;
    ncclGetVersion(&nccl);
    cudaRuntimeGetVersion(&runtime);
    cudaDriverGetVersion(&driver);
    return {{"nccl", "NCCL " + versionText(nccl)},
            {"nccl_headers", "NCCL headers " + versionText(NCCL_VERSION_CODE)},
            {"cuda_runtime", "CUDA runtime " + std::to_string(runtime / 1000) + "." +
                                 std::to_string(runtime % 1000 / 10)},
            {"cuda_driver", "CUDA driver " + std::to_string(driver / 1000) + "." +
                                std::to_string(driver % 1000 / 10)},
            {"device", deviceName_ + " (sm_" + std::to_string(computeCapability_) + ")"}};
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  MemoryKind memoryKind() const override { return MemoryKind::kDevice; }

  std::string unsupportedReason(Collective, DType type, RedOp op) const override {
    if (!ncclType(type)) {
      return "this NCCL (headers " + versionText(NCCL_VERSION_CODE) + ") has no such type";
    }
    if ((type == DType::kFp8E4M3 || type == DType::kFp8E5M2) && computeCapability_ < 90) {
      return "fp8 needs compute capability 9.0 or newer (this device: " +
             std::to_string(computeCapability_) + ")";
    }
    if ((type == DType::kFp8E4M3 || type == DType::kFp8E5M2) &&
        (op == RedOp::kAvg || op == RedOp::kPreMulSum)) {
      // Seen on an H200 with NCCL 2.28.9: ncclAllReduce returns ncclInvalidArgument.
      return "NCCL rejects avg and mulsum on fp8 types";
    }
    return {};
  }

  std::optional<uint64_t> memoryLimitBytes() const override {
    std::size_t freeBytes = 0, totalBytes = 0;
    if (cudaMemGetInfo(&freeBytes, &totalBytes) != cudaSuccess) return std::nullopt;
    // Leave room for NCCL's own growth (new channels, registrations) and the CUDA context.
    constexpr std::size_t kReserve = 512ull << 20;
    const std::size_t usable = freeBytes / 100 * 95;
    return usable > kReserve ? usable - kReserve : 0;
  }

  Buffer allocate(std::size_t bytes) override {
    const std::size_t size = std::max<std::size_t>(bytes, 256);
    void* data = nullptr;
    if (registration_ == 0) {
      check(cudaMalloc(&data, size), "cudaMalloc");
      check(cudaMemset(data, 0, size), "cudaMemset");
      return Buffer(data, bytes, [](void* p) { cudaFree(p); });
    }
    waitForComm("a previous NCCL operation");  // registration needs an idle communicator
    checkNccl(ncclMemAlloc(&data, size), "ncclMemAlloc", comm_);
    check(cudaMemset(data, 0, size), "cudaMemset");
    ncclComm_t comm = comm_;
#if NCCL_VERSION_CODE >= NCCL_VERSION(2, 27, 0)
    if (registration_ == 2) {  // collective: every rank allocates the same sequence of buffers
      ncclWindow_t window{};
      call(ncclCommWindowRegister(comm_, data, size, &window, NCCL_WIN_COLL_SYMMETRIC),
           "ncclCommWindowRegister");
      return Buffer(data, bytes, [comm, window](void* p) {
        if (ncclCommWindowDeregister(comm, window) == ncclInProgress) waitQuietly(comm);
        ncclMemFree(p);
      });
    }
#endif
    void* handle = nullptr;
    call(ncclCommRegister(comm_, data, size, &handle), "ncclCommRegister");
    return Buffer(data, bytes, [comm, handle](void* p) {
      if (ncclCommDeregister(comm, handle) == ncclInProgress) waitQuietly(comm);
      ncclMemFree(p);
    });
  }

  void fillInput(void* data, std::size_t count, DType type,
                 const pattern::InputSpec& spec) override {
    ++generation_;
    cuda::fillInput(data, count, type, spec, stream_);
  }
  void fillConstant(void* data, std::size_t count, DType type, double value) override {
    cuda::fillConstant(data, count, type, value, stream_);
  }
  uint64_t countWrong(const void* data, std::size_t count, DType type,
                      const pattern::OutputSpec& spec) override {
    auto* counter = static_cast<unsigned long long*>(wrongCounter_.get());
    check(cudaMemsetAsync(counter, 0, sizeof(unsigned long long), stream_), "cudaMemsetAsync");
    cuda::countWrong(data, count, type, spec, counter, stream_);
    check(cudaMemcpyAsync(wrongHost_, counter, sizeof(unsigned long long),
                          cudaMemcpyDeviceToHost, stream_),
          "cudaMemcpyAsync");
    synchronize();
    return *static_cast<unsigned long long*>(wrongHost_.get());
  }

  void collective(const CollectiveCall& c) override {
    const ncclDataType_t type = *ncclType(c.type);
    switch (c.collective) {
      case Collective::kAllReduce:
        call(ncclAllReduce(c.send, c.recv, c.count, type, redOp(c.type, c.op), comm_, stream_),
             "ncclAllReduce");
        return;
      case Collective::kAllGather:
        call(ncclAllGather(c.send, c.recv, c.count, type, comm_, stream_), "ncclAllGather");
        return;
      case Collective::kReduceScatter:
        call(ncclReduceScatter(c.send, c.recv, c.count, type, redOp(c.type, c.op), comm_, stream_),
             "ncclReduceScatter");
        return;
      case Collective::kBroadcast:
        call(ncclBroadcast(c.send, c.recv, c.count, type, c.root, comm_, stream_),
             "ncclBroadcast");
        return;
      case Collective::kReduce:
        call(ncclReduce(c.send, c.recv, c.count, type, redOp(c.type, c.op), c.root, comm_, stream_),
             "ncclReduce");
        return;
      case Collective::kAllToAll:
        allToAll(c.send, c.recv, c.count, c.type);
        return;
      case Collective::kGather: {  // NCCL has no gather: grouped send/recv, as nccl-tests does
        const std::size_t bytes = c.count * sizeOf(c.type);
        call(ncclGroupStart(), "ncclGroupStart");
        if (rank_ == c.root) {
          for (int peer = 0; peer < size_; ++peer) {
            call(ncclRecv(static_cast<char*>(c.recv) + peer * bytes, c.count, type, peer, comm_,
                          stream_),
                 "ncclRecv");
          }
        }
        call(ncclSend(c.send, c.count, type, c.root, comm_, stream_), "ncclSend");
        call(ncclGroupEnd(), "ncclGroupEnd");
        return;
      }
      default:
        throw Error(ExitCode::kNotAvailable,
                    std::string("the NCCL backend has no call for ") + cclbench::name(c.collective));
    }
  }

  void allToAll(const void* send, void* recv, std::size_t countPerPeer, DType elementType) {
    const ncclDataType_t type = *ncclType(elementType);
#if NCCL_VERSION_CODE >= NCCL_VERSION(2, 28, 0)
    call(ncclAlltoAll(send, recv, countPerPeer, type, comm_, stream_), "ncclAlltoAll");
#else
    const std::size_t bytes = countPerPeer * sizeOf(elementType);
    call(ncclGroupStart(), "ncclGroupStart");
    for (int peer = 0; peer < size_; ++peer) {
      call(ncclSend(static_cast<const char*>(send) + peer * bytes, countPerPeer, type, peer, comm_,
                    stream_),
           "ncclSend");
      call(ncclRecv(static_cast<char*>(recv) + peer * bytes, countPerPeer, type, peer, comm_,
                    stream_),
           "ncclRecv");
    }
    call(ncclGroupEnd(), "ncclGroupEnd");
#endif
  }

  void exchange(std::span<const PeerOp> ops, DType type) override {
    call(ncclGroupStart(), "ncclGroupStart");
    for (const PeerOp& op : ops) {
      if (op.kind == PeerOp::Kind::kSend) {
        call(ncclSend(op.buffer, op.count, *ncclType(type), op.peer, comm_, stream_), "ncclSend");
      } else {
        call(ncclRecv(op.buffer, op.count, *ncclType(type), op.peer, comm_, stream_), "ncclRecv");
      }
    }
    call(ncclGroupEnd(), "ncclGroupEnd");
  }
  void abortCommunication() noexcept override {
    comm_.abort();  // unblocks NCCL work stuck on a dead or stopped peer
  }

  void barrier() override {
    // A one-element all-reduce on the communication stream, completed.
    if (!barrierBuffer_) barrierBuffer_ = cuda::deviceMemory(sizeof(float));
    collective({Collective::kAllReduce, barrierBuffer_, barrierBuffer_, 1, DType::kFloat,
                RedOp::kSum, -1});
    synchronize();
  }

  /// Waits for the stream while polling NCCL for asynchronous errors (a hang stays visible to
  /// the watchdog instead of blocking inside the driver).
  void synchronize() override {
    while (true) {
      const cudaError_t rc = cudaStreamQuery(stream_);
      if (rc == cudaSuccess) return;
      if (rc != cudaErrorNotReady) check(rc, "cudaStreamQuery");
      ncclResult_t async = ncclSuccess;
      checkNccl(ncclCommGetAsyncError(comm_, &async), "ncclCommGetAsyncError");
      if (async != ncclSuccess && async != ncclInProgress) {
        checkNccl(async, "NCCL (asynchronous error)", comm_);
      }
      std::this_thread::yield();
    }
  }

  double timeIterations(const std::function<void()>& issueOnce, int iterations) override {
    if (graph_) {
      graph_->launch(issueOnce, iterations, generation_, start_, stop_);
      return elapsedSeconds(start_, stop_);
    }
    check(cudaEventRecord(start_, stream_), "cudaEventRecord");
    for (int i = 0; i < iterations; ++i) issueOnce();
    check(cudaEventRecord(stop_, stream_), "cudaEventRecord");
    return elapsedSeconds(start_, stop_);
  }

  void timeEachIteration(const std::function<void()>& issueOnce,
                         std::span<double> seconds) override {
    while (iterationEvents_.size() < seconds.size() + 1) iterationEvents_.push_back(cuda::event());
    check(cudaEventRecord(iterationEvents_[0], stream_), "cudaEventRecord");
    for (std::size_t i = 0; i < seconds.size(); ++i) {
      issueOnce();
      check(cudaEventRecord(iterationEvents_[i + 1], stream_), "cudaEventRecord");
    }
    synchronize();
    for (std::size_t i = 0; i < seconds.size(); ++i) {
      float ms = 0;
      check(cudaEventElapsedTime(&ms, iterationEvents_[i], iterationEvents_[i + 1]),
            "cudaEventElapsedTime");
      seconds[i] = ms * 1e-3;
    }
  }

 private:
  void waitForComm(const char* what) {
    ncclResult_t state = ncclInProgress;
    while (state == ncclInProgress) {
      checkNccl(ncclCommGetAsyncError(comm_, &state), "ncclCommGetAsyncError");
      if (state == ncclInProgress) std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    checkNccl(state, what, comm_);
  }

  void call(ncclResult_t rc, const char* what) {
    if (rc == ncclInProgress) {
      waitForComm(what);
      return;
    }
    checkNccl(rc, what, comm_);
  }

  ncclRedOp_t redOp(DType type, RedOp op) {
    switch (op) {
      case RedOp::kProd: return ncclProd;
      case RedOp::kMin: return ncclMin;
      case RedOp::kMax: return ncclMax;
      case RedOp::kAvg: return ncclAvg;
      case RedOp::kPreMulSum: return preMulSum(type);
      default: return ncclSum;
    }
  }

  /// A pre-multiplied sum op with preMulScalar() for `type`, created once per type.
  ncclRedOp_t preMulSum(DType type) {
    const auto it = preMulOps_.find(type);
    if (it != preMulOps_.end()) return it->second;
    const double scalar = pattern::preMulScalar(!info(type).isFloat, size_);
    const uint64_t bits = codec::encode(type, scalar);
    ncclRedOp_t op;
    checkNccl(ncclRedOpCreatePreMulSum(&op, const_cast<uint64_t*>(&bits), *ncclType(type),
                                       ncclScalarHostImmediate, comm_),
              "ncclRedOpCreatePreMulSum", comm_);
    preMulOps_.emplace(type, op);
    return op;
  }

  double elapsedSeconds(cudaEvent_t from, cudaEvent_t to) {
    synchronize();
    float ms = 0;
    check(cudaEventElapsedTime(&ms, from, to), "cudaEventElapsedTime");
    return ms * 1e-3;
  }

  /// The tuner plugin NCCL loaded with the communicator (NCCL_TUNER_PLUGIN), found once.
  TunerForcing& forcing() {
    if (!forcing_) {
      const char* plugin = std::getenv("NCCL_TUNER_PLUGIN");
      forcing_ = std::make_unique<TunerForcing>(plugin ? plugin : "");
    }
    return *forcing_;
  }

  int registration_;
  int device_ = 0;
  int rank_ = 0;
  int size_ = 1;
  int computeCapability_ = 0;
  std::string deviceName_;
  /// --nccl-force: keeps the plugin NCCL loaded open; released after the communicator.
  std::unique_ptr<TunerForcing> forcing_;
  // Released in reverse order: the communicator before what it used.
  cuda::Stream stream_;
  cuda::Event start_;
  cuda::Event stop_;
  std::vector<cuda::Event> iterationEvents_;
  cuda::DeviceMemory wrongCounter_;  ///< unsigned long long
  cuda::PinnedMemory wrongHost_;     ///< unsigned long long
  cuda::DeviceMemory barrierBuffer_;
  cuda::Communicator comm_;
  std::map<DType, ncclRedOp_t> preMulOps_;
  uint64_t generation_ = 0;  ///< bumped when inputs are rewritten: a new case, new pointers
  std::unique_ptr<cuda::GraphLoop> graph_;  ///< CUDA-graph mode only
};

}  // namespace

int visibleCudaDevices() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "insufficient driver" state
    return 0;
  }
  return count;
}

std::unique_ptr<Backend> createNcclBackend(Bootstrap& bootstrap, const BackendOptions& options) {
  return std::make_unique<NcclBackend>(bootstrap, options);
}

}  // namespace cclbench
