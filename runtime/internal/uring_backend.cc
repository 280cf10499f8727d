// The io_uring backend: one ring per worker, created on the worker's thread
// with the best setup flags the running kernel accepts, a provided-buffer
// ring for multishot recv, and one io_uring_enter per loop turn.

#include <liburing.h>
#include <sys/mman.h>
#include <sys/utsname.h>

#include <atomic>
#include <cstdio>
#include <vector>

#include "runtime/internal/backend.h"
#include "runtime/internal/log.h"
#include "runtime/internal/worker.h"

namespace ferry::internal {
namespace {

static_assert(kCqeFlagMore == IORING_CQE_F_MORE);
constexpr uint64_t kIgnoreUserData = 0;  // CQEs of cancel requests
constexpr uint16_t kBufferGroup = 1;

// The provided-buffer ring: `count` buffers of `size` bytes that multishot
// recv fills. A buffer handed to user code as an IoBuf chunk returns to the
// ring when its last reference goes. The object outlives the io_uring if
// chunks are still referenced when the backend is destroyed.
class BufferRing {
 public:
  static Result<BufferRing*> create(io_uring* ring, uint32_t count,
                                    uint32_t size) {
    auto* self = new BufferRing();
    self->ring_ = ring;
    self->count_ = count;
    self->size_ = size;
    self->ring_bytes_ = count * sizeof(io_uring_buf);
    void* br = ::mmap(nullptr, self->ring_bytes_, PROT_READ | PROT_WRITE,
                      MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (br == MAP_FAILED) {
      const int err = errno;
      delete self;
      return errno_status("mmap(buffer ring)", err);
    }
    self->br_ = static_cast<io_uring_buf_ring*>(br);
    io_uring_buf_ring_init(self->br_);
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<uint64_t>(br);
    reg.ring_entries = count;
    reg.bgid = kBufferGroup;
    if (int r = io_uring_register_buf_ring(ring, &reg, 0); r < 0) {
      ::munmap(br, self->ring_bytes_);
      self->br_ = nullptr;
      delete self;
      return errno_status("io_uring_register_buf_ring", -r);
    }
    self->memory_.reset(new char[std::size_t{count} * size]);
    self->headers_.resize(count);
    for (uint32_t bid = 0; bid < count; ++bid) {
      ChunkHeader& h = self->headers_[bid];
      h.capacity = size;
      h.used = size;
      h.buffer_id = static_cast<uint16_t>(bid);
      h.data = self->memory_.get() + std::size_t{bid} * size;
      h.release = &BufferRing::release;
      h.owner = self;
      io_uring_buf_ring_add(self->br_, h.data, size, bid,
                            io_uring_buf_ring_mask(count), bid);
    }
    io_uring_buf_ring_advance(self->br_, count);
    return self;
  }

  // Wraps buffer `bid` holding `len` bytes as an IoBuf.
  IoBuf take(uint16_t bid, int32_t len) noexcept {
    ChunkHeader* h = &headers_[bid];
    h->refs = 1;
    ++outstanding_;
    return IoBuf::adopt(h, h->data,
                        len > 0 ? static_cast<std::size_t>(len) : 0);
  }

  // The io_uring is going away: stop recycling into it and free ourselves
  // once no chunk is referenced.
  void detach() noexcept {
    if (br_ != nullptr) ::munmap(br_, ring_bytes_);
    br_ = nullptr;
    detached_ = true;
    if (outstanding_ == 0) delete this;
  }

  uint32_t size() const noexcept { return size_; }

 private:
  BufferRing() = default;
  static void release(ChunkHeader* h) noexcept {
    static_cast<BufferRing*>(h->owner)->recycle(h);
  }
  void recycle(ChunkHeader* h) noexcept {
    --outstanding_;
    if (detached_) {
      if (outstanding_ == 0) delete this;
      return;
    }
    io_uring_buf_ring_add(br_, h->data, size_, h->buffer_id,
                          io_uring_buf_ring_mask(count_), 0);
    io_uring_buf_ring_advance(br_, 1);
  }

  io_uring* ring_ = nullptr;
  io_uring_buf_ring* br_ = nullptr;
  std::size_t ring_bytes_ = 0;
  uint32_t count_ = 0;
  uint32_t size_ = 0;
  std::unique_ptr<char[]> memory_;
  std::vector<ChunkHeader> headers_;
  std::size_t outstanding_ = 0;
  bool detached_ = false;
};

bool kernel_at_least(int major, int minor) {
  utsname u{};
  if (::uname(&u) != 0) return false;
  int ma = 0, mi = 0;
  if (std::sscanf(u.release, "%d.%d", &ma, &mi) != 2) return false;
  return ma > major || (ma == major && mi >= minor);
}

std::string describe_flags(unsigned flags) {
  std::string s;
  auto add = [&](unsigned f, const char* name) {
    if (flags & f) {
      if (!s.empty()) s += '|';
      s += name;
    }
  };
  add(IORING_SETUP_SINGLE_ISSUER, "SINGLE_ISSUER");
  add(IORING_SETUP_DEFER_TASKRUN, "DEFER_TASKRUN");
  add(IORING_SETUP_COOP_TASKRUN, "COOP_TASKRUN");
  return s.empty() ? "no setup flags" : s;
}

std::atomic<bool> logged_setup{false};

class UringBackend final : public Backend {
 public:
  explicit UringBackend(Worker* w) : worker_(w) {}

  Status init(const BackendOptions& o) {
    // Best first. DEFER_TASKRUN needs SINGLE_ISSUER (6.1); COOP_TASKRUN 5.19.
    const unsigned attempts[] = {
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
            IORING_SETUP_COOP_TASKRUN,
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN,
        IORING_SETUP_COOP_TASKRUN,
        0,
    };
    int r = -EINVAL;
    for (unsigned flags : attempts) {
      io_uring_params p{};
      p.flags = flags | IORING_SETUP_CQSIZE;
      p.cq_entries = o.ring_entries * 4;
      r = io_uring_queue_init_params(o.ring_entries, &ring_, &p);
      if (r == 0) {
        flags_ = flags;
        break;
      }
      if (r != -EINVAL) break;  // EPERM/ENOSYS/ENOMEM: flags are not why
    }
    if (r < 0) return errno_status("io_uring_queue_init", -r);
    initialized_ = true;

    features_.multishot_accept = kernel_at_least(5, 19);
    uint32_t count = 1;
    while (count < o.recv_buffers && count < 32768) count <<= 1;
    if (kernel_at_least(6, 0)) {
      auto ring = BufferRing::create(&ring_, count, o.recv_buffer_size);
      if (ring.ok()) {
        buffers_ = *ring;
        features_.multishot_recv = true;
      } else {
        log_info("io_uring: no provided-buffer ring ({}); recv is one-shot",
                 message_of(ring.status()));
      }
    }
    features_.description = fmt::format(
        "io_uring ({}{}{})", describe_flags(flags_),
        features_.multishot_accept ? ", multishot accept" : "",
        features_.multishot_recv
            ? fmt::format(", multishot recv into {}x{} B buffer ring", count,
                          o.recv_buffer_size)
            : std::string());
    const unsigned best = attempts[0];
    if (flags_ != best && !logged_setup.exchange(true)) {
      log_info("{}: kernel refused {}", features_.description,
               describe_flags(best & ~flags_));
    }
    return Status();
  }

  ~UringBackend() override {
    if (!initialized_) return;
    // Every op left is orphaned (the worker destroyed its tasks first):
    // cancel them all and reap until their final completions are in, so
    // their memory and buffers are released.
    if (io_uring_sqe* s = sqe()) {
      io_uring_prep_cancel64(s, 0, IORING_ASYNC_CANCEL_ANY);
      io_uring_sqe_set_data64(s, kIgnoreUserData);
    }
    const auto deadline = Clock::now() + std::chrono::seconds(1);
    while (worker_->live_ops() > 0 && Clock::now() < deadline) {
      poll(std::chrono::milliseconds(10));
    }
    io_uring_queue_exit(&ring_);
    if (buffers_ != nullptr) buffers_->detach();
  }

  BackendKind kind() const noexcept override { return BackendKind::kIoUring; }
  const BackendFeatures& features() const noexcept override {
    return features_;
  }
  uint16_t buffer_group() const noexcept override { return kBufferGroup; }
  uint32_t buffer_size() const noexcept override {
    return buffers_ ? buffers_->size() : 0;
  }

  bool start(Op* op) noexcept override {
    io_uring_sqe* s = sqe();
    if (s == nullptr) {
      op->result = -EBUSY;
      return true;
    }
    switch (op->code) {
      case OpCode::kAccept:
        op->addrlen = sizeof(op->addr);
        io_uring_prep_accept(s, op->fd, reinterpret_cast<sockaddr*>(&op->addr),
                             &op->addrlen, SOCK_CLOEXEC);
        break;
      case OpCode::kAcceptMultishot:
        io_uring_prep_multishot_accept(s, op->fd, nullptr, nullptr,
                                       SOCK_CLOEXEC);
        break;
      case OpCode::kConnect:
        io_uring_prep_connect(s, op->fd, reinterpret_cast<sockaddr*>(&op->addr),
                              op->addrlen);
        break;
      case OpCode::kRecv:
        io_uring_prep_recv(s, op->fd, op->recv_buf, op->recv_len, 0);
        break;
      case OpCode::kRecvMultishot:
        io_uring_prep_recv_multishot(s, op->fd, nullptr, 0, 0);
        s->flags |= IOSQE_BUFFER_SELECT;
        s->buf_group = kBufferGroup;
        break;
      case OpCode::kSendmsg:
        io_uring_prep_sendmsg(s, op->fd, &op->msg, MSG_NOSIGNAL);
        break;
      case OpCode::kRead:
        io_uring_prep_read(s, op->fd, op->recv_buf, op->recv_len, 0);
        break;
    }
    io_uring_sqe_set_data(s, op);
    op->in_flight = true;
    op->cancel_submitted = false;
    return false;
  }

  void cancel(Op* op) noexcept override {
    if (!op->in_flight || op->cancel_submitted) return;
    io_uring_sqe* s = sqe();
    if (s == nullptr) return;  // ring wedged; the op completes on its own
    io_uring_prep_cancel64(s, reinterpret_cast<uint64_t>(op), 0);
    io_uring_sqe_set_data64(s, kIgnoreUserData);
    op->cancel_submitted = true;
  }

  void forget_fd(int) noexcept override {}

  void poll(std::optional<std::chrono::nanoseconds> timeout) override {
    int r;
    if (timeout && timeout->count() == 0) {
      r = io_uring_submit_and_get_events(&ring_);
    } else if (timeout) {
      __kernel_timespec ts{};
      ts.tv_sec = timeout->count() / 1'000'000'000;
      ts.tv_nsec = timeout->count() % 1'000'000'000;
      io_uring_cqe* cqe = nullptr;
      r = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
    } else {
      r = io_uring_submit_and_wait(&ring_, 1);
    }
    if (r < 0 && r != -ETIME && r != -EINTR && r != -EAGAIN && r != -EBUSY)
        [[unlikely]] {
      log_error("{}", message_of(errno_status("io_uring_enter", -r)));
    }
    reap();
  }

 private:
  io_uring_sqe* sqe() noexcept {
    io_uring_sqe* s = io_uring_get_sqe(&ring_);
    if (s == nullptr) {
      // Submission queue full mid-turn: flush early (rare; the ring has
      // room for a turn's worth of ops at the default size).
      io_uring_submit(&ring_);
      s = io_uring_get_sqe(&ring_);
    }
    return s;
  }

  void reap() {
    struct Completion {
      uint64_t user_data;
      int32_t res;
      uint32_t flags;
    };
    io_uring_cqe* cqes[64];
    Completion batch[64];
    for (;;) {
      const unsigned n = io_uring_peek_batch_cqe(&ring_, cqes, 64);
      if (n == 0) break;
      // Copy out and release the CQ slots before running any coroutine,
      // which may submit and reap re-entrantly.
      for (unsigned i = 0; i < n; ++i) {
        batch[i] = {cqes[i]->user_data, cqes[i]->res, cqes[i]->flags};
      }
      io_uring_cq_advance(&ring_, n);
      for (unsigned i = 0; i < n; ++i) {
        const Completion& c = batch[i];
        // LIBURING_UDATA_TIMEOUT: the timeout SQE liburing adds itself on
        // kernels without IORING_FEAT_EXT_ARG (before 5.11).
        if (c.user_data == kIgnoreUserData ||
            c.user_data == LIBURING_UDATA_TIMEOUT) {
          continue;
        }
        Op* op = reinterpret_cast<Op*>(c.user_data);
        if ((c.flags & IORING_CQE_F_BUFFER) && buffers_ != nullptr) {
          op->owned = buffers_->take(
              static_cast<uint16_t>(c.flags >> IORING_CQE_BUFFER_SHIFT), c.res);
        }
        op->complete(c.res, c.flags);
      }
    }
  }

  Worker* worker_;
  io_uring ring_{};
  bool initialized_ = false;
  unsigned flags_ = 0;
  BufferRing* buffers_ = nullptr;
  BackendFeatures features_;
};

}  // namespace

Result<std::unique_ptr<Backend>> make_uring_backend(Worker* worker,
                                                    const BackendOptions& o) {
  auto b = std::make_unique<UringBackend>(worker);
  FERRY_RETURN_IF_ERROR(b->init(o));
  return std::unique_ptr<Backend>(std::move(b));
}

Status probe_uring() {
  io_uring ring;
  const int r = io_uring_queue_init(4, &ring, 0);
  if (r < 0) return errno_status("io_uring_queue_init", -r);
  io_uring_queue_exit(&ring);
  return Status();
}

}  // namespace ferry::internal
