#pragma once

// TCP on the current worker: `SocketAddress`, `TcpListener`, `TcpStream`.
//
//   auto listener = TcpListener::bind(*SocketAddress::parse("127.0.0.1:0"));
//   Result<TcpStream> conn = co_await listener->accept();
//   Result<IoBuf> bytes = co_await conn->read();     // empty: peer closed
//   Status s = co_await conn->write(std::move(*bytes));
//   co_await conn->close();
//
// Under io_uring, a listener keeps one multishot accept armed and a stream
// keeps one multishot recv armed into the worker's provided-buffer ring, so a
// steady stream of messages costs no submissions at all on the read side;
// received bytes are IoBuf chunks that *are* the ring buffers (no copy) and
// return to the ring when released. Writes are one sendmsg per call,
// gathered from the IoBuf's slices. Under epoll the same API does
// non-blocking syscalls on readiness.
//
// Sharding: servers bind one listener per worker on the same port with
// SO_REUSEPORT (the default here); the kernel spreads connections across
// workers and no connection ever changes threads. See docs/ARCHITECTURE.md.
//
// Contract:
// - Listeners and streams belong to the worker that created them; use them
//   only from tasks on that worker. One reader and one writer at a time.
// - Every failure is a Status naming the operation, the peer and errno;
//   nothing a peer does aborts the process.
// - Cancelling a `read()` (select/with_timeout) loses no data: the armed
//   recv keeps filling the stream's buffer for the next read. Cancelling a
//   `write()` cancels the in-flight send; the bytes already sent are gone,
//   so the stream should then be closed.
// - `close()` cancels the armed recv/accept, waits for the kernel to give
//   them back, then closes the fd. The destructor does the same without
//   waiting (the runtime reaps the completions).

#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "runtime/io_buf.h"
#include "runtime/status.h"
#include "runtime/task.h"

namespace ferry {

namespace internal {
struct StreamCore;
struct ListenerCore;
// Closes the fd and drops the owner's reference; the core itself lives on
// until the last task using it has resumed.
struct CoreCloser {
  void operator()(StreamCore* c) const noexcept;
  void operator()(ListenerCore* c) const noexcept;
};
using StreamCorePtr = std::unique_ptr<StreamCore, CoreCloser>;
using ListenerCorePtr = std::unique_ptr<ListenerCore, CoreCloser>;
}  // namespace internal

// An IPv4 or IPv6 address with port. Numeric only: ferry does no DNS here.
class SocketAddress {
 public:
  SocketAddress() = default;
  // "127.0.0.1:8080", "[::1]:8080", "0.0.0.0:0".
  static Result<SocketAddress> parse(std::string_view host_port);
  static SocketAddress loopback_v4(uint16_t port);
  static SocketAddress loopback_v6(uint16_t port);
  static SocketAddress from_sockaddr(const sockaddr* sa, socklen_t len);

  int family() const noexcept { return storage_.any.sa_family; }
  uint16_t port() const noexcept;
  SocketAddress with_port(uint16_t port) const noexcept;
  std::string to_string() const;

  const sockaddr* data() const noexcept { return &storage_.any; }
  socklen_t size() const noexcept { return len_; }

 private:
  // Just the two families (28 bytes, not sockaddr_storage's 128): every
  // Context carries a peer address, so copying it is on the request path.
  union Storage {
    sockaddr any;
    sockaddr_in v4;
    sockaddr_in6 v6;
  };
  Storage storage_{};
  socklen_t len_ = 0;
};

class TcpStream {
 public:
  struct ConnectOptions {
    std::chrono::milliseconds timeout{5000};
    bool nodelay = true;
  };

  // Connects to `addr` within `options.timeout`. Errors name the address:
  // "connect to 127.0.0.1:1: Connection refused (errno 111)".
  static Task<Result<TcpStream>> connect(SocketAddress addr,
                                         ConnectOptions options);
  static Task<Result<TcpStream>> connect(SocketAddress addr) {
    return connect(addr, ConnectOptions{});
  }

  TcpStream() noexcept;
  TcpStream(TcpStream&&) noexcept;
  TcpStream& operator=(TcpStream&&) noexcept;
  ~TcpStream();

  bool is_open() const noexcept;
  int fd() const noexcept;
  const SocketAddress& peer_address() const noexcept;

  // The next bytes received (all that are buffered, at least one byte), or
  // an empty IoBuf once the peer has closed its side.
  Task<Result<IoBuf>> read();
  // Exactly `n` bytes, waiting for more as needed; kUnavailable ("peer
  // closed after k of n bytes") if the stream ends first.
  Task<Result<IoBuf>> read_exact(std::size_t n);

  // Writes all of `data` (looping over partial sends). The op owns `data`
  // until the kernel is done with it.
  Task<Status> write(IoBuf data);

  // shutdown(SHUT_WR): the peer reads EOF after what was written.
  Status shutdown_write();

  // Cancels in-flight kernel work on this stream, waits for it, closes.
  Task<void> close();

  // For the runtime's own use (accepted and connected streams).
  explicit TcpStream(internal::StreamCorePtr core) noexcept;

 private:
  Task<Status> connect_op(const SocketAddress& addr);
  internal::StreamCorePtr core_;
};

class TcpListener {
 public:
  struct Options {
    int backlog = 4096;
    // SO_REUSEPORT: lets every worker bind its own listener on one port.
    bool reuse_port = true;
  };

  // Binds and listens on the current worker. Port 0 picks a free port (see
  // `local_address()`); bind the other workers' listeners to that port.
  static Result<TcpListener> bind(const SocketAddress& addr, Options options);
  static Result<TcpListener> bind(const SocketAddress& addr) {
    return bind(addr, Options{});
  }

  TcpListener() noexcept;
  TcpListener(TcpListener&&) noexcept;
  TcpListener& operator=(TcpListener&&) noexcept;
  ~TcpListener();

  const SocketAddress& local_address() const noexcept;

  // The next connection (TCP_NODELAY set). Transient failures such as
  // EMFILE are returned and the listener stays usable.
  Task<Result<TcpStream>> accept();

  // Stops accepting: cancels the armed accept, waits for it, closes the fd.
  Task<void> close();

 private:
  internal::ListenerCorePtr core_;
};

}  // namespace ferry
