#pragma once
/// Owning wrappers of CUDA and NCCL handles: each is released once, by its owner's destructor,
/// also when a constructor throws after acquiring it (the NCCL backend acquires a stream,
/// events and memory before its communicator, whose set-up can fail). They convert to the raw
/// handle where an API call takes one.

#include <cuda_runtime.h>
#include <nccl.h>

#include <thread>
#include <utility>

#include "backends/nccl/cuda_check.hpp"

namespace cclbench::cuda {

template <typename Handle, void (*Release)(Handle)>
class Owned {
 public:
  Owned() = default;
  ~Owned() { reset(); }
  Owned(Owned&& other) noexcept : handle_(std::exchange(other.handle_, Handle{})) {}
  Owned& operator=(Owned&& other) noexcept {
    if (this != &other) {
      reset();
      handle_ = std::exchange(other.handle_, Handle{});
    }
    return *this;
  }
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;

  operator Handle() const { return handle_; }  // NOLINT: a handle where an API takes one
  Handle get() const { return handle_; }
  explicit operator bool() const { return handle_ != Handle{}; }
  /// Where a create call writes the new handle (the old one is released first).
  Handle* out() {
    reset();
    return &handle_;
  }
  void reset() noexcept {
    if (handle_ != Handle{}) Release(handle_);
    handle_ = Handle{};
  }

 private:
  Handle handle_{};
};

inline void destroyStream(cudaStream_t s) { cudaStreamDestroy(s); }
inline void destroyEvent(cudaEvent_t e) { cudaEventDestroy(e); }
inline void freeDevice(void* p) { cudaFree(p); }
inline void freePinned(void* p) { cudaFreeHost(p); }

using Stream = Owned<cudaStream_t, destroyStream>;
using Event = Owned<cudaEvent_t, destroyEvent>;
using DeviceMemory = Owned<void*, freeDevice>;
using PinnedMemory = Owned<void*, freePinned>;

inline Stream nonBlockingStream() {
  Stream s;
  check(cudaStreamCreateWithFlags(s.out(), cudaStreamNonBlocking), "cudaStreamCreate");
  return s;
}

inline Event event() {
  Event e;
  check(cudaEventCreate(e.out()), "cudaEventCreate");
  return e;
}

inline DeviceMemory deviceMemory(std::size_t bytes) {
  DeviceMemory m;
  check(cudaMalloc(m.out(), bytes), "cudaMalloc");
  return m;
}

inline PinnedMemory pinnedMemory(std::size_t bytes) {
  PinnedMemory m;
  check(cudaMallocHost(m.out(), bytes), "cudaMallocHost");
  return m;
}

/// An NCCL communicator: finalized and destroyed when it goes, or only destroyed after an abort
/// (a communicator whose set-up failed, or one aborted to unblock a hung peer, cannot be
/// finalized).
class Communicator {
 public:
  Communicator() = default;
  ~Communicator() {
    if (!comm_) return;
    if (healthy_) {
      // Non-blocking communicators finalize asynchronously before they can be destroyed.
      ncclCommFinalize(comm_);
      ncclResult_t state = ncclInProgress;
      while (state == ncclInProgress && ncclCommGetAsyncError(comm_, &state) == ncclSuccess) {
        std::this_thread::yield();
      }
      ncclCommDestroy(comm_);
    } else if (!aborted_) {
      ncclCommAbort(comm_);
    }
  }
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  operator ncclComm_t() const { return comm_; }  // NOLINT: a handle where an API takes one
  explicit operator bool() const { return comm_ != nullptr; }
  ncclComm_t* out() { return &comm_; }
  /// Set-up finished: from now on it is finalized, not aborted, when it goes.
  void ready() { healthy_ = true; }
  /// Aborts it (noexcept, any thread); it is then only released, never finalized.
  void abort() noexcept {
    if (comm_ && !aborted_) {
      ncclCommAbort(comm_);
      aborted_ = true;
      healthy_ = false;
    }
  }

 private:
  ncclComm_t comm_ = nullptr;
  bool healthy_ = false;
  bool aborted_ = false;
};

}  // namespace cclbench::cuda
