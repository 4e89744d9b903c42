#include "backends/nccl/device_buffers.hpp"

#include <cuda_runtime.h>

#include "backends/nccl/cuda_check.hpp"
#include "backends/nccl/cuda_handles.hpp"
#include "backends/nccl/device_patterns.hpp"
#include "backends/nccl/nccl_backend.hpp"

namespace cclbench {
namespace {

using cuda::check;

class DeviceBuffers final : public Backend {
 public:
  DeviceBuffers(std::unique_ptr<Backend> host, const ProcessPlace& place) : host_(std::move(host)) {
    const int devices = visibleCudaDevices();
    if (devices == 0) {
      throw Error(ExitCode::kNotAvailable, "--memory device needs a CUDA device, and none is visible");
    }
    check(cudaSetDevice(place.localRank % devices), "cudaSetDevice");
    stream_ = cuda::nonBlockingStream();  // owned: released also if what follows throws
    wrong_ = cuda::deviceMemory(sizeof(unsigned long long));
  }

  std::string name() const override { return host_->name(); }
  std::map<std::string, std::string> libraryVersions() const override {
    auto v = host_->libraryVersions();
    v["memory"] = "device (CUDA-aware MPI)";
    return v;
  }
  int rank() const override { return host_->rank(); }
  int size() const override { return host_->size(); }
  MemoryKind memoryKind() const override { return MemoryKind::kDevice; }
  std::string unsupportedReason(Collective c, DType t, RedOp op) const override {
    // The MPI backend finishes avg by dividing on the host.
    if (op == RedOp::kAvg) return "avg divides on the host: not with --memory device";
    return host_->unsupportedReason(c, t, op);
  }
  InPlaceLayout inPlaceLayout(Collective c, const CaseShape& shape) const override {
    return host_->inPlaceLayout(c, shape);
  }
  Buffer allocate(std::size_t bytes) override {
    void* data = nullptr;
    check(cudaMalloc(&data, std::max<std::size_t>(bytes, 256)), "cudaMalloc");
    check(cudaMemset(data, 0, std::max<std::size_t>(bytes, 256)), "cudaMemset");
    return Buffer(data, bytes, [](void* p) { cudaFree(p); });
  }
  void fillInput(void* d, std::size_t n, DType t, const pattern::InputSpec& s) override {
    cuda::fillInput(d, n, t, s, stream_);
    synchronize();
  }
  void fillConstant(void* d, std::size_t n, DType t, double v) override {
    cuda::fillConstant(d, n, t, v, stream_);
    synchronize();
  }
  uint64_t countWrong(const void* d, std::size_t n, DType t, const pattern::OutputSpec& s) override {
    unsigned long long wrong = 0;
    auto* counter = static_cast<unsigned long long*>(wrong_.get());
    check(cudaMemsetAsync(counter, 0, sizeof wrong, stream_), "cudaMemsetAsync");
    cuda::countWrong(d, n, t, s, counter, stream_);
    check(cudaMemcpyAsync(&wrong, counter, sizeof wrong, cudaMemcpyDeviceToHost, stream_),
          "cudaMemcpyAsync");
    synchronize();
    return wrong;
  }
  void collective(const CollectiveCall& c) override {
    if (c.collective == Collective::kBroadcast && rank() == c.root && c.send != c.recv) {
      // The MPI backend copies the root's input with memcpy on the host: copy on the device.
      check(cudaMemcpy(c.recv, c.send, c.count * sizeOf(c.type), cudaMemcpyDeviceToDevice),
            "cudaMemcpy");
      CollectiveCall inPlace = c;
      inPlace.send = c.recv;
      host_->collective(inPlace);
      return;
    }
    host_->collective(c);
  }
  void exchange(std::span<const PeerOp> ops, DType t) override { host_->exchange(ops, t); }
  void barrier() override { host_->barrier(); }
  void lineUp(Bootstrap& bootstrap) override { host_->lineUp(bootstrap); }
  void synchronize() override { check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize"); }
  double timeIterations(const std::function<void()>& f, int n) override {
    return host_->timeIterations(f, n);
  }
  void timeEachIteration(const std::function<void()>& f, std::span<double> s) override {
    host_->timeEachIteration(f, s);
  }

 private:
  std::unique_ptr<Backend> host_;
  cuda::Stream stream_;
  cuda::DeviceMemory wrong_;  ///< unsigned long long
};

}  // namespace

std::unique_ptr<Backend> withDeviceBuffers(std::unique_ptr<Backend> host,
                                           const ProcessPlace& place) {
  return std::make_unique<DeviceBuffers>(std::move(host), place);
}

}  // namespace cclbench
