#pragma once

// `grpc::Server`: serves gRPC (HTTP/2 h2c, prior knowledge) on every worker
// of a thread-per-core runtime.
//
//   TestHandler handler;
//   grpc::ServiceRegistry services;
//   services.add<grpc::testing::TestService>(&handler);
//   auto server = grpc::Server::start({.port = 50051, .threads = 2},
//                                     services, [] (auto dispatcher) {
//     return ServiceBuilder().layer(TimeoutLayer(1s)).service(dispatcher);
//   });
//
// `make_stack(grpc::UnaryDispatcher)` runs once per worker, on that worker;
// its Service<grpc::ServerRequest> serves unary calls. Streaming calls run
// their handler directly, with a Context carrying the call's deadline and
// metadata. `grpc.health.v1.Health` is served for every server (SERVING).
//
// Per call (one HTTP/2 stream):
// - `grpc-timeout` becomes `cx.deadline`; when it passes the handler is
//   cancelled and the call ends DEADLINE_EXCEEDED. A client's RST_STREAM
//   cancels the handler.
// - Request headers land in `cx.request_metadata` (`-bin` values decoded);
//   `cx.response_metadata` goes out as response headers (with the first
//   message, or in a trailers-only response), `cx.response_trailers` with
//   grpc-status and the percent-encoded grpc-message.
// - A handler's Status is the call's status; a handler that throws ends
//   the call UNKNOWN with the exception's message.
// - Unknown paths get UNIMPLEMENTED (trailers-only); a content-type that is
//   not application/grpc gets HTTP 415; an unsupported grpc-encoding gets
//   UNIMPLEMENTED; a message over `max_receive_message_size` gets
//   RESOURCE_EXHAUSTED (the rest of that request is dropped unread).
// - gzip: compressed requests are accepted; responses are compressed when
//   the handler sets `cx.extension<grpc::CallOptions>().compress` and the
//   client accepts gzip.
// Protocol errors (bad preface, bad frames) close that connection only.
//
// stop(): stop accepting, send GOAWAY, let in-flight calls finish for at
// most `shutdown_grace`, then cancel the rest and join the workers.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "runtime/net.h"
#include "runtime/status.h"
#include "runtime/task.h"
#include "transport/grpc/health.h"
#include "transport/grpc/service.h"
#include "transport/server_core.h"

namespace ferry::grpc {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0: an ephemeral port, shared by every worker
  std::size_t threads = 1;
  std::vector<int> pin_cpus;
  // Larger request messages fail the call with RESOURCE_EXHAUSTED.
  std::size_t max_receive_message_size = 4 << 20;
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(300)};
  std::size_t max_connections = 10000;
  std::chrono::milliseconds shutdown_grace{std::chrono::seconds(5)};
};

using ServerStats = transport::ServerStats;

namespace detail {

struct ServerWorker : transport::ServerWorker {
  const ServerOptions* options = nullptr;
  const ServiceRegistry* services = nullptr;
  const ServiceRegistry* builtin = nullptr;  // grpc.health.v1
};

// The type-erased worker stack: one per worker.
class UnaryStack {
 public:
  virtual ~UnaryStack() = default;
  virtual Task<Result<Response>> call(Context& cx, ServerRequest request) = 0;
};

template <class Stack>
class UnaryStackImpl final : public UnaryStack {
 public:
  explicit UnaryStackImpl(Stack stack) : stack_(std::move(stack)) {}
  Task<Result<Response>> call(Context& cx, ServerRequest request) override {
    return stack_.call(cx, std::move(request));
  }

 private:
  Stack stack_;
};

// Accepts and serves connections on one worker until stopped.
Task<void> serve_worker(ServerWorker& w, TcpListener listener,
                        std::unique_ptr<UnaryStack> stack);
Task<Result<SocketAddress>> listen(ServerWorker& w, SocketAddress addr,
                                   std::unique_ptr<UnaryStack> stack);

}  // namespace detail

class Server {
 public:
  // `services` must outlive the server.
  template <class MakeStack>
  static Result<std::unique_ptr<Server>> start(ServerOptions options,
                                               const ServiceRegistry& services,
                                               MakeStack make_stack) {
    std::unique_ptr<Server> server(new Server());
    server->options_ = std::make_unique<ServerOptions>(std::move(options));
    FERRY_RETURN_IF_ERROR(server->start_core(services));
    FERRY_ASSIGN_OR_RETURN(SocketAddress addr,
                           transport::parse_listen_address(
                               server->options_->host, server->options_->port));
    for (std::size_t i = 0; i < server->core_.size(); ++i) {
      auto& w = static_cast<detail::ServerWorker&>(server->core_.worker(i));
      Result<SocketAddress> bound =
          server->core_.block_on(listen_with(&w, addr, &make_stack), i);
      if (!bound.ok()) {
        return transport::ServerCore::worker_error(i, bound.status());
      }
      if (i == 0) addr = server->address_ = *bound;
    }
    return server;
  }
  // No middleware: unary calls go straight to the handlers.
  static Result<std::unique_ptr<Server>> start(
      ServerOptions options, const ServiceRegistry& services) {
    return start(std::move(options), services,
                 [](UnaryDispatcher d) { return d; });
  }

  ~Server() = default;
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  const SocketAddress& address() const noexcept { return address_; }
  std::size_t workers() const noexcept { return core_.size(); }
  ServerStats stats() { return core_.stats(); }
  // What grpc.health.v1.Health reports (thread-safe).
  HealthStatus& health() noexcept { return *health_; }
  // Health turns NOT_SERVING, then the graceful stop described above.
  void stop() {
    if (health_) health_->shut_down();
    core_.stop();
  }

 private:
  Server() = default;
  Status start_core(const ServiceRegistry& services);

  template <class MakeStack>
  static Task<Result<SocketAddress>> listen_with(detail::ServerWorker* w,
                                                 SocketAddress addr,
                                                 MakeStack* make_stack) {
    using Stack = decltype((*make_stack)(UnaryDispatcher{}));
    auto stack = std::make_unique<detail::UnaryStackImpl<Stack>>(
        (*make_stack)(UnaryDispatcher{}));
    co_return co_await detail::listen(*w, addr, std::move(stack));
  }

  std::unique_ptr<ServerOptions> options_;
  std::unique_ptr<HealthStatus> health_;
  ServiceRegistry builtin_;
  std::shared_ptr<void> health_handler_;
  SocketAddress address_;
  transport::ServerCore core_;  // last: stopped first
};

}  // namespace ferry::grpc
