/// The floor a UCP benchmark can reach on this host: ucx_perftest's loops with nothing around
/// them (no per-message bookkeeping, no engine), launched the way cclbench's ranks are (mpirun,
/// MPI for the worker addresses and the barrier between batches), on shared memory. A third
/// program beside cclbench and ucx_perftest: when the two differ, this says which one moved.
///
///   mpirun -np 2 build/bench/cclbench_ucp_floor MODE [bytes] [messages per batch] [batches]
///
/// MODE: `latency` (ping-pong, completion by callback, as ucx_perftest's tag_lat), `latency-check`
/// (the same, completion by ucp_request_check_status), `stream` (tag_bw: at most 32 sends and 32
/// receives in flight, counted by callbacks; one 1-byte ack per batch, as cclbench's bw
/// --stream). Prints rank 0's median batch: half the round trip in us, or GB/s (1e9 bytes/s).

#include <mpi.h>
#include <ucp/api/ucp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr ucp_tag_t kData = 1;
constexpr ucp_tag_t kAck = 2;
constexpr int kDepth = 32;

int inFlight = 0;  // sends or receives posted and not completed (one thread per process)

void sent(void* request, ucs_status_t, void*) {
  --inFlight;
  ucp_request_free(request);
}
void received(void* request, ucs_status_t, const ucp_tag_recv_info_t*, void*) {
  --inFlight;
  ucp_request_free(request);
}

void die(const char* what, ucs_status_t s) {
  std::fprintf(stderr, "cclbench_ucp_floor: %s: %s\n", what, ucs_status_string(s));
  MPI_Abort(MPI_COMM_WORLD, 1);
}

struct Peer {
  ucp_context_h context = nullptr;
  ucp_worker_h worker = nullptr;
  ucp_ep_h ep = nullptr;
};

/// A context on shared memory, a worker, and an endpoint to the other rank.
Peer connect(int rank) {
  Peer p;
  ucp_config_t* config = nullptr;
  if (ucs_status_t s = ucp_config_read(nullptr, nullptr, &config); s != UCS_OK) die("config", s);
  ucp_config_modify(config, "TLS", "shm,self");
  ucp_params_t params{};
  params.field_mask = UCP_PARAM_FIELD_FEATURES;
  params.features = UCP_FEATURE_TAG;
  const ucs_status_t s = ucp_init(&params, config, &p.context);
  ucp_config_release(config);
  if (s != UCS_OK) die("ucp_init", s);
  ucp_worker_params_t workerParams{};
  workerParams.field_mask = UCP_WORKER_PARAM_FIELD_THREAD_MODE;
  workerParams.thread_mode = UCS_THREAD_MODE_SINGLE;
  if (ucs_status_t w = ucp_worker_create(p.context, &workerParams, &p.worker); w != UCS_OK) {
    die("ucp_worker_create", w);
  }
  ucp_address_t* address = nullptr;
  std::size_t length = 0;
  ucp_worker_get_address(p.worker, &address, &length);
  unsigned long mine = length, longest = 0;
  MPI_Allreduce(&mine, &longest, 1, MPI_UNSIGNED_LONG, MPI_MAX, MPI_COMM_WORLD);
  std::vector<char> own(longest), both(2 * longest);
  std::memcpy(own.data(), address, length);
  MPI_Allgather(own.data(), static_cast<int>(longest), MPI_CHAR, both.data(),
                static_cast<int>(longest), MPI_CHAR, MPI_COMM_WORLD);
  ucp_worker_release_address(p.worker, address);
  ucp_ep_params_t epParams{};
  epParams.field_mask = UCP_EP_PARAM_FIELD_REMOTE_ADDRESS;
  epParams.address = reinterpret_cast<ucp_address_t*>(both.data() + (1 - rank) * longest);
  if (ucs_status_t e = ucp_ep_create(p.worker, &epParams, &p.ep); e != UCS_OK) die("ucp_ep_create", e);
  return p;
}

/// Polls one request (or an immediate status) to its end.
void waitFor(ucp_worker_h worker, void* request, const char* what) {
  if (UCS_PTR_IS_ERR(request)) die(what, UCS_PTR_STATUS(request));
  if (!UCS_PTR_IS_PTR(request)) return;
  ucs_status_t s;
  while ((s = ucp_request_check_status(request)) == UCS_INPROGRESS) ucp_worker_progress(worker);
  ucp_request_free(request);
  if (s != UCS_OK) die(what, s);
}

/// Posts one message whose completion is counted by callback, and counts it when it is pending.
void postCounted(void* request, const char* what) {
  if (UCS_PTR_IS_ERR(request)) die(what, UCS_PTR_STATUS(request));
  if (UCS_PTR_IS_PTR(request)) ++inFlight;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const std::string mode = argc > 1 ? argv[1] : "";
  if (size != 2 || (mode != "latency" && mode != "latency-check" && mode != "stream")) {
    if (rank == 0) {
      std::fprintf(stderr, "usage: mpirun -np 2 cclbench_ucp_floor latency|latency-check|stream "
                           "[bytes] [messages per batch] [batches]\n");
    }
    MPI_Finalize();
    return 2;
  }
  const std::size_t bytes = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 8;
  const int messages = argc > 3 ? std::atoi(argv[3]) : 4000;
  const int batches = argc > 4 ? std::atoi(argv[4]) : 40;
  Peer p = connect(rank);
  std::vector<char> send(std::max<std::size_t>(bytes, 1), 1), recv(send.size());
  char ack = 0;
  ucp_request_param_t counted{}, counting{}, plain{};
  counted.op_attr_mask = UCP_OP_ATTR_FIELD_CALLBACK;
  counted.cb.send = sent;
  counting.op_attr_mask = UCP_OP_ATTR_FIELD_CALLBACK;
  counting.cb.recv = received;

  const bool byCallback = mode != "latency-check";
  auto pingOrPong = [&](bool sending) {
    void* r = sending ? ucp_tag_send_nbx(p.ep, send.data(), bytes, kData, byCallback ? &counted : &plain)
                      : ucp_tag_recv_nbx(p.worker, recv.data(), bytes, kData, ~ucp_tag_t{0},
                                         byCallback ? &counting : &plain);
    if (!byCallback) return waitFor(p.worker, r, "ping-pong");
    postCounted(r, "ping-pong");
    while (inFlight > 0) ucp_worker_progress(p.worker);
  };

  std::vector<double> figures;
  for (int batch = -2; batch < batches; ++batch) {  // two untimed batches warm up
    MPI_Barrier(MPI_COMM_WORLD);
    const auto start = std::chrono::steady_clock::now();
    if (mode == "stream") {
      for (int i = 0; i < messages; ++i) {
        while (inFlight >= kDepth) ucp_worker_progress(p.worker);
        postCounted(rank == 0 ? ucp_tag_send_nbx(p.ep, send.data(), bytes, kData, &counted)
                              : ucp_tag_recv_nbx(p.worker, recv.data(), bytes, kData,
                                                 ~ucp_tag_t{0}, &counting),
                    "stream");
      }
      while (inFlight > 0) ucp_worker_progress(p.worker);
      waitFor(p.worker,
              rank == 0 ? ucp_tag_recv_nbx(p.worker, &ack, 1, kAck, ~ucp_tag_t{0}, &plain)
                        : ucp_tag_send_nbx(p.ep, &ack, 1, kAck, &plain),
              "ack");
    } else {
      for (int i = 0; i < messages; ++i) {
        pingOrPong(rank == 0);
        pingOrPong(rank != 0);
      }
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (batch < 0) continue;
    figures.push_back(mode == "stream" ? bytes * double(messages) / seconds / 1e9
                                       : seconds / messages / 2 * 1e6);
  }
  std::sort(figures.begin(), figures.end());
  if (rank == 0) std::printf("%.5f\n", figures[figures.size() / 2]);
  MPI_Barrier(MPI_COMM_WORLD);
  ucp_request_param_t close{};  // flushed, then closed
  waitFor(p.worker, ucp_ep_close_nbx(p.ep, &close), "ucp_ep_close_nbx");
  MPI_Barrier(MPI_COMM_WORLD);
  ucp_worker_destroy(p.worker);
  ucp_cleanup(p.context);
  MPI_Finalize();
  return 0;
}
