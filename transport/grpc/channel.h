#pragma once

// `grpc::Channel`: the gRPC client transport over HTTP/2 (h2c, prior
// knowledge). A `Service<grpc::Request>` for unary calls, which generated
// clients call through (usually under middleware layers), and the factory
// of streaming calls, which bypass the stack.
//
//   auto channel = grpc::Channel::create(addr);
//   grpc::testing::TestService::Client client(channel);
//   Result<SimpleResponse> r = co_await client.UnaryCall(cx, request);
//
// Every call is one HTTP/2 stream on the channel's connection, opened on
// first use and replaced after it fails. `cx.deadline` (narrowed by
// `request_timeout`) is sent as grpc-timeout and enforced here too: when it
// passes the stream is reset (RST_STREAM CANCEL) and the call fails with
// kDeadlineExceeded. `cx.request_metadata` goes out as headers (`-bin` keys
// base64-encoded); response headers and trailers land in
// `cx.response_metadata` and `cx.response_trailers`.
//
// A Channel is a cheap handle (copies share the connection) used on one
// worker; dropping the last handle closes the connection.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string_view>

#include "middleware/context.h"
#include "runtime/net.h"
#include "runtime/status.h"
#include "runtime/task.h"
#include "transport/grpc/service.h"

namespace ferry::grpc {

struct ChannelOptions {
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(2)};
  // Upper bound on each call (on top of cx.deadline); zero: none.
  std::chrono::milliseconds request_timeout{0};
  // Larger response messages fail the call with kResourceExhausted.
  std::size_t max_receive_message_size = 4 << 20;
};

namespace detail {
struct ChannelOwner;
}

class Channel {
 public:
  using Response = grpc::Response;

  static Channel create(SocketAddress address, ChannelOptions options = {});

  // A unary call.
  Task<Result<Response>> call(Context& cx, Request request);

  // Opens a streaming call to `path`; `cx` must outlive the call.
  Task<Result<std::unique_ptr<ClientCall>>> start_call(Context& cx,
                                                       std::string_view path);

  // Fails the calls in flight (kCancelled) and closes the connection.
  Task<void> close();

  const SocketAddress& address() const noexcept;

 private:
  explicit Channel(std::shared_ptr<detail::ChannelOwner> o)
      : owner_(std::move(o)) {}
  std::shared_ptr<detail::ChannelOwner> owner_;
};

}  // namespace ferry::grpc
