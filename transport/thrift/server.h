#pragma once

// `thrift::Server`: serves a Thrift service stack on every worker of a
// thread-per-core runtime.
//
//   CalcHandler handler;
//   auto server = thrift::Server::start(
//       {.port = 9090, .threads = 2},
//       [&] {                             // once per worker, on that worker
//         return ServiceBuilder()
//             .layer(TimeoutLayer(1s))
//             .service(thrift::Processor<CalcService, CalcHandler>(&handler));
//       });
//   ...
//   (*server)->stop();   // graceful: see below
//
// Each worker binds its own listener on the port (SO_REUSEPORT) and owns
// its connections and its copy of the stack: nothing on the request path is
// shared between cores except the handler, which the user makes as
// thread-safe as its methods need.
//
// Per connection (transport/thrift/server_connection.h):
// - The wire format is fixed by `options.format`, or detected from the
//   first bytes (framed or buffered, binary or compact: all four on one
//   port), and replies use the same one.
// - Requests are decoded as they arrive and run concurrently; replies go
//   out in request order (Apache clients match replies by order), or as
//   they complete once a ferry client announced multiplexing (it matches by
//   seqid). Replies finished in one loop turn leave in one gathered write.
// - Malformed input (a bad frame length, an unparsable envelope, bytes that
//   are no Thrift at all) closes that connection alone, with a log line
//   (rate-limited per worker); undecodable arguments only fail that call.
// - Idle connections (nothing in flight, nothing read for idle_timeout) are
//   closed; past max_connections new connections are closed at once.
//
// stop(): stop accepting; stop reading new requests; let in-flight calls
// finish and their replies flush, for at most `shutdown_grace`; then cancel
// whatever is left, close every connection and join the workers.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "codec/protocol.h"
#include "runtime/event.h"
#include "runtime/net.h"
#include "runtime/runtime.h"
#include "runtime/status.h"
#include "runtime/task.h"
#include "runtime/task_group.h"
#include "runtime/time.h"
#include "transport/server_core.h"
#include "transport/thrift/framing.h"

namespace ferry::thrift {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0: an ephemeral port, shared by every worker
  std::size_t threads = 1;
  // Pin worker i to pin_cpus[i % size] (benchmarks); empty: no pinning.
  std::vector<int> pin_cpus;
  // nullopt: detect each connection's format from its first bytes.
  std::optional<WireFormat> format;
  // Decode limits; max_message_size is also the largest frame accepted.
  codec::DecodeLimits limits;
  // Close a connection with no call in flight after this long without
  // input. Zero: never.
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(60)};
  // Connections open at once, over all workers.
  std::size_t max_connections = 10000;
  // How long stop() lets in-flight calls finish.
  std::chrono::milliseconds shutdown_grace{std::chrono::seconds(5)};
};

using ServerStats = transport::ServerStats;

namespace detail {

using transport::ServerConnectionBase;

// A worker's shared state plus the Thrift options its connections read.
struct ServerWorker : transport::ServerWorker {
  const ServerOptions* options = nullptr;
};

}  // namespace detail

class Server {
 public:
  // Starts the runtime and, on every worker, builds a stack with
  // `make_stack()` (a Service<ServerRequest> whose Response is
  // ServerResponse) and starts accepting. Returns once every worker
  // listens.
  template <class MakeStack>
  static Result<std::unique_ptr<Server>> start(ServerOptions options,
                                               MakeStack make_stack);

  ~Server() = default;  // stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The bound address (with the real port when options.port was 0).
  const SocketAddress& address() const noexcept { return address_; }
  std::size_t workers() const noexcept { return core_.size(); }
  IoBackend backend() const noexcept { return core_.backend(); }
  const ServerOptions& options() const noexcept { return *options_; }

  ServerStats stats() { return core_.stats(); }

  // Graceful shutdown (see above). Idempotent. Call from outside the
  // server's workers.
  void stop() { core_.stop(); }

 private:
  Server() = default;
  Status start_core();
  template <class MakeStack>
  static Task<Result<SocketAddress>> listen_on_worker(detail::ServerWorker* w,
                                                      SocketAddress addr,
                                                      MakeStack* make_stack);

  std::unique_ptr<ServerOptions> options_;
  SocketAddress address_;
  transport::ServerCore core_;  // last: stopped first
};

}  // namespace ferry::thrift

#include "transport/thrift/server_connection.h"  // IWYU pragma: export

namespace ferry::thrift {

namespace detail {

// One worker's listener, stack and accept loop. The stack lives in this
// frame, which outlives every connection using it (the accept loop joins
// them before returning).
template <class Stack>
Task<void> serve_worker(ServerWorker& w, TcpListener listener, Stack stack) {
  struct Ctx {
    ServerWorker* w;
    Stack* stack;
  } ctx{&w, &stack};
  const transport::ServeFn serve = [](void* p, TcpStream stream) -> Task<void> {
    auto* c = static_cast<Ctx*>(p);
    return serve_connection(*c->w, *c->stack, std::move(stream));
  };
  co_await transport::accept_loop(w, std::move(listener), serve, &ctx);
}

}  // namespace detail

template <class MakeStack>
Task<Result<SocketAddress>> Server::listen_on_worker(detail::ServerWorker* w,
                                                     SocketAddress addr,
                                                     MakeStack* make_stack) {
  Result<TcpListener> listener = TcpListener::bind(addr);
  if (!listener.ok()) co_return listener.status();
  SocketAddress bound = listener->local_address();
  spawn(detail::serve_worker(*w, std::move(*listener), (*make_stack)()));
  spawn(transport::idle_sweep(*w));
  co_return bound;
}

template <class MakeStack>
Result<std::unique_ptr<Server>> Server::start(ServerOptions options,
                                              MakeStack make_stack) {
  std::unique_ptr<Server> server(new Server());
  server->options_ = std::make_unique<ServerOptions>(std::move(options));
  FERRY_RETURN_IF_ERROR(server->start_core());
  FERRY_ASSIGN_OR_RETURN(SocketAddress addr,
                         transport::parse_listen_address(
                             server->options_->host, server->options_->port));
  // Worker 0 first: with port 0 it picks the port the others then share.
  for (std::size_t i = 0; i < server->workers(); ++i) {
    auto& w = static_cast<detail::ServerWorker&>(server->core_.worker(i));
    Result<SocketAddress> bound =
        server->core_.block_on(listen_on_worker(&w, addr, &make_stack), i);
    if (!bound.ok()) {
      return transport::ServerCore::worker_error(i, bound.status());
    }
    if (i == 0) addr = server->address_ = *bound;
  }
  return server;
}

}  // namespace ferry::thrift
