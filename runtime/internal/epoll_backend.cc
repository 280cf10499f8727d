// The epoll backend: readiness-based emulation of the same op interface, for
// hosts where io_uring is blocked. Each op first tries its syscall on the
// non-blocking socket; on EAGAIN it parks on the fd (one reader and one
// writer slot per fd) and is retried when epoll reports the fd ready.
// Registration is edge-triggered and made once per fd.

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <utility>
#include <vector>

#include "runtime/internal/backend.h"
#include "runtime/internal/worker.h"

namespace ferry::internal {
namespace {

bool is_reader(OpCode c) {
  return c == OpCode::kAccept || c == OpCode::kRecv || c == OpCode::kRead;
}

int32_t attempt(Op* op) noexcept {
  for (;;) {
    ssize_t r = -1;
    switch (op->code) {
      case OpCode::kAccept:
        op->addrlen = sizeof(op->addr);
        r = ::accept4(op->fd, reinterpret_cast<sockaddr*>(&op->addr),
                      &op->addrlen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        break;
      case OpCode::kConnect:
        if (!op->connect_started) {
          op->connect_started = true;
          r = ::connect(op->fd, reinterpret_cast<sockaddr*>(&op->addr),
                        op->addrlen);
          if (r < 0 && errno == EINPROGRESS) return -EAGAIN;
        } else {
          int err = 0;
          socklen_t len = sizeof(err);
          if (::getsockopt(op->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) {
            return -errno;
          }
          return -err;
        }
        break;
      case OpCode::kRecv:
        r = ::recv(op->fd, op->recv_buf, op->recv_len, 0);
        break;
      case OpCode::kSendmsg:
        r = ::sendmsg(op->fd, &op->msg, MSG_NOSIGNAL);
        break;
      case OpCode::kRead:
        r = ::read(op->fd, op->recv_buf, op->recv_len);
        break;
      case OpCode::kAcceptMultishot:
      case OpCode::kRecvMultishot:
        return -EOPNOTSUPP;  // callers check features() first
    }
    if (r >= 0) return static_cast<int32_t>(r);
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK) return -EAGAIN;
    return -errno;
  }
}

class EpollBackend final : public Backend {
 public:
  explicit EpollBackend(Worker* w) : worker_(w) {
    features_.description = "epoll";
  }

  Status init() {
    epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epfd_ < 0) return errno_status("epoll_create1", errno);
    return Status();
  }

  ~EpollBackend() override {
    // Ops still parked belong to destroyed tasks: free them.
    for (FdEntry& e : fds_) {
      for (Op* op : {e.reader, e.writer}) {
        if (op != nullptr) {
          op->in_flight = false;
          Op::destroy(op);
        }
      }
      e = FdEntry{};
    }
    if (epfd_ >= 0) ::close(epfd_);
  }

  BackendKind kind() const noexcept override { return BackendKind::kEpoll; }
  const BackendFeatures& features() const noexcept override {
    return features_;
  }

  bool start(Op* op) noexcept override {
    const int32_t r = attempt(op);
    if (r != -EAGAIN) {
      op->result = r;
      return true;
    }
    return !park(op);
  }

  void cancel(Op* op) noexcept override {
    if (!op->in_flight || op->queued()) return;
    unpark(op);
    op->result = -ECANCELED;
    worker_->schedule(op);  // completes on the loop, never inside cancel()
  }

  void forget_fd(int fd) noexcept override {
    if (fd < 0 || static_cast<std::size_t>(fd) >= fds_.size()) return;
    FdEntry& e = fds_[fd];
    if (e.registered) ::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
    e.registered = false;
    // Ops still parked on the fd must not wait for a number the kernel may
    // hand to the next socket: they complete with EBADF on the next turn.
    for (Op** slot : {&e.reader, &e.writer}) {
      if (Op* op = std::exchange(*slot, nullptr)) {
        op->result = -EBADF;
        worker_->schedule(op);
      }
    }
  }

  void poll(std::optional<std::chrono::nanoseconds> timeout) override {
    epoll_event events[256];
    timespec ts{};
    timespec* tsp = nullptr;
    if (timeout) {
      ts.tv_sec = timeout->count() / 1'000'000'000;
      ts.tv_nsec = timeout->count() % 1'000'000'000;
      tsp = &ts;
    }
    int n = use_pwait2_ ? ::epoll_pwait2(epfd_, events, 256, tsp, nullptr) : -1;
    if (n < 0 && (!use_pwait2_ || errno != EINTR)) {
      // Kernels before 5.11 (ENOSYS) and seccomp profiles that do not know
      // epoll_pwait2 (EPERM): millisecond timeouts, rounded up.
      use_pwait2_ = false;
      const int ms =
          timeout ? static_cast<int>((timeout->count() + 999'999) / 1'000'000)
                  : -1;
      n = ::epoll_wait(epfd_, events, 256, ms);
    }
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      const uint32_t ev = events[i].events;
      if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)) {
        retry(fd, /*reader=*/true);
      }
      if (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)) retry(fd, /*reader=*/false);
    }
  }

 private:
  struct FdEntry {
    Op* reader = nullptr;
    Op* writer = nullptr;
    bool registered = false;
  };

  // Returns false if the fd cannot be watched (the op then has its error).
  bool park(Op* op) noexcept {
    const auto fd = static_cast<std::size_t>(op->fd);
    if (fd >= fds_.size()) fds_.resize(fd + 64);
    FdEntry& e = fds_[fd];
    if (!e.registered) {
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
      ev.data.fd = op->fd;
      if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, op->fd, &ev) < 0 &&
          errno != EEXIST) {
        op->result = -errno;
        return false;
      }
      e.registered = true;
    }
    (is_reader(op->code) ? e.reader : e.writer) = op;
    op->in_flight = true;
    return true;
  }

  void unpark(Op* op) noexcept {
    const auto fd = static_cast<std::size_t>(op->fd);
    if (fd >= fds_.size()) return;
    FdEntry& e = fds_[fd];
    if (e.reader == op) e.reader = nullptr;
    if (e.writer == op) e.writer = nullptr;
  }

  void retry(int fd, bool reader) {
    if (static_cast<std::size_t>(fd) >= fds_.size()) return;
    Op* op = reader ? fds_[fd].reader : fds_[fd].writer;
    if (op == nullptr) return;
    const int32_t r = attempt(op);
    if (r == -EAGAIN) return;
    // Re-read the slot: fds_ may have been resized by nothing yet, but be
    // strict about it since completing runs user code.
    (reader ? fds_[fd].reader : fds_[fd].writer) = nullptr;
    op->complete(r, 0);
  }

  Worker* worker_;
  int epfd_ = -1;
  bool use_pwait2_ = true;
  std::vector<FdEntry> fds_;
  BackendFeatures features_;
};

}  // namespace

Result<std::unique_ptr<Backend>> make_epoll_backend(Worker* worker) {
  auto b = std::make_unique<EpollBackend>(worker);
  FERRY_RETURN_IF_ERROR(b->init());
  return std::unique_ptr<Backend>(std::move(b));
}

}  // namespace ferry::internal
