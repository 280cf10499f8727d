#pragma once

// The glue between protoc-gen-ferry's generated service code and ferry's
// gRPC transport: method descriptors, the server-side method registry, the
// unary request/response types that travel through middleware stacks, and
// the typed stream handles of the three streaming call kinds.
//
// Generated code (for `service TestService` in package grpc.testing):
//
//   namespace grpc::testing {
//   struct TestService {
//     static constexpr std::string_view kName = "grpc.testing.TestService";
//     struct UnaryCall {                       // one per rpc
//       using Request = SimpleRequest;
//       using Response = SimpleResponse;
//       static constexpr ::ferry::grpc::MethodKind kKind = kUnary;
//       static constexpr std::string_view kService =
//       "grpc.testing.TestService"; static constexpr std::string_view kName =
//       "UnaryCall"; static constexpr std::string_view kPath =
//           "/grpc.testing.TestService/UnaryCall";
//       template <class H> static constexpr bool kImplementedBy = ...;
//       template <class H> static auto invoke(H& h, Context& cx, ...);
//     };
//     using Methods = std::tuple<EmptyCall, UnaryCall, ...>;
//     class Interface;                // virtual; every method UNIMPLEMENTED
//     template <class Stack = ::ferry::grpc::Channel> class Client;
//   };
//   }
//
// A handler is any class with some of the service's methods, in these
// shapes (a missing method answers UNIMPLEMENTED):
//
//   unary             Task<Result<Resp>> M(Context&, const Req&)
//   client streaming  Task<Result<Resp>> M(Context&, ServerReader<Req>&)
//   server streaming  Task<Status> M(Context&, const Req&, ServerWriter<Resp>&)
//   bidi streaming    Task<Status> M(Context&, ServerStream<Req, Resp>&)
//
//   grpc::ServiceRegistry services;
//   services.add<grpc::testing::TestService>(&handler);
//
// Unary calls travel through the user's middleware stack on both sides as
// `grpc::Request` -> `grpc::Response` (client) and `grpc::ServerRequest` ->
// `grpc::Response` (server); streams bypass it but carry a Context with the
// same deadline and metadata.
//
// Status codes: absl::StatusCode values *are* gRPC's codes (0..16), so a
// handler's `Status` is sent as-is and a received grpc-status becomes the
// Status the client sees.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "google/protobuf/message_lite.h"

#include "middleware/context.h"
#include "runtime/io_buf.h"
#include "runtime/status.h"
#include "runtime/task.h"

namespace ferry::grpc {

enum class MethodKind : std::uint8_t {
  kUnary,
  kClientStreaming,
  kServerStreaming,
  kBidiStreaming,
};

// Serializes `message` into one fresh IoBuf chunk.
IoBuf serialize(const google::protobuf::MessageLite& message);
// Parses `bytes` (any number of slices) into `message`; kInternal naming
// the message type when the bytes are not a valid encoding (gRPC's code for
// a message that cannot be parsed).
Status parse(const IoBuf& bytes, google::protobuf::MessageLite& message);

// Per-message options for writes.
struct WriteOptions {
  // Compress this message with the call's compression (gzip) if one was
  // negotiated; otherwise ignored.
  bool compress = true;
};

// Per-call options a client or server sets in the call's Context
// (`cx.extension<grpc::CallOptions>()`); absent means the defaults.
struct CallOptions {
  // Client: send request messages gzip-compressed (grpc-encoding: gzip).
  // Server: compress response messages with gzip when the client accepts it.
  bool compress = false;
  // Filled by the transport on the receiving side: whether the last message
  // read arrived compressed (interop tests check this).
  bool last_message_compressed = false;
};

// ---------------------------------------------------------------------------
// Client side.

// One unary call on its way down a client stack. Cheap to copy (Retry and
// BackupRequest send it more than once); `message` points into the calling
// frame, which outlives the call. The transport serializes it.
struct Request {
  std::string_view path;  // "/pkg.Service/Method"
  const google::protobuf::MessageLite* message = nullptr;
};

// The serialized (and decompressed) response message of a unary call; on
// the server, of a unary handler.
struct Response {
  IoBuf body;
};

// A client stream, untyped: implemented by the HTTP/2 channel
// (transport/grpc/channel.cc). Not thread-safe; one reader and one writer.
class ClientCall {
 public:
  virtual ~ClientCall() = default;
  // Sends one message; waits while the stream's send window and buffer are
  // full (backpressure). Fails once the call has ended.
  virtual Task<Status> write(IoBuf message, WriteOptions options) = 0;
  // Half-closes: the server reads end-of-stream after what was written.
  virtual Task<Status> writes_done() = 0;
  // The next response message, or nullopt at the end of the stream (then
  // `finish()` has the status). Errors are the call's final status.
  virtual Task<Result<std::optional<IoBuf>>> read() = 0;
  // Waits for the trailers and returns the call's status (grpc-status and
  // grpc-message). Unread messages are discarded.
  virtual Task<Status> finish() = 0;
  // Resets the stream (RST_STREAM CANCEL); the call ends with kCancelled.
  virtual void cancel() noexcept = 0;
};

// The next message of `call` parsed into `message`: true; false at the end
// of the stream; an error is the call's failure or an unparsable message.
// (Non-template: every typed reader below shares these two.)
Task<Result<bool>> read_message(ClientCall& call,
                                google::protobuf::MessageLite& message);

// Client side of a client-streaming call: write requests, then `finish()`
// half-closes and waits for the one response.
template <class Req, class Resp>
class ClientWriter {
 public:
  explicit ClientWriter(std::unique_ptr<ClientCall> call)
      : call_(std::move(call)) {}
  Task<Status> write(const Req& message, WriteOptions options = {}) {
    return call_->write(serialize(message), options);
  }
  Task<Result<Resp>> finish() {
    auto done = co_await call_->writes_done();
    (void)done;  // a write failure shows up as the call's status below
    auto message = co_await call_->read();
    auto status = co_await call_->finish();
    if (!status.ok()) co_return status;
    if (!message.ok()) co_return message.status();
    if (!message->has_value()) {
      co_return absl::InternalError(
          "client-streaming call ended OK without a response message");
    }
    Resp response;
    FERRY_CO_RETURN_IF_ERROR(parse(**message, response));
    co_return response;
  }
  void cancel() noexcept { call_->cancel(); }

 private:
  std::unique_ptr<ClientCall> call_;
};

// Client side of a server-streaming call: read responses until `read`
// returns false, then `finish()` has the status.
template <class Resp>
class ClientReader {
 public:
  explicit ClientReader(std::unique_ptr<ClientCall> call)
      : call_(std::move(call)) {}
  // True: `message` holds the next response. False: the stream ended.
  Task<Result<bool>> read(Resp& message) {
    return read_message(*call_, message);
  }
  Task<Status> finish() { return call_->finish(); }
  void cancel() noexcept { call_->cancel(); }

 private:
  std::unique_ptr<ClientCall> call_;
};

// Client side of a bidi call.
template <class Req, class Resp>
class ClientStream {
 public:
  explicit ClientStream(std::unique_ptr<ClientCall> call)
      : call_(std::move(call)) {}
  Task<Status> write(const Req& message, WriteOptions options = {}) {
    return call_->write(serialize(message), options);
  }
  Task<Status> writes_done() { return call_->writes_done(); }
  Task<Result<bool>> read(Resp& message) {
    return read_message(*call_, message);
  }
  Task<Status> finish() { return call_->finish(); }
  void cancel() noexcept { call_->cancel(); }

 private:
  std::unique_ptr<ClientCall> call_;
};

// A unary call through `stack` (any Service<grpc::Request> whose Response
// is grpc::Response): what generated clients' unary methods do. Like every
// lazy Task taking references, `request` (and `cx`) must outlive the
// awaited call: `co_await client.M(cx, make_request())` is fine, a Task
// kept for later must not point at a temporary.
template <class Resp, class Stack, class Req>
Task<Result<Resp>> unary_call(Stack& stack, Context& cx, std::string_view path,
                              std::string_view method, const Req& request) {
  if (cx.method.empty()) cx.method = method;
  auto reply = co_await stack.call(cx, Request{path, &request});
  if (!reply.ok()) co_return std::move(reply).status();
  Resp response;
  FERRY_CO_RETURN_IF_ERROR(parse(reply->body, response));
  co_return response;
}

// Opening the three streaming kinds on a channel (`Ch`: grpc::Channel):
// what generated clients' streaming methods do. `cx` outlives the stream.
template <class Req, class Resp, class Ch>
Task<Result<ClientWriter<Req, Resp>>> open_client_streaming(
    Ch& channel, Context& cx, std::string_view path, std::string_view method) {
  if (cx.method.empty()) cx.method = method;
  auto call = co_await channel.start_call(cx, path);
  if (!call.ok()) co_return std::move(call).status();
  co_return ClientWriter<Req, Resp>(std::move(*call));
}

// Sends `request` and half-closes; the reader yields the responses.
template <class Req, class Resp, class Ch>
Task<Result<ClientReader<Resp>>> open_server_streaming(Ch& channel, Context& cx,
                                                       std::string_view path,
                                                       std::string_view method,
                                                       const Req& request) {
  if (cx.method.empty()) cx.method = method;
  auto call = co_await channel.start_call(cx, path);
  if (!call.ok()) co_return std::move(call).status();
  std::unique_ptr<ClientCall> c = std::move(*call);
  IoBuf body = serialize(request);  // named: see run_streaming
  auto written = co_await c->write(std::move(body), WriteOptions{});
  if (written.ok()) {
    auto done = co_await c->writes_done();
    (void)done;  // a failure surfaces as the call's status on read
  }
  // A failed write also ends the call: reading reports why.
  co_return ClientReader<Resp>(std::move(c));
}

template <class Req, class Resp, class Ch>
Task<Result<ClientStream<Req, Resp>>> open_bidi_streaming(
    Ch& channel, Context& cx, std::string_view path, std::string_view method) {
  if (cx.method.empty()) cx.method = method;
  auto call = co_await channel.start_call(cx, path);
  if (!call.ok()) co_return std::move(call).status();
  co_return ClientStream<Req, Resp>(std::move(*call));
}

// ---------------------------------------------------------------------------
// Server side.

// A server stream, untyped: implemented by the HTTP/2 server connection.
class ServerCall {
 public:
  virtual ~ServerCall() = default;
  // The next request message (decompressed), or nullopt once the client
  // half-closed. Errors: the stream was reset or the message was bad.
  virtual Task<Result<std::optional<IoBuf>>> read() = 0;
  // Sends one response message (the response headers go first, with the
  // Context's response_metadata). Waits while the peer's window and the
  // stream's buffer are full.
  virtual Task<Status> write(IoBuf message, WriteOptions options) = 0;
};

Task<Result<bool>> read_message(ServerCall& call,
                                google::protobuf::MessageLite& message);

template <class Req>
class ServerReader {
 public:
  explicit ServerReader(ServerCall& call) : call_(&call) {}
  // True: `message` holds the next request. False: the client half-closed.
  Task<Result<bool>> read(Req& message) {
    return read_message(*call_, message);
  }

 private:
  ServerCall* call_;
};

template <class Resp>
class ServerWriter {
 public:
  explicit ServerWriter(ServerCall& call) : call_(&call) {}
  Task<Status> write(const Resp& message, WriteOptions options = {}) {
    return call_->write(serialize(message), options);
  }

 private:
  ServerCall* call_;
};

template <class Req, class Resp>
class ServerStream {
 public:
  explicit ServerStream(ServerCall& call) : call_(&call) {}
  Task<Result<bool>> read(Req& message) {
    return read_message(*call_, message);
  }
  Task<Status> write(const Resp& message, WriteOptions options = {}) {
    return call_->write(serialize(message), options);
  }

 private:
  ServerCall* call_;
};

// One registered method. Unary methods run `unary` (decode, handler,
// encode) under the server's middleware stack; streaming methods run
// `streaming` over the call and return the final status.
struct MethodEntry {
  std::string path;
  std::string_view service;
  std::string_view name;
  MethodKind kind = MethodKind::kUnary;
  void* handler = nullptr;
  Task<Result<Response>> (*unary)(void* handler, Context& cx,
                                  IoBuf body) = nullptr;
  Task<Status> (*streaming)(void* handler, Context& cx,
                            ServerCall& call) = nullptr;
};

// A unary call on its way down the server's stack (innermost: the
// registry's dispatcher, which runs `method->unary`).
struct ServerRequest {
  const MethodEntry* method = nullptr;
  IoBuf body;  // the request message, decompressed
};

namespace detail {

template <class M, class H>
Task<Result<Response>> run_unary(void* handler, Context& cx, IoBuf body) {
  typename M::Request request;
  FERRY_CO_RETURN_IF_ERROR(parse(body, request));
  body.clear();
  if constexpr (M::kKind == MethodKind::kUnary) {
    auto reply = co_await M::invoke(*static_cast<H*>(handler), cx, request);
    if (!reply.ok()) co_return std::move(reply).status();
    co_return Response{serialize(*reply)};
  } else {
    co_return absl::InternalError("not a unary method");
  }
}

template <class M, class H>
Task<Status> run_streaming(void* handler, Context& cx, ServerCall& call) {
  H& h = *static_cast<H*>(handler);
  if constexpr (M::kKind == MethodKind::kClientStreaming) {
    ServerReader<typename M::Request> reader(call);
    auto reply = co_await M::invoke(h, cx, reader);
    if (!reply.ok()) co_return std::move(reply).status();
    // Named, not a temporary in the co_await expression: GCC 12 destroys
    // such temporaries wrongly.
    IoBuf body = serialize(*reply);
    co_return co_await call.write(std::move(body), WriteOptions{});
  } else if constexpr (M::kKind == MethodKind::kServerStreaming) {
    typename M::Request request;
    auto first = co_await call.read();
    if (!first.ok()) co_return first.status();
    if (!first->has_value()) {
      co_return absl::InternalError(
          "server-streaming call: the client sent no request message");
    }
    FERRY_CO_RETURN_IF_ERROR(parse(**first, request));
    ServerWriter<typename M::Response> writer(call);
    co_return co_await M::invoke(
        h, cx, static_cast<const decltype(request)&>(request), writer);
  } else if constexpr (M::kKind == MethodKind::kBidiStreaming) {
    ServerStream<typename M::Request, typename M::Response> stream(call);
    co_return co_await M::invoke(h, cx, stream);
  } else {
    co_return absl::InternalError("not a streaming method");
  }
}

}  // namespace detail

// Methods by path, shared (read-only once the server started) by every
// worker. Handlers are shared too: they must be as thread-safe as the
// server's thread count requires.
class ServiceRegistry {
 public:
  // Registers every method of generated service `Svc` that `handler`
  // implements; the others answer UNIMPLEMENTED. `handler` outlives the
  // server.
  template <class Svc, class Handler>
  void add(Handler* handler) {
    services_.emplace_back(Svc::kName);
    std::apply([&](auto... m) { (add_method<decltype(m)>(handler), ...); },
               typename Svc::Methods{});
  }

  // The method at `path`, or nullptr.
  const MethodEntry* find(std::string_view path) const {
    auto it = methods_.find(path);
    return it == methods_.end() ? nullptr : it->second.get();
  }
  // Full names of the services added ("grpc.testing.TestService").
  const std::vector<std::string>& services() const noexcept {
    return services_;
  }

 private:
  template <class M, class Handler>
  void add_method(Handler* handler) {
    if constexpr (M::template kImplementedBy<Handler>) {
      auto entry = std::make_unique<MethodEntry>();
      entry->path = std::string(M::kPath);
      entry->service = M::kService;
      entry->name = M::kName;
      entry->kind = M::kKind;
      entry->handler = handler;
      if constexpr (M::kKind == MethodKind::kUnary) {
        entry->unary = &detail::run_unary<M, Handler>;
      } else {
        entry->streaming = &detail::run_streaming<M, Handler>;
      }
      std::string_view key = entry->path;
      methods_[key] = std::move(entry);
    }
  }

  absl::flat_hash_map<std::string_view, std::unique_ptr<MethodEntry>> methods_;
  std::vector<std::string> services_;
};

// The innermost server service: runs the method's unary function.
struct UnaryDispatcher {
  using Response = grpc::Response;
  Task<Result<Response>> call(Context& cx, ServerRequest request) {
    return request.method->unary(request.method->handler, cx,
                                 std::move(request.body));
  }
};

}  // namespace ferry::grpc
