#include "backends/ucx/ucx_backend.hpp"

#include <ucp/api/ucp.h>
#include <ucs/config/global_opts.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include <sched.h>
#include <string>
#include <vector>

#include "backends/in_flight.hpp"
#include "core/error.hpp"
#include "core/host_memory.hpp"
#include "inspect/fabric_backends.hpp"

namespace cclbench {
namespace {

/// Tags: the sender's rank in the low 32 bits, the kind of message in the top byte. Receives match
/// all 64 bits, so data, put announcements, put notices and probes never meet.
enum class Kind : uint64_t { kData = 0, kAnnounce = 1, kDone = 2, kProbe = 3 };
constexpr ucp_tag_t kFullMask = ~ucp_tag_t{0};
ucp_tag_t tagOf(Kind kind, int rank) {
  return (static_cast<uint64_t>(kind) << 56) | static_cast<uint32_t>(rank);
}

std::string where(const ProcessPlace& place) {
  return "rank " + std::to_string(place.rank) + " (host " + place.host + ")";
}

/// UCX's own warnings while a forced fabric starts ("transport 'rc' is not available ...") would
/// repeat once per rank; cclbench says it once, in one line.
class QuietUcx {
 public:
  explicit QuietUcx(bool quiet) : quiet_(quiet), saved_(ucs_global_opts.log_component.log_level) {
    if (quiet_) ucs_global_opts.log_component.log_level = UCS_LOG_LEVEL_FATAL;
  }
  ~QuietUcx() {
    if (quiet_) ucs_global_opts.log_component.log_level = saved_;
  }
  QuietUcx(const QuietUcx&) = delete;
  QuietUcx& operator=(const QuietUcx&) = delete;

 private:
  bool quiet_;
  ucs_log_level_t saved_;
};

/// Whether this UCX has a transport that moves CUDA memory (cuda_copy), from its context's
/// resources.
bool hasCudaTransport(ucp_context_h context) {
  char* text = nullptr;
  std::size_t length = 0;
  FILE* stream = open_memstream(&text, &length);
  if (!stream) return false;
  ucp_context_print_info(context, stream);
  std::fclose(stream);
  const bool yes = text && std::strstr(text, "cuda_copy/") != nullptr;
  std::free(text);
  return yes;
}

/// A *_nbx call's result: an error throws, naming `what`; null (done at once) or a handle returns.
void* posted(void* request, const char* what) {
  if (UCS_PTR_IS_ERR(request)) {
    throw Error(ExitCode::kLibraryError,
                std::string(what) + " failed: " + ucs_status_string(UCS_PTR_STATUS(request)));
  }
  return request;
}

/// Requests of one exchange, completed together by polling the worker. The list's storage is the
/// backend's, kept between exchanges: no allocation in the timed path.
class Requests {
 public:
  struct Pending {
    void* request;
    const char* what;
  };
  Requests(ucp_worker_h worker, std::vector<Pending>& storage, bool yield = false)
      : worker_(worker), pending_(storage), yield_(yield) {
    pending_.clear();
  }
  /// An exchange left by an error: nothing it posted may outlive it.
  ~Requests() {
    // The timed path ends here with nothing pending: no clock read (a vDSO clock_gettime costs
    // 20-30 ns on a VM, two per ping-pong iteration, 10% of an 8-byte latency).
    if (pending_.empty()) return;
    // A send that is cancelled may still read its buffer: poll (for at most two seconds) until
    // every request is done before the caller's buffers go.
    for (const Pending& p : pending_) ucp_request_cancel(worker_, p.request);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    for (const Pending& p : pending_) {
      while (ucp_request_check_status(p.request) == UCS_INPROGRESS &&
             std::chrono::steady_clock::now() < deadline) {
        ucp_worker_progress(worker_);
      }
      ucp_request_free(p.request);
    }
    pending_.clear();
  }
  Requests(const Requests&) = delete;
  Requests& operator=(const Requests&) = delete;

  /// `request` as returned by a *_nbx call: null (done at once), an error, or a handle.
  void add(void* request, const char* what) {
    if (posted(request, what)) pending_.push_back({request, what});
  }
  /// Polls until every request completed. Requests mostly complete in the order posted: the
  /// oldest one still pending is checked after each poll, never the whole list (a window of 256
  /// receives would cost 256 checks per poll otherwise).
  void waitAll() {
    std::size_t next = 0;
    while (next < pending_.size()) {
      const ucs_status_t status = ucp_request_check_status(pending_[next].request);
      if (status == UCS_INPROGRESS) {
        if (ucp_worker_progress(worker_) == 0 && yield_) sched_yield();
        continue;
      }
      ucp_request_free(pending_[next].request);
      const char* what = pending_[next].what;
      pending_[next].request = nullptr;
      ++next;
      if (status != UCS_OK) {
        pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(next));
        throw Error(ExitCode::kLibraryError, std::string(what) + " failed: " + ucs_status_string(status));
      }
    }
    pending_.clear();
  }

 private:
  ucp_worker_h worker_;
  std::vector<Pending>& pending_;
  bool yield_;  ///< more ranks than cores here: a rank that waits lets its peer run
};

/// A mapped buffer whose key others may put into.
struct Region {
  char* base;
  std::size_t bytes;
  ucp_mem_h memh;
  std::vector<char> packedKey;
};

/// Where a put to one receive of a peer lands.
struct PutTarget {
  uint64_t address;
  uint64_t bytes;
  ucp_rkey_h key;
};

class UcxBackend final : public HostBackend {
 public:
  UcxBackend(Bootstrap& bootstrap, const UcxBackendOptions& options)
      : bootstrap_(bootstrap), options_(options), place_(bootstrap.place()) {
    std::string forcedTls;
    if (options.fabric) {
      std::string whyNot;
      const std::optional<UcxFabric> fabric = ucxFabric(*options.fabric, &whyNot);
      if (!fabric) throw Error(ExitCode::kInvalidUsage, whyNot);
      forcedTls = fabric->tls;
    }
    ucp_config_t* config = nullptr;
    check(ucp_config_read(nullptr, nullptr, &config), "ucp_config_read");
    if (!forcedTls.empty()) {
      const ucs_status_t s = ucp_config_modify(config, "TLS", forcedTls.c_str());
      if (s != UCS_OK) {
        ucp_config_release(config);
        check(s, "ucp_config_modify(TLS)");
      }
    }
    const char* userTls = std::getenv("UCX_TLS");
    tls_ = !forcedTls.empty() ? forcedTls : (userTls && *userTls ? userTls : "UCX's default (all)");
    ucp_params_t params{};
    params.field_mask = UCP_PARAM_FIELD_FEATURES;
    params.features = UCP_FEATURE_TAG | (options.api == UcxApi::kPut ? UCP_FEATURE_RMA : 0);
    ucs_status_t s;
    {
      QuietUcx quiet(options.fabric.has_value());
      s = ucp_init(&params, config, &context_);
    }
    ucp_config_release(config);
    if (s != UCS_OK) {
      context_ = nullptr;
      if (options.fabric) {
        throw Error(ExitCode::kFabricMismatch,
                    std::string("fabric mismatch: asked ") + cclbench::name(*options.fabric) + ", and " +
                        where(place_) + " has no UCX transport for it (UCX_TLS=" + forcedTls +
                        ": " + ucs_status_string(s) + ")");
      }
      check(s, "ucp_init");
    }
    if (options.deviceMemory && !hasCudaTransport(context_)) {
      ucp_cleanup(context_);
      context_ = nullptr;
      throw Error(ExitCode::kNotAvailable,
                  "--memory device with the UCX backend needs a UCX built with CUDA (cuda_copy), "
                  "and this UCX " + std::string(ucp_get_version_string()) + " has no CUDA transport");
    }
    if (options.deviceMemory) {
      ucp_cleanup(context_);
      context_ = nullptr;
      throw Error(ExitCode::kNotAvailable,
                  "--memory device with the UCX backend is not implemented yet (this UCX has "
                  "cuda_copy; cclbench's UCX buffers are host memory)");
    }
    ucp_worker_params_t workerParams{};
    workerParams.field_mask = UCP_WORKER_PARAM_FIELD_THREAD_MODE;
    workerParams.thread_mode = UCS_THREAD_MODE_SINGLE;
    s = ucp_worker_create(context_, &workerParams, &worker_);
    if (s != UCS_OK) {
      ucp_cleanup(context_);
      context_ = nullptr;
      check(s, "ucp_worker_create");
    }
    // Open MPI's rule (mpi_yield_when_idle, which cclbench sets for oversubscribed runs): ranks
    // that outnumber the cores give the core away while they wait, or a peer waits a time slice.
    yield_ = place_.localSize > static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    try {
      exchangeAddresses();
    } catch (...) {
      ucp_worker_destroy(worker_);
      ucp_cleanup(context_);
      worker_ = nullptr;
      context_ = nullptr;
      throw;
    }
    endpoints_.assign(static_cast<std::size_t>(place_.size), nullptr);
    oneSend_.op_attr_mask = UCP_OP_ATTR_FIELD_CALLBACK | UCP_OP_ATTR_FIELD_USER_DATA;
    oneSend_.cb.send = &UcxBackend::oneSent;
    oneSend_.user_data = this;
    oneRecv_.op_attr_mask = UCP_OP_ATTR_FIELD_CALLBACK | UCP_OP_ATTR_FIELD_USER_DATA;
    oneRecv_.cb.recv = &UcxBackend::oneReceived;
    oneRecv_.user_data = this;
  }

  ~UcxBackend() override {
    dropStream();
    clearTargets();
    closeEndpoints();
    for (Region& r : regions_) ucp_mem_unmap(context_, r.memh);
    if (worker_) ucp_worker_destroy(worker_);
    if (context_) ucp_cleanup(context_);
  }

  std::string name() const override { return "ucx"; }
  std::map<std::string, std::string> libraryVersions() const override {
    return {{"ucx", ucp_get_version_string()}};
  }
  int rank() const override { return place_.rank; }
  int size() const override { return place_.size; }

  std::string unsupportedReason(Collective c, DType, RedOp) const override {
    if (info(c).exchanges) return {};
    return "UCX is point-to-point: the UCX backend measures latency, bw, bibw and the sendrecv "
           "ring (use --backend mpi or nccl for collectives)";
  }

  std::optional<uint64_t> memoryLimitBytes() const override {
    return hostBufferLimitBytes(place_.localSize);
  }

  Buffer allocate(std::size_t bytes) override {
    Buffer buffer = HostBackend::allocate(bytes);
    if (options_.api != UcxApi::kPut) return buffer;
    // Every rank allocates the same buffers at the same point of the plan: the put targets
    // learnt so far may now be gone on every side.
    clearTargets();
    ucp_mem_map_params_t params{};
    params.field_mask = UCP_MEM_MAP_PARAM_FIELD_ADDRESS | UCP_MEM_MAP_PARAM_FIELD_LENGTH;
    params.address = buffer.data();
    params.length = std::max<std::size_t>(bytes, 1);
    Region region{static_cast<char*>(buffer.data()), params.length, nullptr, {}};
    check(ucp_mem_map(context_, &params, &region.memh), "ucp_mem_map");
    void* packed = nullptr;
    std::size_t packedBytes = 0;
    const ucs_status_t s = ucp_rkey_pack(context_, region.memh, &packed, &packedBytes);
    if (s != UCS_OK) {
      ucp_mem_unmap(context_, region.memh);
      check(s, "ucp_rkey_pack");
    }
    region.packedKey.assign(static_cast<char*>(packed), static_cast<char*>(packed) + packedBytes);
    ucp_rkey_buffer_release(packed);
    regions_.push_back(std::move(region));
    auto memory = std::make_shared<Buffer>(std::move(buffer));
    return Buffer(memory->data(), bytes, [this, memory](void* p) mutable {
      for (std::size_t i = 0; i < regions_.size(); ++i) {
        if (regions_[i].base != p) continue;
        ucp_mem_unmap(context_, regions_[i].memh);
        regions_.erase(regions_.begin() + static_cast<std::ptrdiff_t>(i));
        break;
      }
      memory.reset();
    });
  }

  /// A new case: its receive buffers may differ from the last case's at the same message shape
  /// (latency's reply lands in the receive buffer, bw's ack in the ack buffer), so put targets are
  /// announced again. Every rank sets up each case, so both sides of a pair forget together.
  void startCase() override { clearTargets(); }

  void collective(const CollectiveCall& call) override {
    throw Error(ExitCode::kNotAvailable, unsupportedReason(call.collective, call.type, call.op));
  }

  void exchange(std::span<const PeerOp> ops, DType type) override {
    if (options_.api == UcxApi::kPut) return exchangeByPut(ops, type);
    if (ops.size() == 1) return exchangeOne(ops[0], ops[0].count * sizeOf(type));
    Requests requests(worker_, storage_[0], yield_);
    const std::size_t element = sizeOf(type);
    ucp_request_param_t param{};
    for (const PeerOp& op : ops) {
      const std::size_t bytes = op.count * element;
      if (op.kind == PeerOp::Kind::kRecv) {
        requests.add(ucp_tag_recv_nbx(worker_, op.buffer, bytes, tagOf(Kind::kData, op.peer),
                                      kFullMask, &param),
                     "ucp_tag_recv_nbx");
      } else {
        requests.add(ucp_tag_send_nbx(endpoint(op.peer), op.buffer, bytes,
                                      tagOf(Kind::kData, place_.rank), &param),
                     "ucp_tag_send_nbx");
      }
    }
    requests.waitAll();
  }

  /// One message (latency's ping and pong, bw's ack): ucx_perftest's completion, a callback that
  /// counts down, so nothing but the poll runs between the message's arrival and the next post.
  void exchangeOne(const PeerOp& op, std::size_t bytes) {
    const bool receive = op.kind == PeerOp::Kind::kRecv;
    const char* what = receive ? "ucp_tag_recv_nbx" : "ucp_tag_send_nbx";
    // Cleared before the post, in case UCX calls back before the post returns (a receive that
    // matches a message already arrived; not seen with UCX 1.13, where that returns a status).
    oneDone_ = false;
    void* request = posted(
        receive ? ucp_tag_recv_nbx(worker_, op.buffer, bytes, tagOf(Kind::kData, op.peer), kFullMask,
                                   &oneRecv_)
                : ucp_tag_send_nbx(endpoint(op.peer), op.buffer, bytes,
                                   tagOf(Kind::kData, place_.rank), &oneSend_),
        what);
    if (!request) return;  // done at once: no callback comes
    while (!oneDone_) {
      if (ucp_worker_progress(worker_) == 0 && yield_) sched_yield();
    }
    check(oneStatus_, what);
  }
  static void oneSent(void* request, ucs_status_t status, void* self) {
    static_cast<UcxBackend*>(self)->oneFinished(request, status);
  }
  static void oneReceived(void* request, ucs_status_t status, const ucp_tag_recv_info_t*, void* self) {
    static_cast<UcxBackend*>(self)->oneFinished(request, status);
  }
  void oneFinished(void* request, ucs_status_t status) {
    oneStatus_ = status;
    oneDone_ = true;
    ucp_request_free(request);
  }

  std::string streamUnsupportedReason() const override {
    if (options_.api != UcxApi::kPut) return {};
    return "--stream measures tagged sends (ucx_perftest's tag_bw); --ucx-api put puts a window "
           "and flushes it";
  }

  /// ucx_perftest's tag_bw loop: a message is posted as soon as fewer than `depth` are in
  /// flight, and the oldest is checked (they complete in order between one pair); a message that
  /// completes at once takes no slot.
  void stream(std::span<const PeerOp> ops, DType type, int depth) override {
    const auto slots = static_cast<std::size_t>(depth);
    inFlight_.resize(slots, nullptr);
    const std::size_t element = sizeOf(type);
    ucp_request_param_t param{};
    for (const PeerOp& op : ops) {
      waitInFlightBelow(slots);
      const std::size_t bytes = op.count * element;
      void* request =
          op.kind == PeerOp::Kind::kRecv
              ? posted(ucp_tag_recv_nbx(worker_, op.buffer, bytes, tagOf(Kind::kData, op.peer),
                                        kFullMask, &param),
                       "ucp_tag_recv_nbx")
              : posted(ucp_tag_send_nbx(endpoint(op.peer), op.buffer, bytes,
                                        tagOf(Kind::kData, place_.rank), &param),
                       "ucp_tag_send_nbx");
      if (!request) continue;
      inFlight_.next() = request;
      inFlight_.push();
    }
  }

  void finishStream() override { waitInFlightBelow(1); }

  void barrier() override { bootstrap_.barrier(); }
  void synchronize() override {}

  double timeIterations(const std::function<void()>& issueOnce, int iterations) override {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < iterations; ++i) issueOnce();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }

  void timeEachIteration(const std::function<void()>& issueOnce,
                         std::span<double> seconds) override {
    for (double& s : seconds) {
      const auto start = std::chrono::steady_clock::now();
      issueOnce();
      s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
  }

  nlohmann::json connectAndReport(std::span<const int> peers) override {
    // One small message each way with every peer, so each endpoint is wired up and used.
    const std::vector<int> others(peers.begin(), peers.end());
    for (int p : others) endpoint(p);  // created (and checked) before anything is posted
    std::vector<uint64_t> in(others.size()), out(others.size(), place_.rank);
    Requests requests(worker_, storage_[0], yield_);
    ucp_request_param_t param{};
    for (std::size_t i = 0; i < others.size(); ++i) {
      requests.add(ucp_tag_recv_nbx(worker_, &in[i], sizeof in[i], tagOf(Kind::kProbe, others[i]),
                                    kFullMask, &param),
                   "ucp_tag_recv_nbx (connection probe)");
      requests.add(ucp_tag_send_nbx(endpoint(others[i]), &out[i], sizeof out[i],
                                    tagOf(Kind::kProbe, place_.rank), &param),
                   "ucp_tag_send_nbx (connection probe)");
    }
    requests.waitAll();
    std::vector<UcxEndpointReport> reports;
    for (int p : others) reports.push_back(report(p));
    nlohmann::json endpoints = nlohmann::json::array();
    for (const UcxEndpointReport& r : reports) endpoints.push_back(toJson(r));
    nlohmann::json record = {{"backend", "ucx"},
                             {"ucx", ucp_get_version_string()},
                             {"api", options_.api == UcxApi::kPut ? "put" : "tag"},
                             {"fabric", options_.fabric ? nlohmann::json(cclbench::name(*options_.fabric))
                                                        : nlohmann::json()},
                             {"ucx_tls", tls_},
                             {"set_through", options_.fabric ? "ucp_config_modify" : "environment"},
                             {"reported_by", "ucp_ep_print_info"},
                             {"rank", place_.rank},
                             {"endpoints", endpoints}};
    if (options_.fabric) {
      const FabricVerification v = verifyUcxEndpoints(*options_.fabric, reports, linkLayer());
      record["verification"] = toJson(v);
      if (!v.ok) throw mismatch(v);
      for (int p : others) verified_.push_back(p);
    }
    return record;
  }

 private:
  /// Polls until fewer than `limit` stream messages are in flight.
  void waitInFlightBelow(std::size_t limit) {
    while (inFlight_.size() >= limit) {
      void* request = inFlight_.oldest();
      const ucs_status_t status = ucp_request_check_status(request);
      if (status == UCS_INPROGRESS) {
        if (ucp_worker_progress(worker_) == 0 && yield_) sched_yield();
        continue;
      }
      ucp_request_free(request);
      inFlight_.pop();
      if (status != UCS_OK) {
        throw Error(ExitCode::kLibraryError,
                    std::string("a streamed message failed: ") + ucs_status_string(status));
      }
    }
  }

  /// A stream left by an error: cancelled, and polled (two seconds at most) until UCX is done
  /// with the buffers.
  void dropStream() noexcept {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    for (; inFlight_.size() > 0; inFlight_.pop()) {
      void* request = inFlight_.oldest();
      ucp_request_cancel(worker_, request);
      while (ucp_request_check_status(request) == UCS_INPROGRESS &&
             std::chrono::steady_clock::now() < deadline) {
        ucp_worker_progress(worker_);
      }
      ucp_request_free(request);
    }
  }

  static void check(ucs_status_t s, const char* what) {
    if (s == UCS_OK) return;
    throw Error(ExitCode::kLibraryError, std::string(what) + " failed: " + ucs_status_string(s));
  }

  static LinkLayerOf linkLayer() {
    return [](const std::string& device) { return rdmaLinkLayer(device); };
  }

  Error mismatch(const FabricVerification& v) const {
    std::string message = where(place_) + ": " + v.message();
    for (std::size_t i = 0; i < v.evidence.size() && i < 3; ++i) message += "\n    " + v.evidence[i];
    return Error(ExitCode::kFabricMismatch, message);
  }

  /// Every rank's worker address, padded to the longest, through the bootstrap.
  void exchangeAddresses() {
    ucp_address_t* address = nullptr;
    std::size_t length = 0;
    check(ucp_worker_get_address(worker_, &address, &length), "ucp_worker_get_address");
    uint64_t longest = length;
    bootstrap_.allReduce(&longest, 1, Bootstrap::Op::kMax);
    slot_ = sizeof(uint64_t) + longest;
    std::vector<char> mine(slot_, 0);
    const uint64_t mineLength = length;
    std::memcpy(mine.data(), &mineLength, sizeof mineLength);
    std::memcpy(mine.data() + sizeof mineLength, address, length);
    ucp_worker_release_address(worker_, address);
    bootstrap_.gatherToRoot(mine.data(), mine.size(), addresses_);
    addresses_.resize(slot_ * static_cast<std::size_t>(place_.size));
    bootstrap_.broadcast(addresses_.data(), addresses_.size(), 0);
  }

  ucp_ep_h endpoint(int peer) {
    ucp_ep_h& ep = endpoints_.at(static_cast<std::size_t>(peer));
    if (ep) return ep;
    ucp_ep_params_t params{};
    params.field_mask = UCP_EP_PARAM_FIELD_REMOTE_ADDRESS | UCP_EP_PARAM_FIELD_ERR_HANDLING_MODE;
    params.address = reinterpret_cast<const ucp_address_t*>(
        addresses_.data() + slot_ * static_cast<std::size_t>(peer) + sizeof(uint64_t));
    params.err_mode = UCP_ERR_HANDLING_MODE_NONE;
    ucs_status_t s;
    {
      QuietUcx quiet(options_.fabric.has_value());
      s = ucp_ep_create(worker_, &params, &ep);
    }
    if (s != UCS_OK) {
      ep = nullptr;
      if (options_.fabric) {
        throw Error(ExitCode::kFabricMismatch,
                    std::string("fabric mismatch: asked ") + cclbench::name(*options_.fabric) +
                        ", and " + where(place_) + " cannot reach rank " + std::to_string(peer) +
                        " with UCX_TLS=" + tls_ + " (" + ucs_status_string(s) + ")");
      }
      check(s, "ucp_ep_create");
    }
    if (options_.fabric && std::find(verified_.begin(), verified_.end(), peer) == verified_.end()) {
      // An endpoint the start-up report did not cover: its lanes are chosen at creation.
      const FabricVerification v = verifyUcxEndpoints(*options_.fabric, {report(peer)}, linkLayer());
      if (!v.ok) throw mismatch(v);
      verified_.push_back(peer);
    }
    return ep;
  }

  UcxEndpointReport report(int peer) {
    char* text = nullptr;
    std::size_t length = 0;
    FILE* stream = open_memstream(&text, &length);
    if (!stream) throw Error(ExitCode::kInternal, "open_memstream failed");
    ucp_ep_print_info(endpoint(peer), stream);
    std::fclose(stream);
    UcxEndpointReport r{peer, parseUcxEndpointInfo(text ? std::string_view(text, length) : "")};
    std::free(text);
    return r;
  }

  void closeEndpoints() {
    // Flush-close, polling for at most two seconds: a peer that is gone must not hold the exit.
    std::vector<void*> closing;
    ucp_request_param_t param{};
    for (ucp_ep_h& ep : endpoints_) {
      if (!ep) continue;
      void* r = ucp_ep_close_nbx(ep, &param);
      if (r && !UCS_PTR_IS_ERR(r)) closing.push_back(r);
      ep = nullptr;
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (!closing.empty() && std::chrono::steady_clock::now() < deadline) {
      ucp_worker_progress(worker_);
      for (std::size_t i = 0; i < closing.size();) {
        if (ucp_request_check_status(closing[i]) == UCS_INPROGRESS) {
          ++i;
          continue;
        }
        ucp_request_free(closing[i]);
        closing[i] = closing.back();
        closing.pop_back();
      }
    }
    for (void* r : closing) ucp_request_free(r);  // released by UCX when they complete
  }

  // ---- put: RMA into the peer's receive buffers, then a flush and a 0-byte notice ----------

  /// The same text on both ranks of a pair for the same exchange: the bytes each way, in order.
  static std::string pairKey(int me, int peer, const std::vector<uint64_t>& sent,
                             const std::vector<uint64_t>& received, DType type) {
    const std::vector<uint64_t>& lowToHigh = me < peer ? sent : received;
    const std::vector<uint64_t>& highToLow = me < peer ? received : sent;
    std::string key = std::to_string(std::min(me, peer)) + ">" + std::to_string(std::max(me, peer)) +
                      ":" + cclbench::name(type) + ":";
    for (uint64_t b : lowToHigh) key += std::to_string(b) + ",";
    key += "|";
    for (uint64_t b : highToLow) key += std::to_string(b) + ",";
    return key;
  }

  const Region& regionOf(const void* p, std::size_t bytes) const {
    const char* c = static_cast<const char*>(p);
    for (const Region& r : regions_) {
      if (c >= r.base && c + bytes <= r.base + r.bytes) return r;
    }
    throw Error(ExitCode::kInternal, "a put receive buffer outside every mapped buffer");
  }

  void clearTargets() {
    for (auto& [key, targets] : targets_) {
      for (PutTarget& t : targets) ucp_rkey_destroy(t.key);
    }
    targets_.clear();
    announced_.clear();
  }

  /// Announcement: count, then per receive its address, bytes, key length and packed key.
  std::vector<char> announcement(const std::vector<const PeerOp*>& receives, std::size_t element) {
    std::vector<char> out;
    auto put = [&out](const void* p, std::size_t n) {
      out.insert(out.end(), static_cast<const char*>(p), static_cast<const char*>(p) + n);
    };
    const uint64_t n = receives.size();
    put(&n, sizeof n);
    for (const PeerOp* op : receives) {
      const uint64_t address = reinterpret_cast<uintptr_t>(op->buffer);
      const uint64_t bytes = op->count * element;
      const Region& r = regionOf(op->buffer, bytes);
      const uint64_t keyBytes = r.packedKey.size();
      put(&address, sizeof address);
      put(&bytes, sizeof bytes);
      put(&keyBytes, sizeof keyBytes);
      put(r.packedKey.data(), r.packedKey.size());
    }
    return out;
  }

  std::vector<PutTarget> receiveAnnouncement(int peer) {
    ucp_tag_recv_info_t info{};
    ucp_tag_message_h message = nullptr;
    while (!(message = ucp_tag_probe_nb(worker_, tagOf(Kind::kAnnounce, peer), kFullMask, 1, &info))) {
      if (ucp_worker_progress(worker_) == 0 && yield_) sched_yield();
    }
    std::vector<char> text(info.length);
    ucp_request_param_t param{};
    Requests requests(worker_, storage_[3], yield_);
    requests.add(ucp_tag_msg_recv_nbx(worker_, text.data(), text.size(), message, &param),
                 "ucp_tag_msg_recv_nbx (put targets)");
    requests.waitAll();
    std::size_t at = 0;
    auto take = [&](void* p, std::size_t n) {
      if (at + n > text.size()) throw Error(ExitCode::kInternal, "a short put announcement");
      std::memcpy(p, text.data() + at, n);
      at += n;
    };
    uint64_t n = 0;
    take(&n, sizeof n);
    std::vector<PutTarget> targets;
    struct Release {  // keys unpacked so far, when the announcement turns out bad
      std::vector<PutTarget>& targets;
      bool keep = false;
      ~Release() {
        if (!keep) for (PutTarget& t : targets) ucp_rkey_destroy(t.key);
      }
    } release{targets};
    for (uint64_t i = 0; i < n; ++i) {
      PutTarget t{};
      uint64_t keyBytes = 0;
      take(&t.address, sizeof t.address);
      take(&t.bytes, sizeof t.bytes);
      take(&keyBytes, sizeof keyBytes);
      if (at + keyBytes > text.size()) throw Error(ExitCode::kInternal, "a short put announcement");
      check(ucp_ep_rkey_unpack(endpoint(peer), text.data() + at, &t.key), "ucp_ep_rkey_unpack");
      at += keyBytes;
      targets.push_back(t);
    }
    release.keep = true;
    return targets;
  }

  void exchangeByPut(std::span<const PeerOp> ops, DType type) {
    const std::size_t element = sizeOf(type);
    std::map<int, std::vector<const PeerOp*>> sends, receives;
    std::vector<int> peers;
    for (const PeerOp& op : ops) {
      (op.kind == PeerOp::Kind::kSend ? sends : receives)[op.peer].push_back(&op);
      if (std::find(peers.begin(), peers.end(), op.peer) == peers.end()) peers.push_back(op.peer);
    }
    // First exchange of this shape since the buffers last changed: receivers tell senders where.
    std::vector<std::vector<char>> announcements;
    std::map<int, std::string> keys;
    Requests control(worker_, storage_[0], yield_);
    ucp_request_param_t param{};
    for (int peer : peers) {
      std::vector<uint64_t> sent, received;
      for (const PeerOp* op : sends[peer]) sent.push_back(op->count * element);
      for (const PeerOp* op : receives[peer]) received.push_back(op->count * element);
      keys[peer] = pairKey(place_.rank, peer, sent, received, type);
      if (!received.empty() && !announced_.count(keys[peer])) {
        announcements.push_back(announcement(receives[peer], element));
        control.add(ucp_tag_send_nbx(endpoint(peer), announcements.back().data(),
                                     announcements.back().size(), tagOf(Kind::kAnnounce, place_.rank),
                                     &param),
                    "ucp_tag_send_nbx (put targets)");
        announced_.insert(keys[peer]);
      }
    }
    for (int peer : peers) {
      if (!sends[peer].empty() && !targets_.count(keys[peer])) {
        targets_[keys[peer]] = receiveAnnouncement(peer);
        if (targets_[keys[peer]].size() != sends[peer].size()) {
          throw Error(ExitCode::kInternal, "put: rank " + std::to_string(peer) + " announced " +
                                               std::to_string(targets_[keys[peer]].size()) +
                                               " receives for " +
                                               std::to_string(sends[peer].size()) + " sends");
        }
      }
    }
    control.waitAll();

    static char none = 0;
    Requests notices(worker_, storage_[1], yield_);
    for (int peer : peers) {
      if (!receives[peer].empty()) {
        notices.add(ucp_tag_recv_nbx(worker_, &none, 0, tagOf(Kind::kDone, peer), kFullMask, &param),
                    "ucp_tag_recv_nbx (put notice)");
      }
    }
    for (int peer : peers) {
      if (sends[peer].empty()) continue;
      const std::vector<PutTarget>& targets = targets_[keys[peer]];
      ucp_ep_h ep = endpoint(peer);
      Requests puts(worker_, storage_[2], yield_);
      for (std::size_t i = 0; i < sends[peer].size(); ++i) {
        const PeerOp* op = sends[peer][i];
        puts.add(ucp_put_nbx(ep, op->buffer, op->count * element, targets[i].address, targets[i].key,
                             &param),
                 "ucp_put_nbx");
      }
      puts.add(ucp_ep_flush_nbx(ep, &param), "ucp_ep_flush_nbx");
      puts.waitAll();
      notices.add(ucp_tag_send_nbx(ep, &none, 0, tagOf(Kind::kDone, place_.rank), &param),
                  "ucp_tag_send_nbx (put notice)");
    }
    notices.waitAll();
  }

  Bootstrap& bootstrap_;
  UcxBackendOptions options_;
  ProcessPlace place_;
  std::string tls_;
  ucp_context_h context_ = nullptr;
  ucp_worker_h worker_ = nullptr;
  std::size_t slot_ = 0;
  std::vector<char> addresses_;
  std::vector<ucp_ep_h> endpoints_;
  std::vector<int> verified_;
  std::vector<Region> regions_;
  std::map<std::string, std::vector<PutTarget>> targets_;
  std::set<std::string> announced_;
  bool yield_ = false;
  std::vector<Requests::Pending> storage_[4];  ///< request lists: an exchange, and put's nested ones
  InFlight<void*> inFlight_;                   ///< --stream
  ucp_request_param_t oneSend_{};              ///< exchangeOne's: completion by callback
  ucp_request_param_t oneRecv_{};
  bool oneDone_ = true;
  ucs_status_t oneStatus_ = UCS_OK;
};

}  // namespace

std::optional<UcxApi> parseUcxApi(const std::string& text) {
  if (text == "tag") return UcxApi::kTag;
  if (text == "put") return UcxApi::kPut;
  return std::nullopt;
}

std::unique_ptr<Backend> createUcxBackend(Bootstrap& bootstrap, const UcxBackendOptions& options) {
  return std::make_unique<UcxBackend>(bootstrap, options);
}

}  // namespace cclbench
