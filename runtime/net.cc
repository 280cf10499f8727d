#include "runtime/net.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <deque>
#include <utility>

#include "absl/strings/numbers.h"

#include "runtime/internal/log.h"
#include "runtime/internal/op.h"
#include "runtime/internal/worker.h"
#include "runtime/time.h"

namespace ferry {
namespace internal {
namespace {

constexpr std::size_t kOneShotRecvSize = 16384 - 64;

[[gnu::cold, gnu::noinline]] Status io_error(std::string_view op,
                                             const SocketAddress& peer,
                                             int32_t res) {
  if (res == -ECANCELED) return cancelled_status(op);
  return errno_status(fmt::format("{} {}", op, peer.to_string()), -res);
}

// A task's read/write/accept whose stream or listener another task closed.
[[gnu::cold, gnu::noinline]] Status closed_mid_call(std::string_view op) {
  return absl::CancelledError(fmt::format("{}: closed by another task", op));
}

int socket_type_flags(Worker* w) {
  // io_uring handles blocking sockets natively (and some kernels return
  // EAGAIN for O_NONBLOCK files instead of waiting); epoll needs them
  // non-blocking.
  return SOCK_CLOEXEC |
         (w->backend().kind() == BackendKind::kEpoll ? SOCK_NONBLOCK : 0);
}

void set_nodelay(int fd) {
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

}  // namespace

// What a suspended reader/acceptor waits on: the core's multishot op
// producing something. Resumed inline from the completion, or through the
// ready queue when cancelled.
struct CoreWaiter : CancelCallback, ReadyNode {
  CoreWaiter(std::coroutine_handle<> h, CoreWaiter** slot)
      : CancelCallback(&CoreWaiter::on_cancel),
        ReadyNode(&CoreWaiter::on_ready),
        handle(h),
        slot(slot) {}
  ~CoreWaiter() {
    if (slot != nullptr && *slot == this) *slot = nullptr;
  }
  static void on_cancel(CancelCallback* c) noexcept {
    auto* self = static_cast<CoreWaiter*>(c);
    self->cancelled = true;
    if (self->slot != nullptr && *self->slot == self) *self->slot = nullptr;
    worker_schedule(self);
  }
  static void on_ready(ReadyNode* n) noexcept {
    static_cast<CoreWaiter*>(n)->handle.resume();
  }
  void wake() noexcept {
    unregister();
    handle.resume();
  }
  std::coroutine_handle<> handle;
  CoreWaiter** slot;
  bool cancelled = false;
};

// Awaits `*slot` being woken. `ready` says whether there is no need to wait.
struct WaitForCore {
  CoreWaiter** slot;
  bool ready;
  std::optional<CoreWaiter> waiter;
  bool await_ready() const noexcept { return ready; }
  template <class P>
  void await_suspend(std::coroutine_handle<P> h) {
    waiter.emplace(h, slot);
    *slot = &*waiter;
    waiter->register_with(cancel_source_of(h));
  }
  // False if cancelled.
  bool await_resume() noexcept { return !(waiter && waiter->cancelled); }
};

// What a stream and a listener share: a refcount held by the owning
// TcpStream/TcpListener and by every coroutine using the core across a
// `co_await`, so closing (or destroying) the owner while another task is
// mid-read or mid-write cancels that task's op instead of freeing memory
// under it. `shut()` closes the fd at once; the memory goes with the last
// reference.
struct CoreBase {
  uint32_t refs = 1;
  bool closed = false;
};

// Keeps a core alive for the scope it lives in.
template <class Core>
class CoreRef {
 public:
  explicit CoreRef(Core* c) noexcept : c_(c) { ++c_->refs; }
  CoreRef(const CoreRef&) = delete;
  CoreRef& operator=(const CoreRef&) = delete;
  ~CoreRef() { Core::unref(c_); }

 private:
  Core* c_;
};

// Records `op` in `*slot` while it is in flight; clears the slot when the
// awaiting frame resumes or is destroyed.
class OpSlot {
 public:
  OpSlot(Op** slot, Op* op) noexcept : slot_(slot) { *slot_ = op; }
  OpSlot(const OpSlot&) = delete;
  OpSlot& operator=(const OpSlot&) = delete;
  ~OpSlot() { *slot_ = nullptr; }

 private:
  Op** slot_;
};

// Wakes a parked reader/acceptor from the ready queue (the core is closing).
inline void wake_later(CoreWaiter** slot) noexcept {
  if (CoreWaiter* w = std::exchange(*slot, nullptr)) {
    w->unregister();
    worker_schedule(w);
  }
}

struct StreamCore : CoreBase {
  Worker* worker = nullptr;
  int fd = -1;
  SocketAddress peer;
  bool multishot = false;
  bool ring_starved = false;  // last multishot ended with ENOBUFS
  Op* recv_op = nullptr;      // armed multishot recv
  IoBuf pending;              // received, not yet read
  int32_t error = 0;          // sticky -errno from recv
  bool eof = false;
  CoreWaiter* reader = nullptr;
  Op* read_op = nullptr;           // one-shot recv in flight
  Op* write_op = nullptr;          // sendmsg in flight
  std::coroutine_handle<> closer;  // close() waiting for recv_op's end

  // Closes now: a waiting reader wakes (and sees `closed`), in-flight
  // one-shot ops are cancelled (their tasks resume with kCancelled), the
  // armed multishot recv is orphaned, the fd is closed.
  void shut() noexcept {
    closed = true;
    wake_later(&reader);
    if (recv_op != nullptr) {
      recv_op->user = nullptr;
      std::exchange(recv_op, nullptr)->orphan();
    }
    for (Op* op : {read_op, write_op}) {
      if (op != nullptr) worker->backend().cancel(op);
    }
    if (fd >= 0) {
      worker->backend().forget_fd(fd);
      ::close(std::exchange(fd, -1));
    }
  }
  static void unref(StreamCore* c) noexcept {
    if (--c->refs == 0) delete c;
  }

  bool has_result() const noexcept {
    return !pending.empty() || eof || error != 0;
  }

  void arm() {
    Op* op = Op::create(worker, OpCode::kRecvMultishot, fd);
    op->on_complete = &StreamCore::on_recv;
    op->user = this;
    recv_op = op;
    if (worker->backend().start(op)) on_recv(op, op->result, 0);  // no SQE
  }

  static void on_recv(Op* op, int32_t res, uint32_t flags) noexcept {
    auto* core = static_cast<StreamCore*>(op->user);
    if (core == nullptr) return;  // orphaned: Op::complete cleans up
    if (res > 0) {
      core->pending.append(std::move(op->owned));
    } else if (res == 0) {
      core->eof = true;
    } else if (res == -ENOBUFS || res == -EBUSY) {
      // Ring dry, or no SQE to arm with: the next read takes the one-shot
      // path (and reports its own error if that fails too).
      core->ring_starved = true;
    } else if (res != -ECANCELED) {
      core->error = res;
    }
    op->owned.clear();
    if (!(flags & kCqeFlagMore)) {
      core->recv_op = nullptr;
      Op::destroy(op);
      if (core->closer) {
        std::exchange(core->closer, nullptr).resume();
        return;
      }
    }
    if (core->reader != nullptr && core->has_result()) {
      std::exchange(core->reader, nullptr)->wake();
    } else if (core->reader != nullptr && core->recv_op == nullptr) {
      // The multishot ended without data (ENOBUFS): let the reader go
      // around and fall back to a one-shot recv.
      std::exchange(core->reader, nullptr)->wake();
    }
  }
};

struct ListenerCore : CoreBase {
  Worker* worker = nullptr;
  int fd = -1;
  SocketAddress local;
  bool multishot = false;
  Op* accept_op = nullptr;
  std::deque<int> accepted;
  int32_t error = 0;  // delivered once, then cleared
  CoreWaiter* acceptor = nullptr;
  Op* one_shot_op = nullptr;  // one-shot accept in flight
  std::coroutine_handle<> closer;

  // As StreamCore::shut; connections already accepted are closed too.
  void shut() noexcept {
    closed = true;
    wake_later(&acceptor);
    if (accept_op != nullptr) {
      accept_op->user = nullptr;
      std::exchange(accept_op, nullptr)->orphan();
    }
    if (one_shot_op != nullptr) worker->backend().cancel(one_shot_op);
    for (int c : accepted) ::close(c);
    accepted.clear();
    if (fd >= 0) {
      worker->backend().forget_fd(fd);
      ::close(std::exchange(fd, -1));
    }
  }
  static void unref(ListenerCore* c) noexcept {
    if (--c->refs == 0) delete c;
  }

  static void on_accept(Op* op, int32_t res, uint32_t flags) noexcept {
    auto* core = static_cast<ListenerCore*>(op->user);
    if (core == nullptr) {
      if (res >= 0) ::close(res);
      return;
    }
    if (res >= 0) {
      core->accepted.push_back(res);
    } else if (res != -ECANCELED) {
      core->error = res;
    }
    if (!(flags & kCqeFlagMore)) {
      core->accept_op = nullptr;
      Op::destroy(op);
      if (core->closer) {
        std::exchange(core->closer, nullptr).resume();
        return;
      }
    }
    if (core->acceptor != nullptr)
      std::exchange(core->acceptor, nullptr)->wake();
  }
};

// Waits for the kernel to finish with `*op_slot` (after cancelling it).
struct WaitForFinalCompletion {
  Op** op_slot;
  std::coroutine_handle<>* closer;
  std::coroutine_handle<> self;
  ~WaitForFinalCompletion() {
    if (self && *closer == self) *closer = nullptr;  // frame destroyed
  }
  bool await_ready() const noexcept { return *op_slot == nullptr; }
  void await_suspend(std::coroutine_handle<> h) noexcept {
    self = h;
    *closer = h;
    (*op_slot)->worker->backend().cancel(*op_slot);
  }
  void await_resume() const noexcept {}
};

void CoreCloser::operator()(StreamCore* c) const noexcept {
  c->shut();
  StreamCore::unref(c);
}
void CoreCloser::operator()(ListenerCore* c) const noexcept {
  c->shut();
  ListenerCore::unref(c);
}

}  // namespace internal

using internal::Op;
using internal::OpAwaiter;
using internal::OpCode;
using internal::Worker;

// ---- SocketAddress ---------------------------------------------------------

Result<SocketAddress> SocketAddress::parse(std::string_view hp) {
  std::string_view host;
  std::string_view port_str;
  if (!hp.empty() && hp.front() == '[') {
    const auto close = hp.find(']');
    if (close == std::string_view::npos || close + 1 >= hp.size() ||
        hp[close + 1] != ':') {
      return absl::InvalidArgumentError(
          fmt::format("bad address '{}': expected [v6]:port", hp));
    }
    host = hp.substr(1, close - 1);
    port_str = hp.substr(close + 2);
  } else {
    const auto colon = hp.rfind(':');
    if (colon == std::string_view::npos) {
      return absl::InvalidArgumentError(
          fmt::format("bad address '{}': expected host:port", hp));
    }
    host = hp.substr(0, colon);
    port_str = hp.substr(colon + 1);
  }
  uint32_t port = 0;
  if (!absl::SimpleAtoi(absl::string_view(port_str.data(), port_str.size()),
                        &port) ||
      port > 65535) {
    return absl::InvalidArgumentError(fmt::format(
        "bad address '{}': port '{}' is not 0-65535", hp, port_str));
  }
  SocketAddress a;
  const std::string h(host);
  sockaddr_in* v4 = &a.storage_.v4;
  sockaddr_in6* v6 = &a.storage_.v6;
  if (::inet_pton(AF_INET, h.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    a.len_ = sizeof(sockaddr_in);
  } else if (::inet_pton(AF_INET6, h.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    a.len_ = sizeof(sockaddr_in6);
  } else {
    return absl::InvalidArgumentError(fmt::format(
        "bad address '{}': '{}' is not a numeric IPv4/IPv6 address", hp, h));
  }
  return a;
}

SocketAddress SocketAddress::loopback_v4(uint16_t port) {
  return *parse(fmt::format("127.0.0.1:{}", port));
}
SocketAddress SocketAddress::loopback_v6(uint16_t port) {
  return *parse(fmt::format("[::1]:{}", port));
}

SocketAddress SocketAddress::from_sockaddr(const sockaddr* sa, socklen_t len) {
  SocketAddress a;
  // Other families (not produced by ferry's sockets) keep their first bytes.
  len = std::min<socklen_t>(len, sizeof(a.storage_));
  std::memcpy(&a.storage_, sa, len);
  a.len_ = len;
  return a;
}

uint16_t SocketAddress::port() const noexcept {
  if (family() == AF_INET) {
    return ntohs(storage_.v4.sin_port);
  }
  if (family() == AF_INET6) {
    return ntohs(storage_.v6.sin6_port);
  }
  return 0;
}

SocketAddress SocketAddress::with_port(uint16_t port) const noexcept {
  SocketAddress a = *this;
  if (family() == AF_INET) {
    a.storage_.v4.sin_port = htons(port);
  } else if (family() == AF_INET6) {
    a.storage_.v6.sin6_port = htons(port);
  }
  return a;
}

std::string SocketAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN] = "?";
  if (family() == AF_INET) {
    ::inet_ntop(AF_INET, &storage_.v4.sin_addr, buf, sizeof(buf));
    return fmt::format("{}:{}", buf, port());
  }
  if (family() == AF_INET6) {
    ::inet_ntop(AF_INET6, &storage_.v6.sin6_addr, buf, sizeof(buf));
    return fmt::format("[{}]:{}", buf, port());
  }
  return "(unset)";
}

// ---- TcpStream -------------------------------------------------------------

TcpStream::TcpStream() noexcept = default;
TcpStream::TcpStream(internal::StreamCorePtr core) noexcept
    : core_(std::move(core)) {}
TcpStream::TcpStream(TcpStream&&) noexcept = default;
TcpStream& TcpStream::operator=(TcpStream&&) noexcept = default;
TcpStream::~TcpStream() = default;

bool TcpStream::is_open() const noexcept { return core_ && core_->fd >= 0; }
int TcpStream::fd() const noexcept { return core_ ? core_->fd : -1; }
const SocketAddress& TcpStream::peer_address() const noexcept {
  static const SocketAddress kNone;
  return core_ ? core_->peer : kNone;
}

Task<Result<TcpStream>> TcpStream::connect(SocketAddress addr,
                                           ConnectOptions options) {
  Worker* w = Worker::current();
  const int fd =
      ::socket(addr.family(), SOCK_STREAM | internal::socket_type_flags(w), 0);
  if (fd < 0) co_return errno_status("socket", errno);
  internal::StreamCorePtr core(new internal::StreamCore());
  core->worker = w;
  core->fd = fd;
  core->peer = addr;
  core->multishot = w->backend().features().multishot_recv;
  TcpStream stream(std::move(core));
  Status s = co_await with_timeout(stream.connect_op(addr), options.timeout);
  if (!s.ok()) {
    if (s.code() == absl::StatusCode::kDeadlineExceeded) {
      co_return absl::DeadlineExceededError(
          fmt::format("connect to {}: {}", addr.to_string(), message_of(s)));
    }
    co_return s;
  }
  if (options.nodelay) internal::set_nodelay(fd);
  co_return std::move(stream);
}

Task<Status> TcpStream::connect_op(const SocketAddress& addr) {
  Op* op = Op::create(core_->worker, OpCode::kConnect, core_->fd);
  std::memcpy(&op->addr, addr.data(), addr.size());
  op->addrlen = addr.size();
  auto r = co_await OpAwaiter(op);
  if (r.res < 0) co_return internal::io_error("connect to", addr, r.res);
  co_return Status();
}

Task<Result<IoBuf>> TcpStream::read() {
  internal::StreamCore* c = core_.get();
  if (c == nullptr || c->closed) {
    co_return absl::FailedPreconditionError("read on a closed TcpStream");
  }
  internal::CoreRef<internal::StreamCore> ref(c);
  for (;;) {
    if (c->closed) [[unlikely]]
      co_return internal::closed_mid_call("read");
    if (!c->pending.empty()) co_return std::move(c->pending);
    if (c->error != 0)
      co_return internal::io_error("recv from", c->peer, c->error);
    if (c->eof) co_return IoBuf();
    if (c->multishot && !c->ring_starved) {
      if (c->recv_op == nullptr) c->arm();
      // Arming can fail at once (no SQE): then go around, do not wait.
      const bool woken = co_await internal::WaitForCore{
          &c->reader, c->recv_op == nullptr || c->has_result(), {}};
      if (!woken) co_return cancelled_status("recv");
      continue;
    }
    // One-shot recv into a fresh chunk the op owns until it completes.
    c->ring_starved = false;
    internal::ChunkHeader* chunk =
        internal::allocate_chunk(internal::kOneShotRecvSize);
    Op* op = Op::create(c->worker, OpCode::kRecv, c->fd);
    op->owned = IoBuf::adopt(chunk, chunk->data, internal::kOneShotRecvSize);
    op->recv_buf = chunk->data;
    op->recv_len = internal::kOneShotRecvSize;
    internal::OpSlot in_flight(&c->read_op, op);
    auto r = co_await OpAwaiter(op);
    if (r.res < 0) co_return internal::io_error("recv from", c->peer, r.res);
    if (r.res == 0) {
      c->eof = true;
      co_return IoBuf();
    }
    co_return r.owned.split_front(static_cast<std::size_t>(r.res));
  }
}

Task<Result<IoBuf>> TcpStream::read_exact(std::size_t n) {
  internal::StreamCore* c = core_.get();
  if (c == nullptr || c->closed) {
    co_return absl::FailedPreconditionError("read on a closed TcpStream");
  }
  internal::CoreRef<internal::StreamCore> ref(c);
  IoBuf out;
  while (out.size() < n) {
    FERRY_CO_ASSIGN_OR_RETURN(IoBuf chunk, co_await read());
    if (chunk.empty()) {
      co_return absl::UnavailableError(
          fmt::format("recv from {}: peer closed after {} of {} bytes",
                      c->peer.to_string(), out.size(), n));
    }
    const std::size_t need = n - out.size();
    if (chunk.size() > need) {
      // Keep the surplus for the next read, ahead of anything newer.
      IoBuf head = chunk.split_front(need);
      chunk.append(std::move(c->pending));
      c->pending = std::move(chunk);
      out.append(std::move(head));
    } else {
      out.append(std::move(chunk));
    }
  }
  co_return out;
}

Task<Status> TcpStream::write(IoBuf data) {
  internal::StreamCore* c = core_.get();
  if (c == nullptr || c->closed) {
    co_return absl::FailedPreconditionError("write on a closed TcpStream");
  }
  internal::CoreRef<internal::StreamCore> ref(c);
  while (!data.empty()) {
    if (c->closed) [[unlikely]]
      co_return internal::closed_mid_call("write");
    Op* op = Op::create(c->worker, OpCode::kSendmsg, c->fd);
    op->owned = std::move(data);
    op->msg.msg_iov = op->iov;
    op->msg.msg_iovlen = op->owned.fill_iovecs(op->iov, Op::kMaxIov);
    internal::OpSlot in_flight(&c->write_op, op);
    auto r = co_await OpAwaiter(op);
    if (r.res < 0) co_return internal::io_error("send to", c->peer, r.res);
    r.owned.trim_front(static_cast<std::size_t>(r.res));
    data = std::move(r.owned);
  }
  co_return Status();
}

Status TcpStream::shutdown_write() {
  if (!is_open())
    return absl::FailedPreconditionError("shutdown on a closed TcpStream");
  if (::shutdown(core_->fd, SHUT_WR) < 0) {
    return errno_status(fmt::format("shutdown {}", core_->peer.to_string()),
                        errno);
  }
  return Status();
}

Task<void> TcpStream::close() {
  internal::StreamCore* c = core_.get();
  if (c == nullptr) co_return;
  co_await internal::WaitForFinalCompletion{&c->recv_op, &c->closer};
  core_.reset();  // shuts the core: cancels other tasks' ops, closes the fd
}

// ---- TcpListener -----------------------------------------------------------

TcpListener::TcpListener() noexcept = default;
TcpListener::TcpListener(TcpListener&&) noexcept = default;
TcpListener& TcpListener::operator=(TcpListener&&) noexcept = default;
TcpListener::~TcpListener() = default;

const SocketAddress& TcpListener::local_address() const noexcept {
  static const SocketAddress kNone;
  return core_ ? core_->local : kNone;
}

Result<TcpListener> TcpListener::bind(const SocketAddress& addr,
                                      Options options) {
  Worker* w = Worker::current();
  if (w == nullptr) {
    return absl::FailedPreconditionError("TcpListener::bind outside a worker");
  }
  internal::ListenerCorePtr core(new internal::ListenerCore());
  core->worker = w;
  core->fd =
      ::socket(addr.family(), SOCK_STREAM | internal::socket_type_flags(w), 0);
  if (core->fd < 0) return errno_status("socket", errno);
  const int one = 1;
  ::setsockopt(core->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (options.reuse_port &&
      ::setsockopt(core->fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) {
    return errno_status("setsockopt(SO_REUSEPORT)", errno);
  }
  if (::bind(core->fd, addr.data(), addr.size()) < 0) {
    return errno_status(fmt::format("bind {}", addr.to_string()), errno);
  }
  if (::listen(core->fd, options.backlog) < 0) {
    return errno_status(fmt::format("listen {}", addr.to_string()), errno);
  }
  sockaddr_storage local{};
  socklen_t len = sizeof(local);
  ::getsockname(core->fd, reinterpret_cast<sockaddr*>(&local), &len);
  core->local =
      SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&local), len);
  core->multishot = w->backend().features().multishot_accept;
  TcpListener l;
  l.core_ = std::move(core);
  return l;
}

namespace {
Result<TcpStream> adopt_accepted(internal::ListenerCore* lc, int fd,
                                 const sockaddr_storage* addr,
                                 socklen_t addrlen) {
  internal::StreamCorePtr core(new internal::StreamCore());
  core->worker = lc->worker;
  core->fd = fd;
  core->multishot = lc->worker->backend().features().multishot_recv;
  if (addr != nullptr) {
    core->peer = SocketAddress::from_sockaddr(
        reinterpret_cast<const sockaddr*>(addr), addrlen);
  } else {
    sockaddr_storage peer{};
    socklen_t len = sizeof(peer);
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) == 0) {
      core->peer =
          SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&peer), len);
    }
  }
  internal::set_nodelay(fd);
  return TcpStream(std::move(core));
}
}  // namespace

Task<Result<TcpStream>> TcpListener::accept() {
  internal::ListenerCore* c = core_.get();
  if (c == nullptr || c->closed) {
    co_return absl::FailedPreconditionError("accept on a closed TcpListener");
  }
  internal::CoreRef<internal::ListenerCore> ref(c);
  if (!c->multishot) {
    Op* op = Op::create(c->worker, OpCode::kAccept, c->fd);
    internal::OpSlot in_flight(&c->one_shot_op, op);
    auto r = co_await OpAwaiter(op);
    if (r.res < 0) co_return internal::io_error("accept on", c->local, r.res);
    if (c->closed) [[unlikely]] {
      ::close(r.res);
      co_return internal::closed_mid_call("accept");
    }
    co_return adopt_accepted(c, r.res, nullptr, 0);
  }
  for (;;) {
    if (c->closed) [[unlikely]]
      co_return internal::closed_mid_call("accept");
    if (!c->accepted.empty()) {
      const int fd = c->accepted.front();
      c->accepted.pop_front();
      co_return adopt_accepted(c, fd, nullptr, 0);
    }
    if (c->error != 0) {
      co_return internal::io_error("accept on", c->local,
                                   std::exchange(c->error, 0));
    }
    if (c->accept_op == nullptr) {
      Op* op = Op::create(c->worker, OpCode::kAcceptMultishot, c->fd);
      op->on_complete = &internal::ListenerCore::on_accept;
      op->user = c;
      c->accept_op = op;
      if (c->worker->backend().start(op)) {
        internal::ListenerCore::on_accept(op, op->result, 0);  // no SQE
      }
    }
    // Arming can fail at once (no SQE): then go around, do not wait.
    const bool woken = co_await internal::WaitForCore{
        &c->acceptor,
        c->accept_op == nullptr || !c->accepted.empty() || c->error != 0,
        {}};
    if (!woken) co_return cancelled_status("accept");
  }
}

Task<void> TcpListener::close() {
  internal::ListenerCore* c = core_.get();
  if (c == nullptr) co_return;
  co_await internal::WaitForFinalCompletion{&c->accept_op, &c->closer};
  core_.reset();
}

}  // namespace ferry
