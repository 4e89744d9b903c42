// The UCX backend between two threads of one process (each its own UCP context and worker, over
// shared memory), for orderings that a launch of two processes reaches only by chance.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <thread>
#include <vector>

#include "backends/ucx/ucx_backend.hpp"
#include "launch/thread_bootstrap.hpp"

namespace cclbench {
namespace {

using namespace std::chrono_literals;

/// Runs `body(rank, backend, bootstrap)` on two threads; fails (instead of hanging) after `limit`.
template <typename Body>
void onTwoRanks(Body body, std::chrono::seconds limit = 30s) {
  auto group = createThreadGroup(2);
  std::vector<std::future<void>> ranks;
  for (int rank = 0; rank < 2; ++rank) {
    ranks.push_back(std::async(std::launch::async, [group, rank, &body] {
      auto bootstrap = createThreadBootstrap(group, rank);
      UcxBackendOptions options;
      options.fabric = Fabric::kShm;
      auto backend = createUcxBackend(*bootstrap, options);
      body(rank, *backend, *bootstrap);
      bootstrap->barrier();
    }));
  }
  for (auto& r : ranks) {
    if (r.wait_for(limit) != std::future_status::ready) {
      // A rank polls for ever: the threads cannot be joined, so the test program ends here.
      std::fprintf(stderr, "FAILED: a rank is still waiting after %llds\n",
                   static_cast<long long>(limit.count()));
      std::_Exit(1);
    }
  }
  for (auto& r : ranks) r.get();
}

/// Rank 0 streams one message of `bytes` to rank 1 (posted, not waited for). Rank 1 progresses
/// its worker through a connection probe first, so the message waits unexpected, and then posts
/// its one-message receive. An eager message is found at once and ucp_tag_recv_nbx returns a
/// status, with no callback to come: a one-message exchange that waited for one would poll for
/// ever. A rendezvous returns a request whose data is fetched after the match; the bytes must
/// arrive whole either way.
void receiveAfterArrival(std::size_t bytes) {
  onTwoRanks([bytes](int rank, Backend& backend, Bootstrap& bootstrap) {
    std::vector<unsigned char> data(bytes);
    for (std::size_t i = 0; i < bytes; ++i) {
      data[i] = rank == 0 ? static_cast<unsigned char>(i * 7 + 1) : 0;
    }
    const int peer = 1 - rank;
    const PeerOp op{rank == 0 ? PeerOp::Kind::kSend : PeerOp::Kind::kRecv, data.data(), bytes,
                    peer};
    if (rank == 0) backend.stream({&op, 1}, DType::kUint8, 4);
    bootstrap.barrier();
    std::this_thread::sleep_for(50ms);  // the message (or its announcement) reaches rank 1's queue
    const int peers[] = {peer};
    backend.connectAndReport(peers);  // rank 1's progress takes it in, unmatched
    if (rank == 1) {
      backend.exchange({&op, 1}, DType::kUint8);
      for (std::size_t i = 0; i < bytes; ++i) {
        ASSERT_EQ(data[i], static_cast<unsigned char>(i * 7 + 1)) << "byte " << i;
      }
    } else {
      backend.finishStream();
    }
  });
}

TEST(UcxBackend, AnEagerMessageThatArrivedBeforeItsReceiveIsTakenAtOnce) {
  receiveAfterArrival(8);
}

TEST(UcxBackend, ARendezvousMessageThatArrivedBeforeItsReceiveIsFetched) {
  receiveAfterArrival(1 << 20);  // over shared memory UCX 1.13 sends 8 KiB and more by rendezvous
}

}  // namespace
}  // namespace cclbench
